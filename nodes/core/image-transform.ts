// Per-frame image operations with ComfyUI's schemas. Each returns a lazy IMAGE that transforms
// chunks as they are read, so a long video flows through without being held.
import { concatImages, cropFrames, mapFrames, sliceImage, type FrameChunk, type Image } from '../../types/data.ts';
import { inputError, MAX_SIDE, sizeProblem } from '../../server/media/errors.ts';
import { areaResizeFrame, RESIZE_KERNELS, resizeFrame } from '../../server/media/image-file.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';

export const UPSCALE_METHODS = ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'] as const;
type UpscaleMethod = (typeof UPSCALE_METHODS)[number];

interface Size {
  width: number;
  height: number;
}

/** ComfyUI's centre crop before a resize: the largest centred region with the target's aspect. */
export function centerCropRect(from: Size, to: Size): { x: number; y: number; width: number; height: number } {
  const oldAspect = from.width / from.height;
  const newAspect = to.width / to.height;
  let x = 0;
  let y = 0;
  if (oldAspect > newAspect) x = Math.round((from.width - from.width * (newAspect / oldAspect)) / 2);
  else if (oldAspect < newAspect) y = Math.round((from.height - from.height * (oldAspect / newAspect)) / 2);
  return { x, y, width: from.width - 2 * x, height: from.height - 2 * y };
}

/** Resizes an IMAGE lazily (ComfyUI's common_upscale). */
export function scaleImage(image: Image, to: Size, method: UpscaleMethod, crop: boolean, origin: string): Image {
  const from = { width: image.width, height: image.height };
  const cropRect = crop ? centerCropRect(from, to) : undefined;
  const source = cropRect && (cropRect.x > 0 || cropRect.y > 0) ? cropRect : undefined;
  return mapFrames(image, { ...to, origin }, async (chunk: FrameChunk) => {
    let data = chunk.data;
    let size: Size = from;
    if (source) {
      data = cropFrames(chunk.data, chunk.count, from, source);
      size = { width: source.width, height: source.height };
    }
    const frameIn = size.width * size.height * 3;
    const frameOut = to.width * to.height * 3;
    const out = new Uint8Array(chunk.count * frameOut);
    const frames = Array.from({ length: chunk.count }, (_, f) => data.subarray(f * frameIn, (f + 1) * frameIn));
    const resized = await Promise.all(
      frames.map((frame) => (method === 'area' ? areaResizeFrame(frame, size, to) : resizeFrame(frame, size, to, RESIZE_KERNELS[method], false))),
    );
    resized.forEach((frame, f) => out.set(frame, f * frameOut));
    return out;
  });
}

export const ImageScale: NodeDefinition = {
  type: 'ImageScale',
  displayName: 'Upscale Image',
  category: 'image/upscaling',
  inputs: {
    required: {
      image: { type: 'IMAGE' },
      upscale_method: { type: 'COMBO', options: UPSCALE_METHODS },
      width: { type: 'INT', default: 512, min: 0, max: MAX_SIDE, step: 1 },
      height: { type: 'INT', default: 512, min: 0, max: MAX_SIDE, step: 1 },
      crop: { type: 'COMBO', options: ['disabled', 'center'] },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ image, upscale_method, width, height, crop }) {
    const source = image as Image;
    if (width === 0 && height === 0) return [source];
    const w = width === 0 ? Math.max(1, Math.round((source.width * height) / source.height)) : width;
    const h = height === 0 ? Math.max(1, Math.round((source.height * width) / source.width)) : height;
    const problem = sizeProblem(w, h);
    if (problem) throw inputError('ImageScale', width === 0 ? 'height' : 'width', `output ${problem}`);
    return [scaleImage(source, { width: w, height: h }, upscale_method, crop === 'center', `ImageScale ${w}x${h} of ${source.describe()}`)];
  },
};

export const ImageCrop: NodeDefinition = {
  type: 'ImageCrop',
  displayName: 'Image Crop',
  category: 'image/transform',
  inputs: {
    required: {
      image: { type: 'IMAGE' },
      width: { type: 'INT', default: 512, min: 1, max: MAX_SIDE, step: 1 },
      height: { type: 'INT', default: 512, min: 1, max: MAX_SIDE, step: 1 },
      x: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 1 },
      y: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 1 },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ image, width, height, x, y }) {
    const source = image as Image;
    // ComfyUI clamps the corner inside the image and lets the slice end at the border.
    const left = Math.min(x, source.width - 1);
    const top = Math.min(y, source.height - 1);
    const rect = { x: left, y: top, width: Math.min(width + left, source.width) - left, height: Math.min(height + top, source.height) - top };
    return [
      mapFrames(source, { width: rect.width, height: rect.height, origin: `ImageCrop of ${source.describe()}` }, (chunk) =>
        cropFrames(chunk.data, chunk.count, source, rect),
      ),
    ];
  },
};

export const ImageBatch: NodeDefinition = {
  type: 'ImageBatch',
  displayName: 'Batch Images',
  category: 'image',
  inputs: { required: { image1: { type: 'IMAGE' }, image2: { type: 'IMAGE' } } },
  outputs: [{ type: 'IMAGE' }],
  execute({ image1, image2 }) {
    const first = image1 as Image;
    let second = image2 as Image;
    if (second.width !== first.width || second.height !== first.height) {
      second = scaleImage(second, first, 'bilinear', true, `ImageBatch rescale of ${second.describe()}`);
    }
    return [concatImages(first, second)];
  },
};

export const ImageFromBatch: NodeDefinition = {
  type: 'ImageFromBatch',
  displayName: 'Image From Batch',
  category: 'image/batch',
  inputs: {
    required: {
      image: { type: 'IMAGE' },
      batch_index: { type: 'INT', default: 0, min: 0, max: 4095 },
      length: { type: 'INT', default: 1, min: 1, max: 4096 },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ image, batch_index, length }) {
    const source = image as Image;
    const start = Math.min(source.count - 1, batch_index);
    const count = Math.min(source.count - start, length);
    return [sliceImage(source, start, count)];
  },
};
