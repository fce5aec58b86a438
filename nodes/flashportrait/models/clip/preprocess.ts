// CLIP input preparation exactly as the pipeline + CLIPModel.forward do it: [-1, 1] image, PyTorch
// bicubic resize to the square input (A = -0.75, align_corners False, no antialias, no clamp, each
// axis scaled on its own), back to [0, 1], then per-channel (x - mean) / std.
import type { ClipVisionConfig } from './config.ts';

const A = -0.75;
const f = Math.fround;

/** uint8 HWC RGB -> float32 CHW in [-1, 1] (`to_tensor`, then `.sub_(0.5).div_(0.5)`). */
export function u8HwcToSignedChw(rgb: ArrayLike<number | bigint>, height: number, width: number): Float32Array {
  if (rgb.length !== height * width * 3) throw new Error(`expected ${height}x${width}x3 values, got ${rgb.length}`);
  const out = new Float32Array(3 * height * width);
  const plane = height * width;
  for (let i = 0; i < plane; i++) {
    for (let ch = 0; ch < 3; ch++) out[ch * plane + i] = f(f(f(Number(rgb[i * 3 + ch]) / 255) - 0.5) / 0.5);
  }
  return out;
}

interface AxisTaps {
  /** 4 source indices per output position (edge-replicated). */
  readonly index: Int32Array;
  readonly weight: Float64Array;
}

// torch rounds the scale to float32; the source coordinate and fraction are kept in float64 (see the
// encoders ERRATA: float32 coordinates drift by up to 8e-5).
function bicubicTaps(inSize: number, outSize: number): AxisTaps {
  const scale = f(inSize / outSize);
  const index = new Int32Array(outSize * 4);
  const weight = new Float64Array(outSize * 4);
  const near = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const far = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  for (let o = 0; o < outSize; o++) {
    const src = (o + 0.5) * scale - 0.5;
    const i0 = Math.floor(src);
    const t = src - i0;
    const w = [far(t + 1), near(t), near(1 - t), far(2 - t)];
    for (let k = 0; k < 4; k++) {
      index[o * 4 + k] = Math.min(inSize - 1, Math.max(0, i0 - 1 + k));
      weight[o * 4 + k] = w[k]!;
    }
  }
  return { index, weight };
}

/** `F.interpolate(mode='bicubic', align_corners=False)` of planar float32 [C, H, W]. */
export function resizeBicubic(src: Float32Array, channels: number, height: number, width: number, outHeight: number, outWidth: number): Float32Array {
  const ys = bicubicTaps(height, outHeight);
  const xs = bicubicTaps(width, outWidth);
  const out = new Float32Array(channels * outHeight * outWidth);
  for (let ch = 0; ch < channels; ch++) {
    const plane = ch * height * width;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        let acc = 0;
        for (let ky = 0; ky < 4; ky++) {
          const row = plane + ys.index[oy * 4 + ky]! * width;
          let across = 0;
          for (let kx = 0; kx < 4; kx++) across += xs.weight[ox * 4 + kx]! * src[row + xs.index[ox * 4 + kx]!]!;
          acc += ys.weight[oy * 4 + ky]! * across;
        }
        out[(ch * outHeight + oy) * outWidth + ox] = acc;
      }
    }
  }
  return out;
}

/** [-1, 1] values -> `(x*0.5 + 0.5 - mean[c]) / std[c]`, per channel, in float32 like torch. */
export function normalizeSigned(resized: Float32Array, c: Pick<ClipVisionConfig, 'mean' | 'std'>): Float32Array {
  const plane = resized.length / 3;
  const out = new Float32Array(resized.length);
  for (let ch = 0; ch < 3; ch++) {
    const mean = f(c.mean[ch]!);
    const std = f(c.std[ch]!);
    for (let i = ch * plane; i < (ch + 1) * plane; i++) out[i] = f(f(f(f(resized[i]! * 0.5) + 0.5) - mean) / std);
  }
  return out;
}

export interface ClipPixels {
  /** After the resize, still in the [-1, 1] domain (overshoots kept). */
  readonly resizedSigned: Float32Array;
  /** [1, 3, S, S], what enters the tower. */
  readonly pixelValues: Float32Array;
}

/** The tower input for one image given as planar [3, H, W] in [-1, 1]. */
export function clipPixelValues(signedChw: Float32Array, height: number, width: number, c: ClipVisionConfig): ClipPixels {
  if (signedChw.length !== 3 * height * width) throw new Error(`expected 3x${height}x${width} values, got ${signedChw.length}`);
  const resizedSigned = resizeBicubic(signedChw, 3, height, width, c.imageSize, c.imageSize);
  return { resizedSigned, pixelValues: normalizeSigned(resizedSigned, c) };
}
