// Reference-image conditioning shared by every window: the masked conditioning video given to the
// VAE, the 4-channel mask latents, y = [mask | VAE latents], the CLIP input and the transformer's
// seq_len.
import { f32 } from './float32.ts';

/** An 8-bit RGB image, row-major [height, width, 3]. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** A float video [3, frames, height, width] in [-1, 1]. */
export interface PixelVideo {
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array;
}

export const VAE_SPATIAL_STRIDE = 8;
export const VAE_TEMPORAL_STRIDE = 4;
export const MASK_CHANNELS = 4;

/** Video frames of a window of `latentFrames` latent frames (4k+1). */
export function videoFramesForLatents(latentFrames: number): number {
  return VAE_TEMPORAL_STRIDE * (latentFrames - 1) + 1;
}

/** u8 -> [0,1] (to_tensor) -> [-1,1] (2x-1), float32 like torch. */
function normalisedPixel(u8: number): number {
  return f32(f32(2 * f32(u8 / 255)) - 1);
}

/** The CLIP image encoder's input [3, 1, H, W]. */
export function clipInput(image: RgbImage): Float32Array {
  const { width, height, data } = image;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = normalisedPixel(data[i * 3 + c]!);
  return out;
}

/**
 * The VAE's input: the anchor image (the reference, unless initial frames replace it) repeated over
 * `frames` frames with every frame but the first masked out (0 = mid-grey in [-1, 1]).
 */
export function maskedConditioningVideo(image: RgbImage, frames: number): PixelVideo {
  const { width, height } = image;
  const plane = width * height;
  const data = new Float32Array(3 * frames * plane);
  const first = clipInput(image);
  for (let c = 0; c < 3; c++) data.set(first.subarray(c * plane, (c + 1) * plane), c * frames * plane);
  return { frames, height, width, data };
}

/** [4, T, h, w]: 1 on latent frame 0 (the reference), 0 elsewhere. */
export function maskLatents(latentFrames: number, height: number, width: number): Float32Array {
  const plane = height * width;
  const out = new Float32Array(MASK_CHANNELS * latentFrames * plane);
  for (let c = 0; c < MASK_CHANNELS; c++) out.fill(1, c * latentFrames * plane, (c * latentFrames + 1) * plane);
  return out;
}

/** y = cat([mask latents, VAE latents], channels): [4 + C, T, h, w]. */
export function conditioningLatents(mask: Float32Array, encoded: Float32Array): Float32Array {
  const y = new Float32Array(mask.length + encoded.length);
  y.set(mask);
  y.set(encoded, mask.length);
  return y;
}

/** The transformer's seq_len: ceil((W/8)(H/8)/(2*2) * T). */
export function transformerSeqLen(height: number, width: number, latentFrames: number): number {
  return Math.ceil((Math.floor(width / VAE_SPATIAL_STRIDE) * Math.floor(height / VAE_SPATIAL_STRIDE)) / 4 * latentFrames);
}
