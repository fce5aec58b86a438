import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGoldenCase } from '../../helpers/golden-io.ts';
import { imageFromPixels } from '../../../types/data.ts';
import type { Image } from '../../../types/data.ts';
import { extractHeadEmoFeatures, nearestFaceFrame } from '../../../nodes/flashportrait/features/extract.ts';
import { comfyFloatToUint8 } from '../../../nodes/flashportrait/features/frames.ts';
import { loadHeadEmoModels } from '../../../nodes/flashportrait/features/models.ts';
import type { LoadedHeadEmoModels } from '../../../nodes/flashportrait/features/models.ts';
import { FACE, e2eFrame, faceModelPath, floats, maxAbsDiff, meanAbsDiff } from './golden-frames.ts';
import { trackFaces } from '../../../nodes/flashportrait/features/face-track.ts';

const e2e = readGoldenCase(FACE, 'e2e_node');
const cacheDir = mkdtempSync(join(tmpdir(), 'fg-face-e2e-'));
let models: LoadedHeadEmoModels;
let images: Image;

beforeAll(async () => {
  if (!e2e) return;
  models = await loadHeadEmoModels({ faceDetector: faceModelPath('face_det.onnx')!, faceLandmarks: faceModelPath('face_landmark.onnx')!, pdfgc: faceModelPath('pd_fpg.pth')!, cacheDir });
  const t = e2e.inputs.images!;
  const [b, h, w] = t.shape as [number, number, number];
  images = imageFromPixels(comfyFloatToUint8(floats(t)), b, w, h, 'e2e_node');
});
afterAll(async () => {
  await models?.release();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe.skipIf(!e2e)('whole feature extractor (golden e2e_node)', () => {
  it('reproduces the original node, frame/landmark drift included (compat pairing)', async () => {
    const { context_size: contextSize, context_overlap: contextOverlap, returned_total_frames: frames } = e2e!.caseJson as Record<string, number>;
    const r = await extractHeadEmoFeatures(images, models, { contextSize: contextSize!, contextOverlap: contextOverlap!, compatOriginalPairing: true });
    const out = e2e!.outputs;
    expect(r.frames).toBe(frames);
    expect(r.faceFrames).toEqual([...floats(out.landmark_frame_index!)]);
    expect(r.rowFrames.slice(0, 4)).toEqual([...floats(out.feature_frame_index!)]);
    const lm = new Float32Array(r.landmarks.length * 444);
    r.landmarks.forEach((l, i) => lm.set(l, i * 444));
    const stage1 = [...r.stage1Rects.values()].flat();
    // README §11, whole node without an OpenCV-exact PD-FGC warp (the closed-form similarity moves
    // a few pixels of the 224 face by one level): landmarks ~5e-2 px, head_emo 0.1 max, 0.03 mean.
    // Every crop is bit-exact; the rest is float32 rounding that the tracking feedback amplifies.
    const lmDiff = maxAbsDiff(lm, floats(out.landmarks!));
    const rectDiff = maxAbsDiff(stage1, floats(out.stage1_rects!));
    const emoMax = maxAbsDiff(r.headEmo, floats(out.head_emo!));
    const emoMean = meanAbsDiff(r.headEmo, floats(out.head_emo!));
    console.info(`e2e: stage1 rects ${rectDiff.toExponential(2)} px, landmarks ${lmDiff.toExponential(2)} px, head_emo max ${emoMax.toExponential(2)} mean ${emoMean.toExponential(2)}`);
    expect(rectDiff).toBeLessThanOrEqual(5e-2);
    expect(lmDiff).toBeLessThanOrEqual(5e-2);
    expect(emoMax).toBeLessThanOrEqual(0.1);
    expect(emoMean).toBeLessThanOrEqual(0.03);
    // Structure: every row after 3 repeats row 3 exactly.
    for (let i = 4; i < frames!; i++) expect(r.headEmo.subarray(i * 554, (i + 1) * 554)).toEqual(r.headEmo.subarray(3 * 554, 4 * 554));
  });

  it('fixed pairing: every frame keeps its own face; the blank frame reuses its nearest face', async () => {
    const { context_size: contextSize, context_overlap: contextOverlap } = e2e!.caseJson as Record<string, number>;
    const r = await extractHeadEmoFeatures(images, models, { contextSize: contextSize!, contextOverlap: contextOverlap! });
    expect(r.faceFrames).toEqual([0, 2, 3, 4]);
    // Frame 1 (blank) takes frame 0's face (tie between 0 and 2 goes to the earlier frame).
    expect(r.rowFrames.slice(0, 6)).toEqual([0, 0, 2, 3, 4, 4]);
    expect(r.warnings.join('\n')).toMatch(/1 of 5 driving frames have no face/);
    const row = (i: number): Float32Array => r.headEmo.subarray(i * 554, (i + 1) * 554);
    expect([...row(1)]).toEqual([...row(0)]);
    expect(r.headEmo.some(Number.isNaN)).toBe(false);
    // The original paired frame 0 correctly and then drifted: its row 1 is the blank frame warped
    // with frame 2's landmarks, its row 2 frame 2 with frame 3's. Ours match where the pairing agrees.
    const golden = floats(e2e!.outputs.head_emo_rows!);
    const orig = (i: number): Float32Array => golden.subarray(i * 554, (i + 1) * 554);
    console.info(`fixed vs original rows: 0/0 ${maxAbsDiff(row(0), orig(0))}, 2/2 ${maxAbsDiff(row(2), orig(2))}, 3/2 ${maxAbsDiff(row(3), orig(2))}, 1/1 ${maxAbsDiff(row(1), orig(1))}`);
    expect(maxAbsDiff(row(0), orig(0))).toBeLessThanOrEqual(0.1);
    // Where the original's pairing was wrong the rows differ structurally (O(1), README §11).
    expect(maxAbsDiff(row(1), orig(1))).toBeGreaterThan(1);
    expect(maxAbsDiff(row(2), orig(2))).toBeGreaterThan(0.3);
  });

  it('tracker decisions per frame match the original log (detector runs, seeds, survivors)', async () => {
    const rgb = [0, 1, 2, 3, 4].map((i) => e2eFrame(e2e!.inputs.images!, i));
    const track = await trackFaces(async function* (only) {
      for (let i = 0; i < rgb.length; i++) if (!only || only.has(i)) yield [i, rgb[i]!] as const;
    }, models.detector, models.aligner);
    type Logged = { detector_ran: boolean; used_pre_rect: boolean; survivors: Array<{ kind: string; face_rect: number[] }> };
    const json = e2e!.caseJson as { stage1: Logged[]; stage2: Logged[] };
    for (const stage of ['stage1', 'stage2'] as const) {
      expect(track.log[stage].length).toBe(json[stage].length);
      track.log[stage].forEach((step, i) => {
        const g = json[stage][i]!;
        expect(step.detectorRan).toBe(g.detector_ran);
        expect(step.usedSeed).toBe(g.used_pre_rect);
        expect(step.faces.map((f) => f.kind)).toEqual(g.survivors.map((s) => s.kind));
        step.faces.forEach((f, k) => expect(maxAbsDiff(f.rect, g.survivors[k]!.face_rect)).toBeLessThan(5e-2));
      });
    }
  });

  it('nearest face frame: ties go to the earlier frame', () => {
    expect(nearestFaceFrame(8, [2, 5])).toEqual([2, 2, 2, 2, 5, 5, 5, 5]);
    expect(nearestFaceFrame(3, [1])).toEqual([1, 1, 1]);
  });

  it('a video without any face is a clear error', async () => {
    const blank = imageFromPixels(new Uint8Array(5 * 128 * 128 * 3), 5, 128, 128, 'blank');
    await expect(extractHeadEmoFeatures(blank, models)).rejects.toThrow(/no face found/);
  });

  it('reports progress per stage and stops when aborted', async () => {
    const seen: string[] = [];
    // Encoder progress comes per batch: one batch of 4 faces by default, one per face with batch 1.
    await extractHeadEmoFeatures(images, models, { onProgress: (p) => seen.push(`${p.stage} ${p.done}/${p.total}`) });
    const tracking = ['detect 1/5', 'detect 2/5', 'detect 3/5', 'detect 4/5', 'detect 5/5', 'track 1/4', 'track 2/4', 'track 3/4', 'track 4/4'];
    expect(seen).toEqual([...tracking, 'encode 4/4']);
    seen.length = 0;
    await extractHeadEmoFeatures(images, models, { encoderBatch: 1, onProgress: (p) => seen.push(`${p.stage} ${p.done}/${p.total}`) });
    expect(seen).toEqual([...tracking, 'encode 1/4', 'encode 2/4', 'encode 3/4', 'encode 4/4']);
    const controller = new AbortController();
    const run = extractHeadEmoFeatures(images, models, { signal: controller.signal, onProgress: (p) => { if (p.stage === 'detect' && p.done === 2) controller.abort(); } });
    await expect(run).rejects.toThrow(/abort/i);
  });

  it('overlap == context size is rejected before any work', async () => {
    await expect(extractHeadEmoFeatures(images, models, { contextSize: 4, contextOverlap: 4 })).rejects.toThrow(/must be smaller than context_size/);
  });
});
