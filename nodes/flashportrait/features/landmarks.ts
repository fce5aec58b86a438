// The 222-point landmark model (face_landmark.onnx): three rounds of rotated 128x128 crops, each
// centred on the previous round's points; landmarks back-projected to the frame.
import type { ModelSession } from '../../../server/ml/index.ts';
import { createTensor, toFloat32 } from '../../../server/ml/index.ts';
import type { Affine } from './affine.ts';
import { invertAffine, rotationMatrix, transformPointsF32 } from './affine.ts';
import type { PixelImage } from './warp.ts';
import { warpAffine } from './warp.ts';
import type { StageTimer } from './timing.ts';
import { timed, timedAsync } from './timing.ts';

export const LANDMARK_COUNT = 222;
const f = Math.fround;
const CROP = 128;
const FILL = 0.85;
const ITERATIONS = 3;
// Outer eye corners: the in-plane roll is measured along the line between them.
const LEFT_EYE_CORNER = 74;
const RIGHT_EYE_CORNER = 96;

export type Box = readonly [number, number, number, number];

/**
 * Where alignment starts: a detector box (integers, angle 0), a landmark rectangle (float32, as the
 * tracker keeps them; the original then computes the crop in float32) or the previous frame's points.
 */
export type AlignStart = { readonly box: Box } | { readonly rect: Box } | { readonly points: Float32Array };

export interface AlignRound {
  readonly matrix: Affine;
  /** The 128x128 crop in BGR, as the network (and the original) takes it. */
  readonly crop: PixelImage;
  readonly rawLandmark: Float32Array;
  readonly rawEuler: Float32Array;
  readonly rawProb: Float32Array;
  readonly points: Float32Array;
}

export interface Alignment {
  /** 222 points in frame pixels, interleaved x,y (float32). */
  readonly points: Float32Array;
  /** [pitch, yaw, roll] radians; roll is the residual roll measured in the last crop. */
  readonly euler: Float32Array;
  readonly prob: number;
  readonly matrix: Affine;
  readonly rounds: readonly AlignRound[];
}

/**
 * atan2 of the eye-corner line (radians), as the original measures roll: float32 coordinate
 * differences, the angle in float64 (callers storing it in float32 round it themselves).
 */
export function eyeLineRoll(points: Float32Array): number {
  const dy = f(points[RIGHT_EYE_CORNER * 2 + 1]! - points[LEFT_EYE_CORNER * 2 + 1]!);
  const dx = f(points[RIGHT_EYE_CORNER * 2]! - points[LEFT_EYE_CORNER * 2]!);
  return Math.atan2(dy, dx + 1e-8);
}

/** np.rad2deg on a float32. */
function toDegreesF32(rad: number): number {
  return Math.fround(Math.fround(rad) * Math.fround(180 / Math.PI));
}

function boundsF32(points: Float32Array): { minX: number; minY: number; maxX: number; maxY: number } {
  let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
  for (let i = 0; i < points.length; i += 2) {
    const x = points[i]!; const y = points[i + 1]!;
    if (x < minX) minX = x; if (x > maxX) maxX = x;
    if (y < minY) minY = y; if (y > maxY) maxY = y;
  }
  return { minX, minY, maxX, maxY };
}

function centreF32(points: Float32Array): [number, number] {
  const b = boundsF32(points);
  return [f(f(b.minX + b.maxX) / 2), f(f(b.minY + b.maxY) / 2)];
}

/**
 * Crop matrix for a box: centred, the longer side filling 85% of the crop, no rotation. `float32`:
 * the box holds float32 values, whose sums and differences numpy keeps in float32.
 */
export function boxCropMatrix(box: Box, float32 = false): Affine {
  const r = float32 ? Math.fround : (v: number): number => v;
  const [x1, y1, x2, y2] = box;
  const cx = r(x1 + x2) / 2; const cy = r(y1 + y2) / 2;
  const scale = (CROP / Math.max(r(x2 - x1), r(y2 - y1))) * FILL;
  const m = rotationMatrix(cx, cy, 0, scale);
  m[2] += CROP / 2 - cx; m[5] += CROP / 2 - cy;
  return m;
}

/** Crop matrix for points rotated by `degrees`: the rotated points' extent fills 85% of the crop. */
export function pointsCropMatrix(points: Float32Array, degrees: number): Affine {
  const [cx, cy] = centreF32(points);
  const upright = boundsF32(transformPointsF32(points, rotationMatrix(cx, cy, degrees, 1)));
  // Array reductions stay float32; scalar arithmetic on them is float64 (numpy 1.x promotion).
  const scale = (CROP / Math.max(f(upright.maxX - upright.minX), f(upright.maxY - upright.minY))) * FILL;
  const m = rotationMatrix(cx, cy, degrees, scale);
  const [px, py] = centreF32(transformPointsF32(points, m));
  m[2] += CROP / 2 - px; m[5] += CROP / 2 - py;
  return m;
}

// Byte -> float32 v / 255 (the crop's network input), as a table.
const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** The crop (HWC BGR bytes) as the network's planar (3,128,128) float32 input in 0..1. */
function cropInput(crop: PixelImage): Float32Array {
  const plane = CROP * CROP;
  const out = new Float32Array(3 * plane);
  const d = crop.data;
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    out[i] = UNIT[d[p]!]!;
    out[plane + i] = UNIT[d[p + 1]!]!;
    out[2 * plane + i] = UNIT[d[p + 2]!]!;
  }
  return out;
}

export class FaceAligner {
  constructor(private readonly session: ModelSession, private readonly timer?: StageTimer) {}

  async align(frame: PixelImage, start: AlignStart): Promise<Alignment> {
    const rounds: AlignRound[] = [];
    let points = 'points' in start ? start.points : undefined;
    let degrees = points ? (eyeLineRoll(points) * 180) / Math.PI : 0;
    let euler = new Float32Array(3);
    let prob = 0;
    for (let k = 0; k < ITERATIONS; k++) {
      const matrix = points ? pointsCropMatrix(points, degrees) : 'box' in start ? boxCropMatrix(start.box) : boxCropMatrix((start as { rect: Box }).rect, true);
      // The network (and the original's crop) is BGR: the warp writes the RGB frame's channels reversed.
      const crop = timed(this.timer, 'warp', () => warpAffine(frame, matrix, CROP, CROP, 'linear', { reverseChannels: true }));
      const input = timed(this.timer, 'warp', () => createTensor('float32', [1, 3, CROP, CROP], cropInput(crop)));
      const result = await timedAsync(this.timer, 'landmarks', () => this.session.run({ [this.session.inputNames[0]!]: input }));
      const [landmarkName, eulerName, probName] = this.session.outputNames;
      if (!landmarkName || !eulerName || !probName) throw new Error('face landmark model: expected 3 outputs (landmarks, euler angles, probability)');
      const rawLandmark = toFloat32(result[landmarkName]!).data as Float32Array;
      const rawEuler = toFloat32(result[eulerName]!).data as Float32Array;
      const rawProb = toFloat32(result[probName]!).data as Float32Array;
      // Planar x_0..x_221, y_0..y_221 in crop units.
      const cropPoints = new Float32Array(LANDMARK_COUNT * 2);
      for (let i = 0; i < LANDMARK_COUNT; i++) {
        cropPoints[i * 2] = Math.fround(rawLandmark[i]! * CROP);
        cropPoints[i * 2 + 1] = Math.fround(rawLandmark[LANDMARK_COUNT + i]! * CROP);
      }
      const roll = eyeLineRoll(cropPoints);
      euler = Float32Array.from([rawEuler[0]!, rawEuler[1]!, roll]);
      prob = rawProb[0]!;
      points = transformPointsF32(cropPoints, invertAffine(matrix));
      // The original feeds the residual roll of this crop back as an absolute angle (README §9.5).
      degrees = toDegreesF32(euler[2]!);
      rounds.push({ matrix, crop, rawLandmark, rawEuler, rawProb, points });
    }
    return { points: points!, euler, prob, matrix: rounds[rounds.length - 1]!.matrix, rounds };
  }
}
