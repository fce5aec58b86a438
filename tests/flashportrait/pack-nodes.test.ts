// FlashPortrait pack assembly: the released node schemas, seeded noise, networks from a pipe
// (model manager, offload modes, prompt cache) on the demo model set.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry } from '../../server/host.ts';
import type { NodeRegistry } from '../../server/runtime/registry.ts';
import { folderLayout } from '../../server/storage/folders.ts';
import { ModelManager } from '../../server/ml/model-manager.ts';
import { createTensor, openWeights, writeSafetensors } from '../../server/ml/index.ts';
import { writeDemoModelSet } from '../../nodes/flashportrait/demo/demo-models.ts';
import { FAST_VAE_FILE, modelFiles } from '../../nodes/flashportrait/model-files.ts';
import { clipConfigFromWeights, conversionCacheDir, ditAttentionChunk, networksFromPipe, umt5ConfigFromWeights } from '../../nodes/flashportrait/pipe-networks.ts';
import { loadDitWeights } from '../../nodes/flashportrait/models/dit/weights.ts';
import { WanVae } from '../../nodes/flashportrait/models/vae/index.ts';
import type { NetworkName } from '../../nodes/flashportrait/pipe-networks.ts';
import { NormalStream, seededNormal, seedToUint64 } from '../../nodes/flashportrait/seeded-noise.ts';
import { LatentFrames } from '../../nodes/flashportrait/pipeline/latent-frames.ts';
import { memoryRecords } from '../../nodes/flashportrait/pipeline/record-store.ts';
import type { PixelVideo } from '../../nodes/flashportrait/pipeline/conditioning.ts';
import { TINY_STREAM_CHUNK, TINY_STREAM_WARMUP } from '../../nodes/flashportrait/models/vae/tiny-vae.ts';
import type { FlashPortraitPipe, MemoryMode } from '../../nodes/flashportrait/types.ts';
import { tempDir } from '../helpers/engine.ts';

describe('FlashPortrait node schemas', () => {
  let registry: NodeRegistry;
  beforeAll(async () => {
    registry = (await loadRegistry(folderLayout({ base: tempDir() }))).registry;
  });

  it('Sampler keeps the released widget order; new inputs are appended as optional', () => {
    const info = registry.nodeInfo('FlashPortraitSampler')!;
    expect(info.input_order).toEqual({
      required: ['pipe', 'head_emo_features', 'image', 'prompt', 'negative_prompt', 'seed', 'steps', 'cfg_scale', 'guidance_scale',
        'text_cfg_scale', 'emo_cfg_scale', 'max_size', 'shift', 'context_size', 'context_overlap'],
      optional: ['initial_video_frames', 'scheduler', 'acceleration'],
    });
    expect(info.display_name).toBe('FlashPortrait Sampler');
    expect(info.category).toBe('FlashPortrait');
    expect(info.output).toEqual(['IMAGE']);
    const required = info.input.required as Record<string, [string, Record<string, unknown>]>;
    expect(required.seed![1]).toMatchObject({ default: 42, min: 0, control_after_generate: true });
    expect(required.prompt![1]).toMatchObject({ multiline: true, default: 'The man is singing' });
    expect(required.cfg_scale![1].tooltip).toMatch(/unused/);
    expect(Object.fromEntries(Object.entries(required).filter(([, v]) => v[0] === 'INT' || v[0] === 'FLOAT').map(([k, v]) => [k, v[1].default]))).toEqual({
      seed: 42, steps: 30, cfg_scale: 1, guidance_scale: 4, text_cfg_scale: 1, emo_cfg_scale: 4, max_size: 720, shift: 5, context_size: 51, context_overlap: 30,
    });
  });

  it('Feature extractor has the released inputs and outputs', () => {
    const info = registry.nodeInfo('FlashPortraitFeatureExtractor')!;
    expect(info.input_order).toEqual({ required: ['face_align_models', 'images', 'source_fps', 'context_size', 'context_overlap'] });
    expect(info.output).toEqual(['HEAD_EMO_FEAT', 'FLOAT', 'INT']);
    expect(info.output_name).toEqual(['head_emo_features', 'fps', 'total_frames']);
    expect(info.display_name).toBe('FlashPortrait Feature Extractor');
  });
});

describe('seeded noise', () => {
  it('is a deterministic standard normal stream per 64-bit seed', () => {
    const a = seededNormal(42, 100_001);
    expect(seededNormal(42, 100_001)).toEqual(a);
    expect(seededNormal(43, 16)).not.toEqual(a.subarray(0, 16));
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
    expect(a.every(Number.isFinite)).toBe(true);
  });

  it('takes the whole 64-bit range and wraps beyond it', () => {
    expect(seedToUint64(2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
    expect(seedToUint64(2n ** 64n + 5n)).toBe(5n);
    expect(seedToUint64(-1)).toBe(2n ** 64n - 1n);
    expect(seededNormal(2n ** 64n - 1n, 8)).not.toEqual(seededNormal(2n ** 63n, 8));
  });

  it('NormalStream gives seededNormal\'s values in spans of any length (the sampler streams noise into its latent store)', () => {
    const whole = seededNormal(42, 101);
    const stream = new NormalStream(42);
    const spans = [1, 3, 2, 7, 0, 48, 40].map((n) => stream.fill(new Float32Array(n)));
    expect(Float32Array.from(spans.flatMap((span) => [...span]))).toEqual(whole);
  });
});

describe('openWeights', () => {
  it('recognises safetensors content under a torch file name', () => {
    const path = join(tempDir(), 'weights.pth');
    writeSafetensors(path, { w: createTensor('float32', [2, 3], new Float32Array(6).fill(1.5)) });
    const index = openWeights(path);
    expect(index.format).toBe('safetensors');
    expect(index.tensors.get('w')!.shape).toEqual([2, 3]);
    const junk = join(tempDir(), 'junk.pth');
    writeFileSync(junk, Buffer.from('not a checkpoint at all'));
    // Neither a zip nor a pickle: not called a legacy checkpoint (tests/ml/weights-damaged.test.ts).
    expect(() => openWeights(junk)).toThrow(/unknown weight format/);
  });
});

describe('networks from the pipe (demo model set)', () => {
  let models: string;
  const pipe = (memoryMode: MemoryMode): FlashPortraitPipe => ({
    kind: 'FLASH_PORTRAIT_PIPE', files: modelFiles(models), transformerConfig: { text_len: 32 }, precision: 'fp32', memoryMode, device: 'cpu',
  });

  beforeAll(() => {
    models = join(tempDir('flashgraph-fp-nets-'), 'models');
    writeDemoModelSet(models, 7);
  });

  it('reads encoder hyper-parameters from the checkpoints', () => {
    const files = modelFiles(models);
    expect(umt5ConfigFromWeights(openWeights(files.textEncoder), 32)).toMatchObject({ dim: 32, numHeads: 2, numLayers: 2, dimFfn: 64, textLen: 32 });
    expect(clipConfigFromWeights(openWeights(files.imageEncoder))).toMatchObject({ imageSize: 224, patchSize: 14, dim: 160, numHeads: 2, numLayers: 2, mlpRatio: 2, embedDim: 32 });
  });

  /** One DiT call on the demo set's shapes, with the text and CLIP embeddings the encoders made. */
  function ditCall(text: unknown, clip: unknown) {
    const c = loadDitWeights(modelFiles(models).wanDirectory, modelFiles(models).transformerOverlay).config;
    const shape = { channels: c.outDim, frames: 2, height: 4, width: 4 };
    const n = shape.frames * shape.height * shape.width;
    const noise = (count: number, seed: number) => Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.37 + seed));
    const emotion = { tokens: noise(2 * c.emoTokens * c.emoDim, 3), latentFrames: 2, width: c.emoDim, lengths: Int32Array.from([c.emoTokens, c.emoTokens]) };
    return {
      x: noise(c.outDim * n, 1), shape, timestep: 500, timestepDtype: 'float32' as const, prompt: 'positive' as const, text, clip,
      y: noise((c.inDim - c.outDim) * n, 2), emotion, ipScale: 1, seqLen: n / (c.patchSize[0] * c.patchSize[1] * c.patchSize[2]), step: 0, window: 0, branch: 'posi' as const,
    };
  }

  it('the DiT attends in query tiles where FLASHGRAPH_DIT_ATTENTION_CHUNK says (WebGPU: 256 by default), same result', async () => {
    expect([ditAttentionChunk('webgpu', {}), ditAttentionChunk('cuda', {}), ditAttentionChunk('cpu', {})]).toEqual([256, 0, 0]);
    expect(ditAttentionChunk('webgpu', { FLASHGRAPH_DIT_ATTENTION_CHUNK: '0' })).toBe(0);
    expect(() => ditAttentionChunk('cpu', { FLASHGRAPH_DIT_ATTENTION_CHUNK: 'lots' })).toThrow(/whole number of query tokens/);
    const { manager, text, clip } = await exercise('default');
    const call = ditCall(text, clip);
    const untiled = await networksFromPipe(pipe('default'), manager, { log: () => {} }).transformer(call as never);
    process.env.FLASHGRAPH_DIT_ATTENTION_CHUNK = '3';
    try {
      const tiled = await networksFromPipe(pipe('default'), manager, { log: () => {} }).transformer(call as never);
      expect(manager.loadedIds().filter((id) => id.startsWith('flashportrait/transformer:'))).toHaveLength(2);
      let worst = 0;
      for (let i = 0; i < untiled.length; i++) worst = Math.max(worst, Math.abs(untiled[i]! - tiled[i]!));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      delete process.env.FLASHGRAPH_DIT_ATTENTION_CHUNK;
      await manager.unloadAll();
    }
  });

  async function exercise(memoryMode: MemoryMode) {
    const manager = new ModelManager({ log: () => {} });
    const ran: NetworkName[] = [];
    const networks = networksFromPipe(pipe(memoryMode), manager, { log: () => {}, onNetwork: (name) => ran.push(name) });
    const text = (await networks.textEncoder('the man is singing')) as { shape: number[] };
    const loadedAfterText = manager.loadedIds().length;
    const clip = (await networks.clipImage(new Float32Array(3 * 32 * 32), 32, 32)) as { shape: number[] };
    const emotion = await networks.portraitEncoder({ features: new Float32Array(5 * 554), frameStart: 0, frameEnd: 5 });
    await networks.textEncoder('the man is singing');
    return { manager, ran, text, clip, emotion, loadedAfterText };
  }

  it('default mode keeps every network loaded; the prompt cache skips the text encoder', async () => {
    const { manager, ran, text, clip, emotion, loadedAfterText } = await exercise('default');
    expect(text.shape).toEqual([5, 32]); // "▁the ▁man ▁is ▁singing </s>"
    expect(clip.shape).toEqual([1, 257, 160]);
    expect([emotion.width, emotion.tokens.length]).toEqual([2048, 5 * 24 * 2048]);
    expect(loadedAfterText).toBe(1);
    expect(manager.loadedIds().length).toBe(3);
    expect(ran).toEqual(['text_encoder', 'image_encoder', 'portrait_encoder']);
    await manager.unloadAll();
  });

  it('model_cpu_offload_and_qfloat8 offloads and runs the DiT with 8-bit weights (uint8 files in the conversion cache)', async () => {
    const { manager, ran, text, clip } = await exercise('model_cpu_offload_and_qfloat8');
    expect(manager.loadedIds()).toHaveLength(1);
    const call = ditCall(text, clip);
    const q8 = await networksFromPipe(pipe('model_cpu_offload_and_qfloat8'), manager, { log: () => {} }).transformer(call as never);
    expect(manager.loadedIds()).toHaveLength(1);
    expect(manager.loadedIds()[0]).toMatch(/^flashportrait\/transformer:.*\+q8:/);
    const cached: string[] = [];
    const walk = (d: string): void => { for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name)); else cached.push(e.name); };
    walk(conversionCacheDir(pipe('default')));
    expect(cached.filter((f) => f.endsWith('.uint8.bin')).length).toBeGreaterThan(10);
    const f32 = await networksFromPipe(pipe('default'), manager, { log: () => {} }).transformer(call as never);
    let maxAbs = 0;
    for (let i = 0; i < f32.length; i++) maxAbs = Math.max(maxAbs, Math.abs(f32[i]! - q8[i]!));
    expect(q8.length).toBe(f32.length);
    expect(maxAbs).toBeGreaterThan(0);
    expect(maxAbs).toBeLessThan(0.25);
    expect(ran).toEqual(['text_encoder', 'image_encoder', 'portrait_encoder']);
    await manager.unloadAll();
  });

  it('the tiny VAE (fast mode) streams chunks of latent frames, with a warm-up, to the whole decode', async () => {
    const manager = new ModelManager({ log: () => {} });
    const tinyVae = join(modelFiles(models).flashPortraitDirectory, FAST_VAE_FILE);
    const networks = networksFromPipe(pipe('default'), manager, { log: () => {}, tinyVae });
    // More latent frames than a chunk plus its warm-up, so that later chunks start mid-clip.
    const shape = { channels: 16, frames: TINY_STREAM_CHUNK * 2 + TINY_STREAM_WARMUP + 3, height: 4, width: 6 };
    const latents = Float32Array.from({ length: 16 * shape.frames * 4 * 6 }, (_, i) => Math.sin(i * 0.61));
    const whole = await networks.vaeDecode(latents, shape);
    const chunks: PixelVideo[] = [];
    await networks.vaeDecodeChunks!(await LatentFrames.fromNoise(shape, latents, memoryRecords, 'latents'), (chunk) => { chunks.push(chunk); });
    // Chunks of TINY_STREAM_CHUNK latent frames (4 video frames each; the first loses the 3 trimmed), then the rest.
    const expected: number[] = [];
    for (let start = 0; start < shape.frames; start += TINY_STREAM_CHUNK) expected.push(4 * Math.min(TINY_STREAM_CHUNK, shape.frames - start) - (start === 0 ? 3 : 0));
    expect(chunks.map((c) => c.frames)).toEqual(expected);
    expect(worstFrameDifference(chunks, whole)).toBeLessThan(1e-5);
    await manager.unloadAll();
  });

  it('the Wan VAE decodes chunk by chunk (1 frame, then 4 per latent frame) to the whole decode', async () => {
    const manager = new ModelManager({ log: () => {} });
    const networks = networksFromPipe(pipe('default'), manager, { log: () => {} });
    const shape = { channels: 16, frames: 3, height: 4, width: 6 };
    const latents = Float32Array.from({ length: 16 * 3 * 4 * 6 }, (_, i) => Math.sin(i * 0.61));
    const whole = await networks.vaeDecode(latents, shape);
    const chunks: PixelVideo[] = [];
    await networks.vaeDecodeChunks!(await LatentFrames.fromNoise(shape, latents, memoryRecords, 'latents'), (chunk) => { chunks.push(chunk); });
    expect(chunks.map((c) => c.frames)).toEqual([1, 4, 4]);
    expect(chunks.reduce((n, c) => n + c.frames, 0)).toBe(whole.frames);
    const worst = worstFrameDifference(chunks, whole);
    expect(worst).toBeLessThan(1e-4);
    await manager.unloadAll();
  });

  it('the Wan VAE encodes streaming (frame 0, then 4 frames per call) to the whole-sequence encode', async () => {
    const manager = new ModelManager({ log: () => {} });
    const networks = networksFromPipe(pipe('default'), manager, { log: () => {} });
    const video = { frames: 9, height: 32, width: 48, data: Float32Array.from({ length: 3 * 9 * 32 * 48 }, (_, i) => Math.sin(i * 0.43)) };
    const streamed = await networks.vaeEncode(video);
    const vae = WanVae.open(modelFiles(models).vae, { log: () => {} });
    const whole = await vae.encode(createTensor('float32', [1, 3, 9, 32, 48], video.data));
    expect(streamed.length).toBe(16 * 3 * 4 * 6);
    let worst = 0;
    for (let i = 0; i < streamed.length; i++) worst = Math.max(worst, Math.abs(streamed[i]! - (whole.data as Float32Array)[i]!));
    expect(worst).toBeLessThan(1e-5);
    await vae.release();
    await manager.unloadAll();
  });

  it('sequential_cpu_offload keeps only the running network', async () => {
    const { manager, ran } = await exercise('sequential_cpu_offload');
    expect(manager.loadedIds()).toHaveLength(1);
    expect(manager.loadedIds()[0]).toMatch(/^flashportrait\/portrait_encoder:/);
    expect(ran).toEqual(['text_encoder', 'image_encoder', 'portrait_encoder']);
    await manager.unloadAll();
  });
});

/** The largest difference between consecutive chunks [3, n, H, W] and one whole video [3, F, H, W]. */
function worstFrameDifference(chunks: readonly PixelVideo[], whole: PixelVideo): number {
  const plane = whole.height * whole.width;
  let worst = 0;
  let frame = 0;
  for (const chunk of chunks) {
    for (let c = 0; c < 3; c++) {
      for (let f = 0; f < chunk.frames; f++) {
        for (let i = 0; i < plane; i++) worst = Math.max(worst, Math.abs(chunk.data[(c * chunk.frames + f) * plane + i]! - whole.data[(c * whole.frames + frame + f) * plane + i]!));
      }
    }
    frame += chunk.frames;
  }
  return frame === whole.frames ? worst : Infinity;
}
