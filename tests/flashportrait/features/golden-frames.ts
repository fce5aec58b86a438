// Golden-fixture plumbing shared by the face feature tests.
import { join } from 'node:path';
import type { Tensor } from '../../../server/ml/index.ts';
import { toFloat32 } from '../../../server/ml/index.ts';
import type { PixelImage } from '../../../nodes/flashportrait/features/warp.ts';
import { goldenDir } from '../../helpers/golden.ts';
import { comfyFloatToUint8, swapRedBlue } from '../../../nodes/flashportrait/features/frames.ts';

export const FACE = 'face';

/** Path of a model file in the face golden folder (undefined when the folder is absent). */
export function faceModelPath(file: string): string | undefined {
  const dir = goldenDir(FACE);
  return dir ? join(dir, file) : undefined;
}

/** A stored HWC frame (float32 holding 0..255) as uint8 pixels. */
export function pixelsOf(t: Tensor): PixelImage {
  const [height, width, channels] = t.shape as [number, number, number];
  const src = toFloat32(t).data as Float32Array;
  return { data: Uint8Array.from(src), width, height, channels };
}

/** A stored frame of the original (OpenCV's BGR order) as the RGB frame the extractor takes. */
export function rgbFrameOf(t: Tensor): PixelImage {
  return swapRedBlue(pixelsOf(t));
}

export function floats(t: Tensor): Float32Array {
  return toFloat32(t).data as Float32Array;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

/** Frame `index` of e2e_node's ComfyUI float IMAGE batch, converted as the node does (RGB uint8). */
export function e2eFrame(images: Tensor, index: number): PixelImage {
  const [, height, width] = images.shape as [number, number, number, number];
  const size = height * width * 3;
  return { data: comfyFloatToUint8(floats(images).subarray(index * size, (index + 1) * size)), width, height, channels: 3 };
}
