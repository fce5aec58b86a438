import { describe, expect, it } from 'vitest';
import { readGoldenCase } from '../../helpers/golden-io.ts';
import { FaceAligner } from '../../../nodes/flashportrait/features/landmarks.ts';
import type { Box } from '../../../nodes/flashportrait/features/landmarks.ts';
import { loadOnnxFile } from '../../../nodes/flashportrait/features/onnx-file.ts';
import { FACE, e2eFrame, faceModelPath, floats, maxAbsDiff } from './golden-frames.ts';

const align = readGoldenCase(FACE, 'align');
const e2e = readGoldenCase(FACE, 'e2e_node');

describe.skipIf(!align || !e2e)('landmark alignment (golden align)', () => {
  it.each(['a', 'b'] as const)('mode %s: every round and the result', async (mode) => {
    const aligner = new FaceAligner(await loadOnnxFile(faceModelPath('face_landmark.onnx')!));
    const frame = e2eFrame(e2e!.inputs.images!, Number(floats(align!.inputs[`frame_${mode}_index`]!)[0]));
    const start = mode === 'a' ? { box: [...floats(align!.inputs.face_box!)] as unknown as Box } : { points: floats(align!.inputs.pre_pts!) };
    const result = await aligner.align(frame, start);
    const out = align!.outputs;
    result.rounds.forEach((r, k) => {
      expect(maxAbsDiff(r.matrix, floats(out[`${mode}_M_${k}`]!)), `M_${k}`).toBeLessThan(2e-4);
      expect(maxAbsDiff(r.rawLandmark, floats(out[`${mode}_raw_landmark_${k}`]!)), `landmark_${k}`).toBeLessThan(1e-5);
      expect(maxAbsDiff(r.rawEuler, floats(out[`${mode}_raw_euler_${k}`]!))).toBeLessThan(1e-5);
      expect(maxAbsDiff(r.rawProb, floats(out[`${mode}_raw_prob_${k}`]!))).toBeLessThan(1e-5);
      expect(maxAbsDiff(r.points, floats(out[`${mode}_pts_${k}`]!)), `pts_${k}`).toBeLessThan(2e-4);
    });
    if (mode === 'b') expect(maxAbsDiff(result.rounds[0]!.crop.data, floats(out.b_crop_0!))).toBe(0);
    expect(maxAbsDiff(result.points, floats(out[`${mode}_pt222`]!))).toBeLessThan(2e-4);
    expect(maxAbsDiff(result.euler, floats(out[`${mode}_euler_rad`]!))).toBeLessThan(1e-5);
    expect(Math.abs(result.prob - floats(out[`${mode}_prob`]!)[0]!)).toBeLessThan(1e-5);
  });
});
