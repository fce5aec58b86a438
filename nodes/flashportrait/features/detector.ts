// The face detector (face_det.onnx, a NanoDet-style network): letterbox to 160x272, normalise,
// decode per-stride distance distributions, threshold, NMS, project boxes back to the frame.
import type { ModelSession } from '../../../server/ml/index.ts';
import { createTensor, toFloat32 } from '../../../server/ml/index.ts';
import type { Tensor } from '../../../server/ml/index.ts';
import { invert3x3 } from './affine.ts';
import type { PixelImage } from './warp.ts';
import { warpPerspective } from './warp.ts';
import type { StageTimer } from './timing.ts';
import { timed, timedAsync } from './timing.ts';

export const DET_INPUT_HEIGHT = 272;
export const DET_INPUT_WIDTH = 160;
const STRIDES = [8, 16, 32] as const;
const BINS = 8;
const SCORE_THRESHOLD = 0.4;
const IOU_THRESHOLD = 0.3;
const CANDIDATE_CAP = 200;
const PER_LEVEL_CAP = 1000;
// B, G, R order (the network takes BGR; frames are RGB, reordered as they are normalised).
const MEAN = [103.53, 116.28, 123.675];
const STD = [57.375, 57.12, 58.395];

/** A box `[x1, y1, x2, y2]` with its score. */
export interface ScoredBox {
  readonly box: readonly [number, number, number, number];
  readonly score: number;
}

export interface Detection {
  /** Frame pixel coordinates, truncated to integers as the original does. */
  readonly box: readonly [number, number, number, number];
  readonly score: number;
}

/** The letterbox matrix (3x3 row-major, frame -> 160x272 input), aspect kept, centred. */
export function letterboxMatrix(width: number, height: number): number[] {
  const ratio = width / height < DET_INPUT_WIDTH / DET_INPUT_HEIGHT ? DET_INPUT_HEIGHT / height : DET_INPUT_WIDTH / width;
  return [ratio, 0, DET_INPUT_WIDTH / 2 - (ratio * width) / 2, 0, ratio, DET_INPUT_HEIGHT / 2 - (ratio * height) / 2, 0, 0, 1];
}

/**
 * Per network channel (B, G, R), the normalised value of each byte: f32((f32(v / 255) - mean / 255) / (std / 255)),
 * the original's float32 steps. A pure function of the byte, so a table lookup gives the same bits.
 */
const NORMALISED = [0, 1, 2].map((c) => {
  const f = Math.fround;
  const mean = f(f(MEAN[c]!) / 255);
  const std = f(f(STD[c]!) / 255);
  return Float32Array.from({ length: 256 }, (_, v) => f(f(f(v / 255) - mean) / std));
}) as [Float32Array, Float32Array, Float32Array];

// The letterboxed frame, reused from call to call (detectorInput runs synchronously, so one is enough).
const letterboxed = new Uint8Array(DET_INPUT_WIDTH * DET_INPUT_HEIGHT * 3);

/** The network input (1,3,272,160) for an RGB frame (BGR planes), with the letterbox matrix used. */
export function detectorInput(frame: PixelImage): { input: Tensor; matrix: number[] } {
  const matrix = letterboxMatrix(frame.width, frame.height);
  const pixels = warpPerspective(frame, matrix, DET_INPUT_WIDTH, DET_INPUT_HEIGHT, { out: letterboxed }).data;
  const plane = DET_INPUT_WIDTH * DET_INPUT_HEIGHT;
  const data = new Float32Array(3 * plane);
  const [blue, green, red] = NORMALISED;
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    data[i] = blue[pixels[p + 2]!]!;
    data[plane + i] = green[pixels[p + 1]!]!;
    data[2 * plane + i] = red[pixels[p]!]!;
  }
  return { input: createTensor('float32', [1, 3, DET_INPUT_HEIGHT, DET_INPUT_WIDTH], data), matrix };
}

/**
 * Candidates above the threshold in input coordinates, level by level (stride 8, 16, 32), each level
 * by score descending. `scores[l]` has one value per anchor, `distances[l]` 32 per anchor.
 */
export function decodeCandidates(scores: readonly Float32Array[], distances: readonly Float32Array[]): ScoredBox[] {
  const out: ScoredBox[] = [];
  STRIDES.forEach((s, level) => {
    const cols = Math.ceil(DET_INPUT_WIDTH / s);
    const rows = Math.ceil(DET_INPUT_HEIGHT / s);
    const sc = scores[level]!; const dist = distances[level]!;
    if (sc.length !== rows * cols || dist.length !== rows * cols * 4 * BINS) {
      throw new Error(`face detector: stride ${s} gave ${sc.length} scores / ${dist.length} distances, expected ${rows * cols} / ${rows * cols * 4 * BINS}`);
    }
    const order = Array.from({ length: sc.length }, (_, i) => i).sort((a, b) => sc[b]! - sc[a]!).slice(0, PER_LEVEL_CAP);
    for (const n of order) {
      const score = sc[n]!;
      if (!(score > SCORE_THRESHOLD)) continue;
      const cx = (n % cols) * s; const cy = Math.floor(n / cols) * s;
      const side = [0, 0, 0, 0];
      for (let k = 0; k < 4; k++) {
        const logits = dist.subarray(n * 32 + k * BINS, n * 32 + (k + 1) * BINS);
        let max = -Infinity;
        for (const v of logits) if (v > max) max = v;
        let den = 0; let num = 0;
        for (let b = 0; b < BINS; b++) { const e = Math.exp(logits[b]! - max); den += e; num += b * e; }
        side[k] = (s * num) / den;
      }
      out.push({ box: [cx - side[0]!, cy - side[1]!, cx + side[2]!, cy + side[3]!], score });
    }
  });
  return out;
}

function area(b: readonly number[]): number {
  return Math.max(0, b[2]! - b[0]!) * Math.max(0, b[3]! - b[1]!);
}

/** Greedy NMS over the 200 best candidates; result in pick order (score descending). */
export function hardNms(candidates: readonly ScoredBox[]): ScoredBox[] {
  let remaining = [...candidates].sort((a, b) => a.score - b.score).slice(-CANDIDATE_CAP);
  const picked: ScoredBox[] = [];
  while (remaining.length > 0) {
    const current = remaining[remaining.length - 1]!;
    picked.push(current);
    remaining = remaining.slice(0, -1).filter((r) => {
      const inter = area([Math.max(r.box[0], current.box[0]), Math.max(r.box[1], current.box[1]), Math.min(r.box[2], current.box[2]), Math.min(r.box[3], current.box[3])]);
      return inter / (area(r.box) + area(current.box) - inter + 1e-5) <= IOU_THRESHOLD;
    });
  }
  return picked;
}

/** Input-space boxes back to the frame through the inverse letterbox, clipped, as float32. */
export function projectBoxes(boxes: readonly ScoredBox[], matrix: readonly number[], width: number, height: number): Array<[number, number, number, number]> {
  const inv = invert3x3(matrix);
  return boxes.map(({ box: [x1, y1, x2, y2] }) => {
    const xs: number[] = []; const ys: number[] = [];
    for (const [x, y] of [[x1, y1], [x2, y2], [x1, y2], [x2, y1]] as const) {
      const w = inv[6]! * x + inv[7]! * y + inv[8]!;
      xs.push((inv[0]! * x + inv[1]! * y + inv[2]!) / w);
      ys.push((inv[3]! * x + inv[4]! * y + inv[5]!) / w);
    }
    const clip = (v: number, hi: number): number => Math.fround(Math.min(hi, Math.max(0, v)));
    return [clip(Math.min(...xs), width), clip(Math.min(...ys), height), clip(Math.max(...xs), width), clip(Math.max(...ys), height)];
  });
}

function squeezeFloat(t: Tensor): Float32Array {
  return toFloat32(t).data as Float32Array;
}

export class FaceDetector {
  constructor(private readonly session: ModelSession, private readonly timer?: StageTimer) {}

  /** Raw network outputs in graph order (3 score tensors, then 3 distance tensors). */
  async runRaw(input: Tensor): Promise<Tensor[]> {
    const result = await timedAsync(this.timer, 'detector', () => this.session.run({ [this.session.inputNames[0]!]: input }));
    const outs = this.session.outputNames.map((n) => result[n]!);
    if (outs.length < 6) throw new Error(`face detector: expected 6 outputs, the model has ${outs.length}`);
    return outs;
  }

  async detect(frame: PixelImage): Promise<Detection[]> {
    const { input, matrix } = timed(this.timer, 'warp', () => detectorInput(frame));
    const raw = await this.runRaw(input);
    return postprocessDetections(raw.map(squeezeFloat), matrix, frame.width, frame.height);
  }
}

/** Everything after the network: decode, NMS, back-projection, integer truncation. */
export function postprocessDetections(raw: readonly Float32Array[], matrix: readonly number[], width: number, height: number): Detection[] {
  const picked = hardNms(decodeCandidates(raw.slice(0, 3), raw.slice(3, 6)));
  const boxes = projectBoxes(picked, matrix, width, height);
  return boxes.map((b, i) => ({ box: [Math.trunc(b[0]), Math.trunc(b[1]), Math.trunc(b[2]), Math.trunc(b[3])], score: picked[i]!.score }));
}
