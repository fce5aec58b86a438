import { describe, expect, it } from 'vitest';
import { readGoldenCase } from '../../helpers/golden-io.ts';
import { FaceDetector, decodeCandidates, detectorInput, hardNms, letterboxMatrix, postprocessDetections, projectBoxes } from '../../../nodes/flashportrait/features/detector.ts';
import { loadOnnxFile } from '../../../nodes/flashportrait/features/onnx-file.ts';
import { FACE, faceModelPath, floats, maxAbsDiff, meanAbsDiff, pixelsOf, rgbFrameOf } from './golden-frames.ts';

const det = readGoldenCase(FACE, 'det');
const synth = readGoldenCase(FACE, 'det_post_synth');
const LEVELS = ['cls_pred_stride_8', 'cls_pred_stride_16', 'cls_pred_stride_32', 'dis_pred_stride_8', 'dis_pred_stride_16', 'dis_pred_stride_32'];

function flatCandidates(c: ReturnType<typeof hardNms>): number[] {
  return c.flatMap((b) => [...b.box, b.score]);
}

describe.skipIf(!det)('face detector (golden det)', () => {
  it('letterbox matrices', () => {
    for (let i = 0; i < 4; i++) {
      const frame = pixelsOf(det!.inputs[`frame_${i}`]!);
      expect(maxAbsDiff(letterboxMatrix(frame.width, frame.height), floats(det!.outputs[`resize_m_${i}`]!))).toBeLessThan(1e-5);
    }
  });

  it('model input of frame 0 (OpenCV fixed-point warpPerspective)', () => {
    const { input } = detectorInput(rgbFrameOf(det!.inputs.frame_0!));
    const expected = floats(det!.outputs.det_input_0!);
    const actual = input.data as Float32Array;
    console.info(`det_input_0: max ${maxAbsDiff(actual, expected)}, mean ${meanAbsDiff(actual, expected)}`);
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-5);
  });

  it('decoding, NMS and boxes from the stored raw outputs', () => {
    for (let i = 0; i < 4; i++) {
      const raw = LEVELS.map((n) => floats(det!.outputs[`raw_${n}_${i}`]!));
      const cand = decodeCandidates(raw.slice(0, 3), raw.slice(3));
      expect(maxAbsDiff(flatCandidates(cand), floats(det!.outputs[`cand_${i}`]!))).toBeLessThan(1e-4);
      const picked = hardNms(cand);
      expect(maxAbsDiff(flatCandidates(picked), floats(det!.outputs[`picked_${i}`]!))).toBeLessThan(1e-4);
      const frame = pixelsOf(det!.inputs[`frame_${i}`]!);
      const m = letterboxMatrix(frame.width, frame.height);
      expect(maxAbsDiff(projectBoxes(picked, m, frame.width, frame.height).flat(), floats(det!.outputs[`warped_${i}`]!))).toBeLessThan(1e-4);
      const dets = postprocessDetections(raw, m, frame.width, frame.height);
      expect(dets.flatMap((d) => d.box)).toEqual([...floats(det!.outputs[`boxes_${i}`]!)]);
      expect(maxAbsDiff(dets.map((d) => d.score), floats(det!.outputs[`scores_${i}`]!))).toBeLessThan(1e-6);
    }
  });

  it('end to end through onnxruntime', async () => {
    const detector = new FaceDetector(await loadOnnxFile(faceModelPath('face_det.onnx')!));
    for (let i = 0; i < 4; i++) {
      const frame = rgbFrameOf(det!.inputs[`frame_${i}`]!);
      const raw = await detector.runRaw(detectorInput(frame).input);
      raw.forEach((t, k) => expect(maxAbsDiff(t.data as Float32Array, floats(det!.outputs[`raw_${LEVELS[k]}_${i}`]!))).toBeLessThan(1e-5));
      const dets = await detector.detect(frame);
      expect(dets.flatMap((d) => d.box)).toEqual([...floats(det!.outputs[`boxes_${i}`]!)]);
    }
  });
});

describe.skipIf(!synth)('face detector post-processing (golden det_post_synth)', () => {
  it('caps NMS at 200 candidates and clips to the frame', () => {
    const [h, w] = floats(synth!.inputs.raw_shape_hwc!) as unknown as [number, number];
    const raw = LEVELS.map((n) => floats(synth!.inputs[`raw_${n}`]!));
    const m = letterboxMatrix(w, h);
    expect(maxAbsDiff(m, floats(synth!.outputs.resize_m!))).toBeLessThan(1e-5);
    const cand = decodeCandidates(raw.slice(0, 3), raw.slice(3));
    expect(cand.length).toBe(synth!.caseJson.num_candidates_above_threshold);
    expect(maxAbsDiff(flatCandidates(cand), floats(synth!.outputs.cand!))).toBeLessThan(1e-4);
    expect(maxAbsDiff(flatCandidates(hardNms(cand)), floats(synth!.outputs.picked!))).toBeLessThan(1e-4);
    const dets = postprocessDetections(raw, m, w, h);
    expect(dets.length).toBe(synth!.caseJson.num_boxes);
    expect(dets.flatMap((d) => d.box)).toEqual([...floats(synth!.outputs.boxes!)]);
    expect(maxAbsDiff(dets.map((d) => d.score), floats(synth!.outputs.scores!))).toBeLessThan(1e-6);
  });
});
