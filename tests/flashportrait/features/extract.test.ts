// extractHeadEmoFeatures with stand-in models (no fixtures needed): pairing, padding, still clips,
// faceless videos. Frame i is a uniform grey of level 10*(i+1), or black where there is no face.
import { describe, expect, it } from 'vitest';
import { imageFromPixels } from '../../../types/data.ts';
import { extractHeadEmoFeatures } from '../../../nodes/flashportrait/features/extract.ts';
import type { HeadEmoModels } from '../../../nodes/flashportrait/features/extract.ts';
import type { Alignment, AlignStart } from '../../../nodes/flashportrait/features/landmarks.ts';
import type { PixelImage } from '../../../nodes/flashportrait/features/warp.ts';

const SIZE = 128;
const level = (i: number): number => 10 * (i + 1);

function video(count: number, faceless: ReadonlySet<number>) {
  const frame = SIZE * SIZE * 3;
  const data = new Uint8Array(count * frame);
  for (let i = 0; i < count; i++) if (!faceless.has(i)) data.fill(level(i), i * frame, (i + 1) * frame);
  return imageFromPixels(data, count, SIZE, SIZE, 'synthetic');
}

const hasFace = (frame: PixelImage): boolean => frame.data[0]! > 0;

/** 222 points spread over a 100x100 square, identical on every frame (a perfectly still face). */
function stillFacePoints(): Float32Array {
  const p = new Float32Array(444);
  for (let i = 0; i < 222; i++) { p[i * 2] = 14 + (i % 15) * (100 / 14); p[i * 2 + 1] = 14 + Math.floor(i / 15) * (100 / 14); }
  // Distinct, non-collinear PD-FGC points (pupils, nose, mouth corners) so the similarity is defined.
  const set = (i: number, x: number, y: number): void => { p[i * 2] = x; p[i * 2 + 1] = y; };
  set(182, 45, 45); set(202, 83, 45); set(36, 64, 66); set(149, 50, 85); set(133, 78, 85);
  return p;
}

function models(): HeadEmoModels & { encoded: number[] } {
  const encoded: number[] = [];
  return {
    encoded,
    detector: { detect: async (frame) => (hasFace(frame) ? [{ box: [14, 14, 114, 114] as const, score: 0.9 }] : []) },
    aligner: {
      align: async (frame: PixelImage, _start: AlignStart): Promise<Alignment> => ({
        points: stillFacePoints(), euler: new Float32Array(3), prob: hasFace(frame) ? 0.99 : 1e-6,
        matrix: [1, 0, 0, 0, 1, 0], rounds: [],
      }),
    },
    // A "feature" that identifies the frame: the encoder input's centre pixel (red channel, [-1, 1]).
    // A batch of `batch` faces gives `batch` rows.
    encoder: {
      headEmo: async (x: Float32Array, batch = 1) => {
        expect(x.length).toBe(batch * 3 * 224 * 224);
        const rows = new Float32Array(batch * 554);
        for (let b = 0; b < batch; b++) {
          const v = x[b * 3 * 224 * 224 + 112 * 224 + 112]!;
          encoded.push(v);
          rows.fill(v, b * 554, (b + 1) * 554);
        }
        return rows;
      },
    },
  };
}

const encodedLevel = (row: Float32Array, i: number): number => Math.round(((row[i * 554]! + 1) / 2) * 255);

describe('extractHeadEmoFeatures (stand-in models)', () => {
  it('keeps frames paired with their own face; faceless frames reuse the nearest face', async () => {
    const r = await extractHeadEmoFeatures(video(9, new Set([2, 3, 7])), models(), { contextSize: 5, contextOverlap: 1 });
    expect(r.frames).toBe(9);
    expect(r.faceFrames).toEqual([0, 1, 4, 5, 6, 8]);
    expect(r.rowFrames).toEqual([0, 1, 1, 4, 4, 5, 6, 6, 8]);
    expect(Array.from({ length: 9 }, (_, i) => encodedLevel(r.headEmo, i))).toEqual([0, 1, 1, 4, 4, 5, 6, 6, 8].map(level));
    expect(r.warnings.join('\n')).toMatch(/3 of 9 driving frames have no face/);
  });

  it('compat pairing reproduces the original drift (faceless frames warped with later landmarks)', async () => {
    const r = await extractHeadEmoFeatures(video(9, new Set([2, 3, 7])), models(), { contextSize: 5, contextOverlap: 1, compatOriginalPairing: true });
    // Six landmark sets zipped with frames 0..5, then the last row repeated: frames 2, 3 are black.
    expect(Array.from({ length: 9 }, (_, i) => encodedLevel(r.headEmo, i))).toEqual([level(0), level(1), 0, 0, level(4), level(5), level(5), level(5), level(5)]);
  });

  it('a perfectly still face never produces NaN', async () => {
    const r = await extractHeadEmoFeatures(video(5, new Set()), models(), { contextSize: 5, contextOverlap: 1 });
    expect(r.headEmo.some(Number.isNaN)).toBe(false);
    for (const l of r.landmarks) expect(l.some(Number.isNaN)).toBe(false);
  });

  it('pads short videos and says so; encodes each needed face once', async () => {
    const m = models();
    const r = await extractHeadEmoFeatures(video(5, new Set()), m, { contextSize: 51, contextOverlap: 30 });
    expect(r.shape).toEqual([1, 51, 554]);
    expect(r.rowFrames.slice(-3)).toEqual([4, 4, 4]);
    expect(m.encoded.length).toBe(5);
    expect(r.warnings.join('\n')).toMatch(/fewer than the 51 the windows need: the last feature row is repeated 46 times/);
  });

  it('no face anywhere is an error, not NaN features', async () => {
    await expect(extractHeadEmoFeatures(video(5, new Set([0, 1, 2, 3, 4])), models())).rejects.toThrow(/no face found in any of the 5 driving frames/);
  });

  it('context_overlap >= context_size is a validation error', async () => {
    await expect(extractHeadEmoFeatures(video(5, new Set()), models(), { contextSize: 8, contextOverlap: 8 })).rejects.toThrow(/must be smaller than context_size/);
  });
});

describe('extractHeadEmoFeatures: encoder batches, progress, abort', () => {
  it('batches faces into encoder calls without changing any row', async () => {
    const calls: number[] = [];
    const withCalls = (): HeadEmoModels & { encoded: number[] } => {
      const m = models();
      const headEmo = m.encoder.headEmo;
      return { ...m, encoder: { headEmo: (x, batch) => { calls.push(batch ?? 1); return headEmo(x, batch); } } };
    };
    const one = await extractHeadEmoFeatures(video(21, new Set([3])), withCalls(), { contextSize: 5, contextOverlap: 1, encoderBatch: 1 });
    expect(calls).toEqual(Array(20).fill(1));
    calls.length = 0;
    const batched = await extractHeadEmoFeatures(video(21, new Set([3])), withCalls(), { contextSize: 5, contextOverlap: 1, encoderBatch: 8 });
    expect(calls).toEqual([8, 8, 4]);
    expect(batched.headEmo).toEqual(one.headEmo);
    expect(Array.from({ length: 21 }, (_, i) => encodedLevel(batched.headEmo, i))).toEqual(batched.rowFrames.map(level));
  });

  it('reports progress after every frame of both passes and every encoder batch; abort stops between frames', async () => {
    const seen: string[] = [];
    await extractHeadEmoFeatures(video(9, new Set([2])), models(), { contextSize: 5, contextOverlap: 1, encoderBatch: 4, onProgress: (p) => seen.push(`${p.stage} ${p.done}/${p.total}`) });
    expect(seen).toEqual([
      ...Array.from({ length: 9 }, (_, i) => `detect ${i + 1}/9`),
      ...Array.from({ length: 8 }, (_, i) => `track ${i + 1}/8`),
      'encode 4/8', 'encode 8/8',
    ]);
    for (const [stage, at] of [['detect', 3], ['track', 2], ['encode', 4]] as const) {
      const controller = new AbortController();
      const m = models();
      const stages: string[] = [];
      const run = extractHeadEmoFeatures(video(9, new Set()), m, {
        contextSize: 5, contextOverlap: 1, encoderBatch: 4, signal: controller.signal,
        onProgress: (p) => { stages.push(p.stage); if (p.stage === stage && p.done === at) controller.abort(); },
      });
      await expect(run).rejects.toThrow(/abort/i);
      // Nothing after the frame (or batch) during which the abort came.
      expect(stages.at(-1)).toBe(stage);
      expect(stages.filter((s) => s === stage).length).toBe(stage === 'encode' ? 1 : at);
      if (stage === 'encode') expect(m.encoded.length).toBe(4);
    }
  });
});
