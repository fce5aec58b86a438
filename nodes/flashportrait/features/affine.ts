// 2x3 affine matrices (row-major [a, b, c, d, e, f]: x' = a x + b y + c, y' = d x + e y + f) with
// OpenCV's formulas, so warps and point transforms agree with the original to the last bit where
// it matters.

export type Affine = readonly [number, number, number, number, number, number];

/** cv2.getRotationMatrix2D: positive degrees rotate counter-clockwise on screen. */
export function rotationMatrix(cx: number, cy: number, degrees: number, scale: number): [number, number, number, number, number, number] {
  const rad = degrees * (Math.PI / 180);
  const a = Math.cos(rad) * scale;
  const b = Math.sin(rad) * scale;
  return [a, b, (1 - a) * cx - b * cy, -b, a, b * cx + (1 - a) * cy];
}

/** cv2.invertAffineTransform (float64, OpenCV's evaluation order). */
export function invertAffine(m: Affine): Affine {
  let d = m[0] * m[4] - m[1] * m[3];
  d = d !== 0 ? 1 / d : 0;
  const a11 = m[4] * d; const a22 = m[0] * d;
  const a12 = -m[1] * d; const a21 = -m[3] * d;
  const b1 = -a11 * m[2] - a12 * m[5];
  const b2 = -a21 * m[2] - a22 * m[5];
  return [a11, a12, b1, a21, a22, b2];
}

/**
 * cv2.transform on float32 points: the matrix is rounded to float32, each coordinate is evaluated
 * in double and rounded once (this reproduces OpenCV's output bit for bit on the golden points,
 * where rounding after every float32 operation does not). `points` is interleaved x,y.
 */
export function transformPointsF32(points: Float32Array, m: Affine): Float32Array {
  const f = Math.fround;
  const [a, b, c, d, e, g] = m.map(f) as unknown as Affine;
  const out = new Float32Array(points.length);
  for (let i = 0; i < points.length; i += 2) {
    const x = points[i]!; const y = points[i + 1]!;
    out[i] = a * x + b * y + c;
    out[i + 1] = d * x + e * y + g;
  }
  return out;
}

/** 3x3 inverse by cofactors (cv::invert's closed form for 3x3, float64). Row-major. */
export function invert3x3(s: readonly number[]): number[] {
  const [s00, s01, s02, s10, s11, s12, s20, s21, s22] = s as [number, number, number, number, number, number, number, number, number];
  let det = s00 * (s11 * s22 - s12 * s21) - s01 * (s10 * s22 - s12 * s20) + s02 * (s10 * s21 - s11 * s20);
  if (det === 0) throw new Error('singular 3x3 matrix');
  det = 1 / det;
  return [
    (s11 * s22 - s12 * s21) * det, (s02 * s21 - s01 * s22) * det, (s01 * s12 - s02 * s11) * det,
    (s12 * s20 - s10 * s22) * det, (s00 * s22 - s02 * s20) * det, (s02 * s10 - s00 * s12) * det,
    (s10 * s21 - s11 * s20) * det, (s01 * s20 - s00 * s21) * det, (s00 * s11 - s01 * s10) * det,
  ];
}
