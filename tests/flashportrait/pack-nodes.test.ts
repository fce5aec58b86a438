// FlashPortrait pack assembly: the released node schemas, seeded noise, networks from a pipe
// (model manager, offload modes, prompt cache) on the demo model set.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry } from '../../server/host.ts';
import type { NodeRegistry } from '../../server/runtime/registry.ts';
import { folderLayout } from '../../server/storage/folders.ts';
import { ModelManager } from '../../server/ml/model-manager.ts';
import { createTensor, openWeights, writeSafetensors } from '../../server/ml/index.ts';
import { writeDemoModelSet } from '../../nodes/flashportrait/demo/demo-models.ts';
import { modelFiles } from '../../nodes/flashportrait/model-files.ts';
import { clipConfigFromWeights, networksFromPipe, umt5ConfigFromWeights } from '../../nodes/flashportrait/pipe-networks.ts';
import type { NetworkName } from '../../nodes/flashportrait/pipe-networks.ts';
import { seededNormal, seedToUint64 } from '../../nodes/flashportrait/seeded-noise.ts';
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
    expect(() => openWeights(junk)).toThrow(/legacy/);
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

  it('sequential_cpu_offload keeps only the running network', async () => {
    const { manager, ran } = await exercise('sequential_cpu_offload');
    expect(manager.loadedIds()).toHaveLength(1);
    expect(manager.loadedIds()[0]).toMatch(/^flashportrait\/portrait_encoder:/);
    expect(ran).toEqual(['text_encoder', 'image_encoder', 'portrait_encoder']);
    await manager.unloadAll();
  });
});
