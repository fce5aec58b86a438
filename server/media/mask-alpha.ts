// The mask editor's save (ComfyUI's POST /upload/mask, server.py upload_mask): the original image
// as RGBA with its alpha channel replaced by the uploaded mask's alpha, its PNG text chunks (the
// prompt and workflow) kept. As PIL's Image.open, EXIF orientation is not applied.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { readPngTexts, withPngTexts } from './png-text.ts';

export class MaskError extends Error {
  override name = 'MaskError';
}

/** ComfyUI saves with PIL's compress_level=4. */
const PNG_COMPRESSION = 4;

async function rawRgba(input: Buffer | string, what: string): Promise<{ data: Buffer; width: number; height: number }> {
  try {
    const { data, info } = await sharp(input).toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  } catch (error) {
    throw new MaskError(`${what} is not a readable image: ${(error as Error).message}`);
  }
}

/**
 * The original file's pixels with the mask's alpha (a mask without alpha is opaque), encoded as
 * `format`; PNG output carries the original's text chunks.
 */
export async function applyMaskAlpha(originalPath: string, mask: Buffer, format: 'png' | 'webp'): Promise<Buffer> {
  const originalBytes = await readFile(originalPath);
  const original = await rawRgba(originalBytes, 'the original image');
  const overlay = await rawRgba(mask, 'the uploaded mask');
  if (original.width !== overlay.width || original.height !== overlay.height) {
    throw new MaskError(`the mask is ${overlay.width}x${overlay.height} but the original image is ${original.width}x${original.height}`);
  }
  const pixels = original.data;
  for (let p = 3; p < pixels.length; p += 4) pixels[p] = overlay.data[p]!;
  const image = sharp(pixels, { raw: { width: original.width, height: original.height, channels: 4 } });
  if (format === 'webp') return image.webp({ lossless: true }).toBuffer();
  return withPngTexts(await image.png({ compressionLevel: PNG_COMPRESSION }).toBuffer(), readPngTexts(originalBytes));
}
