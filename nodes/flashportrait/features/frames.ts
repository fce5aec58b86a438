// Frame conversions: ComfyUI float IMAGE -> uint8, and RGB <-> BGR. The extractor itself passes RGB
// frames as they are (the warps write BGR where a network wants it); the tests use the swap to turn
// the original's BGR golden frames into RGB ones.
import type { PixelImage } from './warp.ts';

/** RGB <-> BGR (the same swap both ways); returns a new image. */
export function swapRedBlue(image: PixelImage): PixelImage {
  const out = new Uint8Array(image.data.length);
  const d = image.data;
  for (let i = 0; i < d.length; i += 3) {
    out[i] = d[i + 2]!; out[i + 1] = d[i + 1]!; out[i + 2] = d[i]!;
  }
  return { ...image, data: out };
}

/**
 * ComfyUI's float IMAGE (0..1) to uint8 as the original node does: `(x * 255).astype(uint8)`, a
 * float32 multiply then truncation (so 0.999 becomes 254). Values outside 0..1 are clamped first,
 * where numpy would wrap around.
 */
export function comfyFloatToUint8(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Math.trunc(Math.fround(values[i]! * 255));
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}
