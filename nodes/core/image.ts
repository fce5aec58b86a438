// Image files in and out: LoadImage (IMAGE + MASK from alpha), LoadImageMask (one channel as a
// MASK), LoadImageOutput (from output/, with the remote refresh list), SaveImage and PreviewImage (PNG with
// the prompt and workflow in text chunks, ComfyUI's file naming).
import { writeFile } from 'node:fs/promises';
import type { FileRef } from '../../types/api.ts';
import { frameBytes, imageFromPixels, mask, type Image, type Mask } from '../../types/data.ts';
import { inputError, sizeProblem } from '../../server/media/errors.ts';
import { decodeImageFile, encodePng } from '../../server/media/image-file.ts';
import { newestFilesFirst } from '../../server/media/folder-listing.ts';
import type { NodeContext, NodeDefinition, NodeStorage, SchemaEnvironment } from '../../server/runtime/schema.ts';
import { existingFile, fileHashFingerprint, isImageFile, saveMetadata, tempFilePrefix } from './media-files.ts';

/** A decoded image file as LoadImage gives it: the IMAGE and ComfyUI's MASK (1 - alpha). */
async function loadImageFile(node: string, image: string, ctx: Pick<NodeContext, 'storage'>): Promise<{ pixels: Image; alphaMask: Mask; rgb: Uint8Array }> {
  const path = existingFile(ctx.storage, image);
  if (!path) throw inputError(node, 'image', `Invalid image file: ${image}`);
  let decoded;
  try {
    decoded = await decodeImageFile(path);
  } catch (error) {
    throw inputError(node, 'image', `cannot read ${image} as an image: ${(error as Error).message}`);
  }
  const { width, height, frames } = decoded;
  const problem = sizeProblem(width, height);
  if (problem) throw inputError(node, 'image', `${image}: image ${problem}`);
  const pixels = imageFromPixels(decoded.rgb, frames, width, height, `${node} ${image}`);
  let alphaMask;
  if (decoded.alpha) {
    const values = new Float32Array(decoded.alpha.length);
    for (let i = 0; i < values.length; i++) values[i] = 1 - decoded.alpha[i]! / 255;
    alphaMask = mask(values, frames, width, height);
  } else {
    // ComfyUI: one 64x64 zero mask per frame when the file has no alpha channel.
    alphaMask = mask(new Float32Array(frames * 64 * 64), frames, 64, 64);
  }
  return { pixels, alphaMask, rgb: decoded.rgb };
}

const imageFileExists: NodeDefinition['validateInputs'] = ({ image }, ctx) => (existingFile(ctx.storage, image) ? true : `Invalid image file: ${image}`);

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
  validateInputs: imageFileExists,
  async execute({ image }, ctx) {
    const { pixels, alphaMask } = await loadImageFile('LoadImage', image, ctx);
    return [pixels, alphaMask];
  },
};

const MASK_CHANNELS = ['alpha', 'red', 'green', 'blue'] as const;

export const LoadImageMask: NodeDefinition = {
  type: 'LoadImageMask',
  displayName: 'Load Image (as Mask)',
  category: 'mask',
  inputs: {
    required: {
      image: { type: 'COMBO', options: (env) => env.listFiles('input', isImageFile), extra: { image_upload: true } },
      channel: { type: 'COMBO', options: MASK_CHANNELS },
    },
  },
  outputs: [{ type: 'MASK' }],
  isChanged: fileHashFingerprint('image'),
  validatedInputs: ['image'],
  validateInputs: imageFileExists,
  async execute({ image, channel }, ctx) {
    const { pixels, alphaMask, rgb } = await loadImageFile('LoadImageMask', image, ctx);
    // ComfyUI: "alpha" is LoadImage's mask (1 - alpha, or 64x64 zeros without alpha); a colour
    // channel is that channel of the RGB image as v/255, at full size.
    const c = MASK_CHANNELS.indexOf(channel);
    if (c < 0) throw inputError('LoadImageMask', 'channel', `unknown channel ${JSON.stringify(channel)} (one of ${MASK_CHANNELS.join(', ')})`);
    if (c === 0) return [alphaMask];
    const values = new Float32Array(rgb.length / 3);
    for (let p = 0; p < values.length; p++) values[p] = rgb[p * 3 + c - 1]! / 255;
    return [mask(values, pixels.count, pixels.width, pixels.height)];
  },
};

/** Output files for LoadImageOutput's combo: the list its refresh route gives (newest first, "[output]"). */
function outputFiles(env: SchemaEnvironment): string[] {
  const storage = env as Partial<NodeStorage>;
  if (typeof storage.directory === 'function') return newestFilesFirst(storage.directory('output'), 'output');
  return env.listFiles('output').filter((name) => !name.includes('/')).map((name) => `${name} [output]`);
}

export const LoadImageOutput: NodeDefinition = {
  type: 'LoadImageOutput',
  displayName: 'Load Image (from Outputs)',
  description:
    'Load an image from the output folder. When the refresh button is clicked, the node will update the image list and automatically select the first image, allowing for easy iteration.',
  category: 'image',
  experimental: true,
  inputs: {
    required: {
      image: {
        type: 'COMBO',
        options: outputFiles,
        extra: {
          image_upload: true,
          image_folder: 'output',
          remote: { route: '/internal/files/output', refresh_button: true, control_after_refresh: 'first' },
        },
      },
    },
  },
  outputs: [{ type: 'IMAGE' }, { type: 'MASK' }],
  isChanged: fileHashFingerprint('image'),
  // As in ComfyUI the list is not enforced (the frontend refreshes it from the route); the file must exist.
  validatedInputs: ['image'],
  validateInputs: imageFileExists,
  async execute({ image }, ctx) {
    const { pixels, alphaMask } = await loadImageFile('LoadImageOutput', image, ctx);
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
