import { describe, expect, it } from 'vitest';
import { compareTensor, readGoldenCase } from '../../helpers/golden-io.ts';
import { createTensor } from '../../../server/ml/index.ts';
import { LandmarkSmoother } from '../../../nodes/flashportrait/features/smoother.ts';
import { FACE, floats } from './golden-frames.ts';

const golden = readGoldenCase(FACE, 'smoother');
const FRAME = 222 * 2;

function runSmoother(points: Float32Array, faceDis: Float32Array, compat: boolean): Float32Array {
  const smoother = new LandmarkSmoother({ compat });
  const out = new Float32Array(points.length);
  for (let t = 0; t < faceDis.length; t++) out.set(smoother.smooth(points.subarray(t * FRAME, (t + 1) * FRAME), faceDis[t]!), t * FRAME);
  return out;
}

describe.skipIf(!golden)('landmark smoother (golden smoother)', () => {
  it('all regimes over 6 calls', () => {
    const out = runSmoother(floats(golden!.inputs.points!), floats(golden!.inputs.face_dis!), false);
    const report = compareTensor('smoothed', createTensor('float32', [6, 222, 2], out), golden!.outputs.smoothed!, 2e-4);
    console.info(`smoothed: max abs ${report.maxAbs}`);
    expect(report.pass).toBe(true);
  });

  it('compat: zero motion gives the original NaN', () => {
    const out = runSmoother(floats(golden!.inputs.zero_points!), floats(golden!.inputs.zero_face_dis!), true);
    const report = compareTensor('zero_smoothed', createTensor('float32', [3, 222, 2], out), golden!.outputs.zero_smoothed!, 2e-4);
    expect(report.nanMismatches).toBe(0);
    expect(report.pass).toBe(true);
    expect(out.some(Number.isNaN)).toBe(true);
  });

  it('fixed: zero motion keeps the previous points, never NaN', () => {
    const points = floats(golden!.inputs.zero_points!);
    const out = runSmoother(points, floats(golden!.inputs.zero_face_dis!), false);
    expect(out.some(Number.isNaN)).toBe(false);
    // Frame 1 repeats frame 0 exactly: the output stays where it was.
    expect([...out.subarray(FRAME, 2 * FRAME)]).toEqual([...out.subarray(0, FRAME)]);
  });
});
