import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../server/host.ts';
import type { ApiPrompt } from '../../types/api.ts';
import { tempDir } from '../helpers/engine.ts';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub.ts';
import { goldenDir } from '../helpers/golden.ts';

const dit = goldenDir('dit');
const vae = goldenDir('vae');
const encoders = goldenDir('encoders');
const face = goldenDir('face');
const golden = dit && vae && encoders && face;
/** The base checkpoint's own files, as its index names them (two shards in the shipped fixture). */
const wanIndex = dit ? JSON.parse(readFileSync(join(dit, 'Wan2.1-I2V-14B-720P/diffusion_pytorch_model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> } : undefined;
const SHARDS = [...new Set(Object.values(wanIndex?.weight_map ?? {}))].sort();
const WAN_DIM = dit ? (JSON.parse(readFileSync(join(dit, 'Wan2.1-I2V-14B-720P/config.json'), 'utf8')) as { dim: number }).dim : 0;

const loaderPrompt = (downloadMissing: boolean): ApiPrompt => ({
  '1': { class_type: 'FlashPortraitLoader', inputs: { precision: 'fp32', GPU_memory_mode: 'default', download_missing: downloadMissing } },
  '2': { class_type: 'PreviewAny', inputs: { source: ['1', 0] } },
  '3': { class_type: 'PreviewAny', inputs: { source: ['1', 1] } },
});

describe.skipIf(!golden)('FlashPortraitLoader', () => {
  let hub: FakeHub;
  let host: Host;
  let base: string;
  const endpoint = process.env.HF_ENDPOINT;

  beforeAll(async () => {
    // The golden tiny weights, published under the two real repository ids with the real file names.
    const extras = tempDir('flashgraph-fp-hub-');
    writeFileSync(join(extras, 'tokenizer.json'), JSON.stringify({ model: { type: 'Unigram', vocab: [['<pad>', 0]] } }));
    writeFileSync(join(extras, 'big.mp4'), Buffer.alloc(4096));
    const wan = join(dit!, 'Wan2.1-I2V-14B-720P');
    hub = await startFakeHub({
      'Wan-AI/Wan2.1-I2V-14B-720P': {
        files: {
          'config.json': join(wan, 'config.json'),
          'diffusion_pytorch_model.safetensors.index.json': join(wan, 'diffusion_pytorch_model.safetensors.index.json'),
          ...Object.fromEntries(SHARDS.map((shard) => [shard, join(wan, shard)])),
          'Wan2.1_VAE.pth': join(vae!, 'Wan2.1_VAE.pth'),
          'models_t5_umt5-xxl-enc-bf16.pth': join(encoders!, 't5', 'models_t5_umt5-xxl-enc-bf16.pth'),
          'models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth': join(encoders!, 'clip', 'models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth'),
          'google/umt5-xxl/tokenizer.json': join(extras, 'tokenizer.json'),
          'examples/driving.mp4': join(extras, 'big.mp4'),
        },
      },
      'FrancisRing/FlashPortrait': {
        files: {
          'transformer.pt': join(dit!, 'FlashPortrait', 'transformer.pt'),
          'portrait_encoder.pt': join(dit!, 'FlashPortrait', 'portrait_encoder.pt'),
          'face_det.onnx': join(face!, 'face_det.onnx'),
          'face_landmark.onnx': join(face!, 'face_landmark.onnx'),
          'pd_fpg.pth': join(face!, 'pd_fpg.pth'),
          'fast_vae.pth': join(vae!, 'fast_vae.pth'),
        },
      },
    });
    process.env.HF_ENDPOINT = hub.url;
    base = tempDir('flashgraph-fp-');
    host = await createHost({ folders: { base }, ephemeralHistory: true, progressState: true });
  });

  afterAll(async () => {
    await host?.runner.stop();
    await hub?.close();
    if (endpoint === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = endpoint;
  });

  async function run(prompt: ApiPrompt) {
    const events: { type: string; data: Record<string, unknown> }[] = [];
    const off = host.runner.on((e) => {
      if (e.kind === 'execution') events.push(e.event as never);
    });
    const submitted = await host.runner.submit({ prompt });
    if (!submitted.ok) throw new Error(JSON.stringify(submitted));
    const entry = await host.runner.waitFor(submitted.promptId);
    off();
    return { entry, events: events.filter((e) => e.data.prompt_id === submitted.promptId) };
  }

  it('is part of the built-in FlashPortrait pack', () => {
    expect(host.packs.find((p) => p.name === 'flashportrait')?.nodes).toContain('FlashPortraitLoader');
    expect(host.registry.nodeInfo('FlashPortraitLoader')).toMatchObject({
      input_order: { required: ['precision', 'GPU_memory_mode', 'download_missing'], optional: ['device'] },
      output: ['FLASH_PORTRAIT_PIPE', 'FACE_ALIGN_MODELS'],
      output_name: ['pipe', 'face_align_models'],
      python_module: 'custom_nodes.flashportrait',
      category: 'FlashPortrait',
    });
  });

  it('names the missing files and how to get them when download_missing is off', async () => {
    const { entry, events } = await run(loaderPrompt(false));
    expect(entry.status.status_str).toBe('error');
    const error = events.find((e) => e.type === 'execution_error')!.data;
    expect(error.node_type).toBe('FlashPortraitLoader');
    expect(error.exception_message).toContain('model files missing in');
    expect(error.exception_message).toContain('config.json, diffusion_pytorch_model.safetensors.index.json, Wan2.1_VAE.pth');
    expect(error.exception_message).toContain('graph models download Wan-AI/Wan2.1-I2V-14B-720P --into flash_portrait/Wan2.1-I2V-14B-720P');
  });

  it('downloads only the files the pipeline needs, reporting progress, and hands on their paths', async () => {
    const { entry, events } = await run(loaderPrompt(true));
    expect(entry.status.status_str).toBe('success');
    const pipe = JSON.parse((entry.outputs['2']!.text as string[])[0]!);
    const wanDir = join(base, 'models', 'flash_portrait', 'Wan2.1-I2V-14B-720P');
    expect(pipe).toMatchObject({ kind: 'FLASH_PORTRAIT_PIPE', precision: 'fp32', memoryMode: 'default', device: 'auto', transformerConfig: { model_type: 'i2v', dim: WAN_DIM } });
    expect(pipe.files.transformerShards).toEqual(SHARDS.map((shard) => join(wanDir, shard)));
    for (const path of [pipe.files.vae, pipe.files.textEncoder, pipe.files.transformerOverlay, pipe.files.tokenizer]) expect(existsSync(path)).toBe(true);
    expect(existsSync(join(wanDir, 'examples'))).toBe(false);
    // Fast mode's optional tiny VAE comes along with the FlashPortrait repository.
    expect(existsSync(join(base, 'models', 'flash_portrait', 'FlashPortrait', 'fast_vae.pth'))).toBe(true);
    const faces = JSON.parse((entry.outputs['3']!.text as string[])[0]!);
    expect(faces).toEqual({
      kind: 'FACE_ALIGN_MODELS',
      detector: join(base, 'models', 'flash_portrait', 'FlashPortrait', 'face_det.onnx'),
      landmarks: join(base, 'models', 'flash_portrait', 'FlashPortrait', 'face_landmark.onnx'),
      expressionEncoder: join(base, 'models', 'flash_portrait', 'FlashPortrait', 'pd_fpg.pth'),
    });
    const progress = events.filter((e) => e.type === 'progress' && e.data.node === '1');
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)!.data.value).toBe(progress.at(-1)!.data.max);
  });

  it('is cached while the files stay put, and fetches just what disappeared', async () => {
    const before = hub.ranges.length;
    // The run that downloaded had no fingerprint yet (files were missing), so the next one checks
    // the complete set once (no download); from then on the loader is cached.
    await run(loaderPrompt(true));
    const again = await run(loaderPrompt(true));
    expect(again.events.find((e) => e.type === 'execution_cached')!.data.nodes).toContain('1');
    expect(hub.ranges.length).toBe(before);

    rmSync(join(base, 'models', 'flash_portrait', 'FlashPortrait', 'pd_fpg.pth'));
    const repaired = await run(loaderPrompt(true));
    expect(repaired.entry.status.status_str).toBe('success');
    expect(hub.ranges.slice(before).map((r) => r.path)).toEqual(['pd_fpg.pth']);
  });

  it('resumes a download that broke off, and replaces a damaged partial file', async () => {
    const fp = join(base, 'models', 'flash_portrait', 'FlashPortrait');
    const overlay = join(fp, 'transformer.pt');
    rmSync(overlay);
    hub.breakAfter.set('transformer.pt', 1 << 20);
    const broken = await run(loaderPrompt(true));
    expect(broken.entry.status.status_str).toBe('error');
    expect(broken.events.find((e) => e.type === 'execution_error')!.data.exception_message).toMatch(/broke off .* run again to resume/);
    const partial = statSync(`${overlay}.partial`).size;
    expect(partial).toBeGreaterThan(0);
    expect(existsSync(overlay)).toBe(false);

    const before = hub.ranges.length;
    const resumed = await run(loaderPrompt(true));
    expect(resumed.entry.status.status_str).toBe('success');
    expect(hub.ranges.slice(before)).toEqual([{ path: 'transformer.pt', range: `bytes=${partial}-${statSync(overlay).size - 1}` }]);
    expect(readFileSync(overlay).equals(readFileSync(join(dit!, 'FlashPortrait', 'transformer.pt')))).toBe(true);

    // A partial file whose bytes were damaged fails verification and is fetched again whole.
    rmSync(overlay);
    writeFileSync(`${overlay}.partial`, Buffer.alloc(4096, 7));
    const refetched = await run(loaderPrompt(true));
    expect(refetched.entry.status.status_str).toBe('success');
    expect(readFileSync(overlay).equals(readFileSync(join(dit!, 'FlashPortrait', 'transformer.pt')))).toBe(true);
    expect(existsSync(`${overlay}.partial`)).toBe(false);
  });
});
