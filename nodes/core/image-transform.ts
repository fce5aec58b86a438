// Per-frame image operations with ComfyUI's schemas. Each returns a lazy IMAGE that transforms
// chunks as they are read, so a long video flows through without being held.
import { concatImages, cropFrames, lazyImage, mapFrames, mask, sliceImage, type FrameChunk, type Image } from '../../types/data.ts';
import { inputError, MAX_SIDE, sizeProblem } from '../../server/media/errors.ts';
import { areaResizeFrame, RESIZE_KERNELS, resizeFrame } from '../../server/media/image-file.ts';
import { centeredAspectCrop } from '../../server/media/video-file.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';

/** Python's round(): halves go to the even neighbour (round(2.5) == 2), which ComfyUI's sizes use. */
export function pyRound(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

export const UPSCALE_METHODS = ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'] as const;
type UpscaleMethod = (typeof UPSCALE_METHODS)[number];

interface Size {
  width: number;
  height: number;
}

/** Resizes an IMAGE lazily (ComfyUI's common_upscale). */
export function scaleImage(image: Image, to: Size, method: UpscaleMethod, crop: boolean, origin: string): Image {
  const from = { width: image.width, height: image.height };
  const cropRect = crop ? centeredAspectCrop(from, to) : undefined;
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
    const w = width === 0 ? Math.max(1, pyRound((source.width * height) / source.height)) : width;
    const h = height === 0 ? Math.max(1, pyRound((source.height * width) / source.width)) : height;
    const problem = sizeProblem(w, h);
    if (problem) throw inputError('ImageScale', width === 0 ? 'height' : 'width', `output ${problem}`);
    return [scaleImage(source, { width: w, height: h }, upscale_method, crop === 'center', `ImageScale ${w}x${h} of ${source.describe()}`)];
  },
};

export const ImageScaleBy: NodeDefinition = {
  type: 'ImageScaleBy',
  displayName: 'Upscale Image By',
  category: 'image/upscaling',
  inputs: {
    required: {
      image: { type: 'IMAGE' },
      upscale_method: { type: 'COMBO', options: UPSCALE_METHODS },
      scale_by: { type: 'FLOAT', default: 1.0, min: 0.01, max: 8.0, step: 0.01 },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ image, upscale_method, scale_by }) {
    const source = image as Image;
    // ComfyUI: round(side * scale_by) with Python's rounding, never cropped.
    const w = pyRound(source.width * scale_by);
    const h = pyRound(source.height * scale_by);
    const problem = sizeProblem(w, h);
    if (problem) throw inputError('ImageScaleBy', 'scale_by', `${source.width}x${source.height} scaled by ${scale_by}: output ${problem}`);
    // Every method maps an image onto its own size unchanged.
    if (w === source.width && h === source.height) return [source];
    return [scaleImage(source, { width: w, height: h }, upscale_method, false, `ImageScaleBy ${scale_by} of ${source.describe()}`)];
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

export const RepeatImageBatch: NodeDefinition = {
  type: 'RepeatImageBatch',
  category: 'image/batch',
  inputs: {
    required: {
      image: { type: 'IMAGE' },
      amount: { type: 'INT', default: 1, min: 1, max: 4096 },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ image, amount }) {
    const source = image as Image;
    if (amount === 1) return [source];
    // The whole batch `amount` times over (ComfyUI's tensor.repeat), reading the source once per
    // copy rather than holding it: a long clip repeated stays streamed.
    return [
      lazyImage({ count: source.count * amount, width: source.width, height: source.height, origin: `RepeatImageBatch x${amount} of ${source.describe()}` }, async function* (options) {
        for (let copy = 0; copy < amount; copy++) {
          for await (const chunk of source.frames(options)) yield { ...chunk, start: chunk.start + copy * source.count };
        }
      }),
    ];
  },
};

/** ComfyUI's outpainting mask: 1 in the new border; inside, v*v where v falls from 1 at a padded edge to 0 at `feathering` px. */
export function outpaintMask(
  size: { width: number; height: number },
  pad: { left: number; top: number; right: number; bottom: number },
  feathering: number,
): Float32Array {
  const { width, height } = size;
  const outW = width + pad.left + pad.right;
  const out = new Float32Array(outW * (height + pad.top + pad.bottom)).fill(1);
  const feather = feathering > 0 && feathering * 2 < height && feathering * 2 < width;
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      let value = 0;
      if (feather) {
        // Distance to each padded side; an unpadded side never feathers.
        const d = Math.min(pad.top ? i : height, pad.bottom ? height - i : height, pad.left ? j : width, pad.right ? width - j : width);
        if (d < feathering) {
          const v = (feathering - d) / feathering;
          value = v * v;
        }
      }
      out[(i + pad.top) * outW + j + pad.left] = value;
    }
  }
  return out;
}

/**
 * ComfyUI fills the new border with grey 0.5, which has no exact 8-bit value: FlashGraph's float
 * to 8-bit rule (round, as imageFromFloat32) makes it 128.
 */
const OUTPAINT_GREY = 128;

export const ImagePadForOutpaint: NodeDefinition = {
  type: 'ImagePadForOutpaint',
  displayName: 'Pad Image for Outpainting',
  category: 'image',
  inputs: {
    required: {
      image: { type: 'IMAGE' },
      left: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 8 },
      top: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 8 },
      right: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 8 },
      bottom: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 8 },
      feathering: { type: 'INT', default: 40, min: 0, max: MAX_SIDE, step: 1, advanced: true },
    },
  },
  outputs: [{ type: 'IMAGE' }, { type: 'MASK' }],
  execute({ image, left, top, right, bottom, feathering }) {
    const source = image as Image;
    const width = source.width + left + right;
    const height = source.height + top + bottom;
    const problem = sizeProblem(width, height);
    if (problem) throw inputError('ImagePadForOutpaint', left + right > top + bottom ? 'left' : 'top', `padded output ${problem}`);
    const inRow = source.width * 3;
    const outRow = width * 3;
    const padded = mapFrames(source, { width, height, origin: `ImagePadForOutpaint of ${source.describe()}` }, (chunk) => {
      const out = new Uint8Array(chunk.count * height * outRow).fill(OUTPAINT_GREY);
      for (let f = 0; f < chunk.count; f++) {
        for (let y = 0; y < source.height; y++) {
          const from = (f * source.height + y) * inRow;
          out.set(chunk.data.subarray(from, from + inRow), (f * height + top + y) * outRow + left * 3);
        }
      }
      return out;
    });
    // One mask for the whole batch, [1, H, W], as ComfyUI.
    return [padded, mask(outpaintMask(source, { left, top, right, bottom }, feathering), 1, width, height)];
  },
};
