// FlashPortraitFeatureExtractor as a node, on the demo stand-in models and the demo face computed in
// memory: one monotonic progress bar with a step per frame, and an interrupt that stops between frames.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDemoModelSet } from '../../../nodes/flashportrait/demo/demo-models.ts';
import { demoDrivingFrames } from '../../../nodes/flashportrait/demo/demo-frames.ts';
import { FlashPortraitFeatureExtractor } from '../../../nodes/flashportrait/feature-extractor-node.ts';
import type { NodeContext } from '../../../server/runtime/schema.ts';
import { ModelManager } from '../../../server/ml/model-manager.ts';
import type { FaceAlignModels } from '../../../nodes/flashportrait/types.ts';

const base = mkdtempSync(join(tmpdir(), 'fg-fe-node-'));
const { directory } = writeDemoModelSet(join(base, 'models'), 0);
const fp = join(directory, 'FlashPortrait');
const faceModels: FaceAlignModels = { kind: 'FACE_ALIGN_MODELS', detector: join(fp, 'face_det.onnx'), landmarks: join(fp, 'face_landmark.onnx'), expressionEncoder: join(fp, 'pd_fpg.pth') };
const manager = new ModelManager();
afterAll(async () => {
  await manager.unloadAll();
  rmSync(base, { recursive: true, force: true });
});

function context(onProgress: (value: number, max: number) => void, controller = new AbortController()): NodeContext {
  return {
    nodeId: '3', promptId: 'p', expansionPrefix: '3.0.', prompt: {}, extraData: {},
    signal: controller.signal,
    throwIfInterrupted: () => controller.signal.throwIfAborted(),
    progress: onProgress,
    storage: undefined as never,
    services: { models: manager },
  } as NodeContext;
}

const inputs = (frames: number) => ({ face_align_models: faceModels, images: demoDrivingFrames(frames), source_fps: 25, context_size: 5, context_overlap: 1 });

describe('FlashPortraitFeatureExtractor node: progress and interrupt', () => {
  it('progress advances once per frame of each tracking pass and per encoder batch, never going back', async () => {
    const seen: Array<[number, number]> = [];
    const [features, fps, total] = await FlashPortraitFeatureExtractor.execute(inputs(9), context((v, m) => seen.push([v, m]))) as unknown[];
    expect(total).toBe(9);
    expect(fps).toBe(25);
    expect((features as { data: Float32Array }).data.length).toBe(9 * 554);
    // Every demo frame has a face: 9 detect steps, 9 track steps, 1 encoder batch of 9 faces.
    expect(seen).toEqual([
      ...Array.from({ length: 9 }, (_, i) => [i + 1, 27]),
      ...Array.from({ length: 9 }, (_, i) => [10 + i, 27]),
      [27, 27],
    ]);
  }, 20_000);

  it('an interrupt during pass 1 stops at the next frame', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = FlashPortraitFeatureExtractor.execute(inputs(13), context((v) => { seen.push(v); if (v === 3) controller.abort(); }, controller));
    await expect(run).rejects.toThrow(/abort/i);
    expect(seen).toEqual([1, 2, 3]);
  }, 20_000);
});
