// Image files in and out: LoadImage (IMAGE + MASK from alpha), SaveImage and PreviewImage (PNG with
// the prompt and workflow in text chunks, ComfyUI's file naming).
import { writeFile } from 'node:fs/promises';
import type { FileRef } from '../../types/api.ts';
import { frameBytes, imageFromPixels, mask, type Image } from '../../types/data.ts';
import { inputError, sizeProblem } from '../../server/media/errors.ts';
import { decodeImageFile, encodePng } from '../../server/media/image-file.ts';
import type { NodeContext, NodeDefinition } from '../../server/runtime/schema.ts';
import { existingFile, fileHashFingerprint, isImageFile, saveMetadata, tempFilePrefix } from './media-files.ts';

export const LoadImage: NodeDefinition = {
  type: 'LoadImage',
  displayName: 'Load Image',
  description: 'Loads an image from the input folder; animated files become a batch. The mask is 1 - alpha.',
  category: 'image',
  inputs: {
    required: {
      image: { type: 'COMBO', options: (env) => env.listFiles('input', isImageFile), extra: { image_upload: true } },
    },
  },
  outputs: [{ type: 'IMAGE' }, { type: 'MASK' }],
  isChanged: fileHashFingerprint('image'),
  validatedInputs: ['image'],
  validateInputs: ({ image }, ctx) => (existingFile(ctx.storage, image) ? true : `Invalid image file: ${image}`),
  async execute({ image }, ctx) {
    const path = existingFile(ctx.storage, image);
    if (!path) throw inputError('LoadImage', 'image', `Invalid image file: ${image}`);
    let decoded;
    try {
      decoded = await decodeImageFile(path);
    } catch (error) {
      throw inputError('LoadImage', 'image', `cannot read ${image} as an image: ${(error as Error).message}`);
    }
    const { width, height, frames } = decoded;
    const problem = sizeProblem(width, height);
    if (problem) throw inputError('LoadImage', 'image', `${image}: image ${problem}`);
    const pixels = imageFromPixels(decoded.rgb, frames, width, height, `LoadImage ${image}`);
    let alphaMask;
    if (decoded.alpha) {
      const values = new Float32Array(decoded.alpha.length);
      for (let i = 0; i < values.length; i++) values[i] = 1 - decoded.alpha[i]! / 255;
      alphaMask = mask(values, frames, width, height);
    } else {
      alphaMask = mask(new Float32Array(64 * 64), 1, 64, 64);
    }
    return [pixels, alphaMask];
  },
};

/** Writes every frame of `images` as a PNG; returns the UI file list. */
async function savePngs(
  images: Image,
  folder: 'output' | 'temp',
  filenamePrefix: string,
  compressionLevel: number,
  texts: Record<string, string>,
  ctx: NodeContext,
): Promise<FileRef[]> {
  const files: FileRef[] = [];
  const bytes = frameBytes(images);
  for await (const chunk of images.frames({ signal: ctx.signal })) {
    for (let f = 0; f < chunk.count; f++) {
      const index = chunk.start + f;
      const target = ctx.storage.saveTarget(folder, filenamePrefix.replaceAll('%batch_num%', String(index)), 'png', images);
      const png = await encodePng(chunk.data.subarray(f * bytes, (f + 1) * bytes), images.width, images.height, compressionLevel, texts);
      await writeFile(target.fullPath, png, { flag: 'wx' });
      files.push({ filename: target.filename, subfolder: target.subfolder, type: target.type });
      ctx.progress(index + 1, images.count);
    }
  }
  return files;
}

export const SaveImage: NodeDefinition = {
  type: 'SaveImage',
  displayName: 'Save Image',
  description: 'Saves the input images to your ComfyUI output directory.',
  category: 'image',
  outputNode: true,
  inputs: {
    required: {
      images: { type: 'IMAGE', tooltip: 'The images to save.' },
      filename_prefix: {
        type: 'STRING',
        default: 'ComfyUI',
        tooltip: 'The prefix for the file to save. This may include formatting information such as %date:yyyy-MM-dd% or %Empty Latent Image.width% to include values from nodes.',
      },
    },
    hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
  },
  async execute({ images, filename_prefix, prompt, extra_pnginfo }, ctx) {
    const files = await savePngs(images, 'output', filename_prefix, 4, saveMetadata(prompt, extra_pnginfo), ctx);
    return { ui: { images: files } };
  },
};

export const PreviewImage: NodeDefinition = {
  type: 'PreviewImage',
  displayName: 'Preview Image',
  description: 'Saves the input images to your ComfyUI temp directory.',
  category: 'image',
  outputNode: true,
  inputs: {
    required: { images: { type: 'IMAGE' } },
    hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
  },
  async execute({ images, prompt, extra_pnginfo }, ctx) {
    const files = await savePngs(images, 'temp', tempFilePrefix(), 1, saveMetadata(prompt, extra_pnginfo), ctx);
    return { ui: { images: files } };
  },
};
