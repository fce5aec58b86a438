import { describe, expect, it } from 'vitest';
import { readGoldenCase } from '../../helpers/golden-io.ts';
import { FramePlanError, findReplacement, outputRowSources, planFrames } from '../../../nodes/flashportrait/features/frame-count.ts';
import { comfyFloatToUint8 } from '../../../nodes/flashportrait/features/frames.ts';
import { FACE, floats } from './golden-frames.ts';

interface Row {
  n_input_frames: number; n_frames_with_face: number | null; context_size: number; context_overlap: number;
  num_frames_after_find_replacement: number; stride: number; final_num_frames?: number;
  head_emo_shape?: number[]; source_row_per_output_row?: number[]; error?: string;
}

const golden = readGoldenCase(FACE, 'frame_count');

describe.skipIf(!golden)('frame count arithmetic (golden frame_count)', () => {
  // The body is collected even when skipped: no fixture, no rows.
  const json = (golden?.caseJson ?? { rows: [], find_replacement: {} }) as { rows: Row[]; find_replacement: Record<string, number> };

  it('findReplacement 0..21', () => {
    for (const [n, expected] of Object.entries(json.find_replacement)) expect(findReplacement(Number(n))).toBe(expected);
  });

  it.each(json.rows.map((r) => [`${r.n_input_frames} frames, ${r.n_frames_with_face ?? 'all'} faces, cs ${r.context_size}, overlap ${r.context_overlap}`, r] as const))('%s', (_name, row) => {
    const run = (): ReturnType<typeof planFrames> => planFrames(row.n_input_frames, row.context_size, row.context_overlap, { compat: true });
    expect(findReplacement(row.n_input_frames)).toBe(row.num_frames_after_find_replacement);
    if (row.error) {
      expect(run).toThrow(FramePlanError);
      expect(run).toThrow(row.error.startsWith('ZeroDivision') ? /division by zero/ : /no frames/);
      return;
    }
    const plan = run();
    expect(plan.usedFrames).toBe(row.num_frames_after_find_replacement);
    expect(plan.stride).toBe(row.stride);
    expect(plan.finalFrames).toBe(row.final_num_frames);
    // The stubbed node gave frames [0, faces) a face: the first `faces` frames yield one row each.
    const rows = Math.min(plan.usedFrames, row.n_frames_with_face ?? plan.usedFrames);
    expect(outputRowSources(rows, plan.finalFrames)).toEqual(row.source_row_per_output_row);
    expect(row.head_emo_shape).toEqual([1, plan.finalFrames, 554]);
  });

  it('IMAGE float -> uint8 truncates like astype(uint8)', () => {
    expect([...comfyFloatToUint8(floats(golden!.inputs.image_values!))]).toEqual([...floats(golden!.outputs.image_values_u8!)]);
  });
});

describe('frame plan validation (fixes of the original)', () => {
  it('overlap == context size is a validation error even when the clip is short', () => {
    expect(() => planFrames(3, 4, 4)).toThrow(/must be smaller than context_size/);
    expect(() => planFrames(9, 4, 4)).toThrow(/must be smaller than context_size/);
    expect(() => planFrames(13, 5, 7)).toThrow(/must be smaller than context_size/);
  });

  it('says so when rows are padded past the input, and when frames are dropped', () => {
    const short = planFrames(1, 51, 30);
    expect(short.finalFrames).toBe(51);
    expect(short.warnings.join('\n')).toMatch(/last feature row is repeated 50 times/);
    const long = planFrames(201, 51, 30);
    expect(long.finalFrames).toBe(198);
    expect(long.warnings.join('\n')).toMatch(/last 3 driving frames/);
    expect(planFrames(93, 51, 30).warnings).toEqual([]);
  });

  it('no frames is an error', () => {
    expect(() => planFrames(0, 51, 30)).toThrow(/no frames/);
  });
});
