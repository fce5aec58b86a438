// Image files through sharp: decoding to RGB frames plus alpha, and PNG encoding with ComfyUI's
// text chunks (sharp writes no PNG text, so they are spliced in after IHDR).
import sharp from 'sharp';
import { withPngTexts } from './png-text.ts';

export interface DecodedImage {
  width: number;
  height: number;
  frames: number;
  /** RGB uint8 `[frames, height, width, 3]`. */
  rgb: Uint8Array;
  /** Alpha uint8 `[frames, height, width]`, when the file has an alpha channel. */
  alpha?: Uint8Array;
}

/**
 * Every frame of an image file (GIF/WebP/TIFF pages become a batch), EXIF orientation applied,
 * 16-bit samples scaled to 8 bits, grey expanded to RGB.
 */
export async function decodeImageFile(path: string): Promise<DecodedImage> {
  const meta = await sharp(path).metadata();
  const frames = meta.pages && meta.pages > 1 && meta.format !== 'heif' ? meta.pages : 1;
  const input = frames > 1 ? sharp(path, { pages: -1 }) : sharp(path).autoOrient();
  const { data, info } = await input.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const channels = info.channels;
  const width = info.width;
  const height = frames > 1 ? (meta.pageHeight ?? info.height / frames) : info.height;
  const pixels = width * height * frames;
  const rgb = new Uint8Array(pixels * 3);
  const hasAlpha = channels === 2 || channels === 4;
  const alpha = hasAlpha ? new Uint8Array(pixels) : undefined;
  for (let p = 0; p < pixels; p++) {
    const s = p * channels;
    if (channels >= 3) {
      rgb[p * 3] = data[s]!;
      rgb[p * 3 + 1] = data[s + 1]!;
      rgb[p * 3 + 2] = data[s + 2]!;
    } else {
      rgb[p * 3] = rgb[p * 3 + 1] = rgb[p * 3 + 2] = data[s]!;
    }
    if (alpha) alpha[p] = data[s + channels - 1]!;
  }
  return alpha ? { width, height, frames, rgb, alpha } : { width, height, frames, rgb };
}

/** PNG of one RGB frame with text chunks (tEXt when Latin-1 suffices, else iTXt, as PIL does). */
export async function encodePng(
  rgb: Uint8Array,
  width: number,
  height: number,
  compressionLevel: number,
  texts: Record<string, string> = {},
): Promise<Buffer> {
  const png = await sharp(rgb, { raw: { width, height, channels: 3 } }).png({ compressionLevel }).toBuffer();
  return withPngTexts(png, texts);
}

export const RESIZE_KERNELS = {
  'nearest-exact': 'nearest',
  bilinear: 'linear',
  bicubic: 'cubic',
  lanczos: 'lanczos3',
} as const;

/** Resizes one RGB frame with sharp; `cover` crops the centre to the target aspect first. */
export async function resizeFrame(
  rgb: Uint8Array,
  from: { width: number; height: number },
  to: { width: number; height: number },
  kernel: (typeof RESIZE_KERNELS)[keyof typeof RESIZE_KERNELS],
  crop: boolean,
): Promise<Uint8Array> {
  const { data } = await sharp(rgb, { raw: { width: from.width, height: from.height, channels: 3 } })
    .resize(to.width, to.height, { kernel, fit: crop ? 'cover' : 'fill', position: 'centre' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return data;
}

/**
 * PyTorch's `interpolate(mode="area")` (adaptive average pooling), which ComfyUI's "area" method
 * is: each output pixel averages the input cells its footprint overlaps.
 */
export function areaResizeFrame(rgb: Uint8Array, from: { width: number; height: number }, to: { width: number; height: number }): Uint8Array {
  const out = new Uint8Array(to.width * to.height * 3);
  const xs = Array.from({ length: to.width }, (_, x) => [Math.floor((x * from.width) / to.width), Math.ceil(((x + 1) * from.width) / to.width)] as const);
  for (let y = 0; y < to.height; y++) {
    const y0 = Math.floor((y * from.height) / to.height);
    const y1 = Math.ceil(((y + 1) * from.height) / to.height);
    for (let x = 0; x < to.width; x++) {
      const [x0, x1] = xs[x]!;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = y0; sy < y1; sy++) {
        let s = (sy * from.width + x0) * 3;
        for (let sx = x0; sx < x1; sx++, s += 3) {
          r += rgb[s]!;
          g += rgb[s + 1]!;
          b += rgb[s + 2]!;
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (y * to.width + x) * 3;
      out[o] = Math.round(r / n);
      out[o + 1] = Math.round(g / n);
      out[o + 2] = Math.round(b / n);
    }
  }
  return out;
}
