// PD-FGC face alignment: a similarity transform from five landmarks (pupils, nose tip, mouth
// corners) to a fixed 224x224 template, a bicubic warp, and the encoder's [-1, 1] RGB input.
import type { Affine } from './affine.ts';
import type { PixelImage } from './warp.ts';
import { warpAffine } from './warp.ts';

export const PDFGC_SIZE = 224;
/** Left pupil, right pupil, nose tip, left mouth corner, right mouth corner (222-point indices). */
export const PDFGC_POINTS = [182, 202, 36, 149, 133] as const;
const TEMPLATE = [[0.3843, 0.27], [0.62, 0.2668], [0.503, 0.4185], [0.406, 0.5273], [0.5977, 0.525]] as const;

/**
 * Least-squares similarity (rotation, uniform scale, translation) mapping `src` onto `dst`, in
 * closed form. The original uses Umeyama's SVD route with a transposition slip that only cancels
 * for non-mirrored point sets (README §9.4); this gives the same transform there, and the right one
 * everywhere.
 */
export function similarityTransform(src: ReadonlyArray<readonly [number, number]>, dst: ReadonlyArray<readonly [number, number]>): Affine {
  const n = src.length;
  let sx = 0; let sy = 0; let dx = 0; let dy = 0;
  for (let i = 0; i < n; i++) { sx += src[i]![0]; sy += src[i]![1]; dx += dst[i]![0]; dy += dst[i]![1]; }
  sx /= n; sy /= n; dx /= n; dy /= n;
  let dot = 0; let cross = 0; let norm = 0;
  for (let i = 0; i < n; i++) {
    const ax = src[i]![0] - sx; const ay = src[i]![1] - sy;
    const bx = dst[i]![0] - dx; const by = dst[i]![1] - dy;
    dot += ax * bx + ay * by;
    cross += ax * by - ay * bx;
    norm += ax * ax + ay * ay;
  }
  if (!(norm > 0)) throw new Error('similarity transform: the source points coincide');
  const a = dot / norm; const b = cross / norm;
  return [a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy)];
}

// Byte -> (v / 255) * 2 - 1 in float64, stored as float32 (the encoder input), as a table.
const SIGNED_UNIT = Float32Array.from({ length: 256 }, (_, v) => (v / 255) * 2 - 1);

/** The PD-FGC warp matrix for 222 interleaved landmarks. */
export function pdfgcMatrix(landmarks: Float32Array): Affine {
  const src = PDFGC_POINTS.map((i) => [landmarks[i * 2]!, landmarks[i * 2 + 1]!] as const);
  const dst = TEMPLATE.map(([x, y]) => [x * PDFGC_SIZE, y * PDFGC_SIZE] as const);
  return similarityTransform(src, dst);
}

/**
 * The encoder input (3,224,224) float32 RGB in [-1, 1] for an RGB frame and its landmarks, with the
 * warped 224x224 RGB face. `input`: where to write it (e.g. the face's slot in an encoder batch).
 */
export function pdfgcInput(frame: PixelImage, landmarks: Float32Array, input = new Float32Array(3 * PDFGC_SIZE * PDFGC_SIZE)): { matrix: Affine; face: PixelImage; input: Float32Array } {
  const plane = PDFGC_SIZE * PDFGC_SIZE;
  if (input.length !== 3 * plane) throw new Error(`pdfgcInput: the input buffer has ${input.length} values, ${3 * plane} needed`);
  const matrix = pdfgcMatrix(landmarks);
  const face = warpAffine(frame, matrix, PDFGC_SIZE, PDFGC_SIZE, 'cubic');
  const d = face.data;
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    input[i] = SIGNED_UNIT[d[p]!]!;
    input[plane + i] = SIGNED_UNIT[d[p + 1]!]!;
    input[2 * plane + i] = SIGNED_UNIT[d[p + 2]!]!;
  }
  return { matrix, face, input };
}
