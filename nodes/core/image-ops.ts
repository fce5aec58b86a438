// Small IMAGE nodes with ComfyUI's schemas: ImageInvert, EmptyImage and GetImageSize. Results stay
// lazy (computed chunk by chunk as they are read), so long videos stream through.
import { defaultChunkFrames, lazyImage, mapFrames, type Image } from '../../types/data.ts';
import { inputError, MAX_SIDE, sizeProblem } from '../../server/media/errors.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';

export const ImageInvert: NodeDefinition = {
  type: 'ImageInvert',
  displayName: 'Invert Image Colors',
  category: 'image',
  inputs: { required: { image: { type: 'IMAGE' } } },
  outputs: [{ type: 'IMAGE' }],
  execute({ image }) {
    const source = image as Image;
    // ComfyUI computes 1 - v/255 in float; on 8-bit values that is exactly (255 - v)/255, so the
    // result is 255 - v with no rounding involved.
    return [
      mapFrames(source, { width: source.width, height: source.height, origin: `ImageInvert of ${source.describe()}` }, (chunk) => {
        const out = new Uint8Array(chunk.data.length);
        for (let i = 0; i < out.length; i++) out[i] = 255 - chunk.data[i]!;
        return out;
      }),
    ];
  },
};

export const EmptyImage: NodeDefinition = {
  type: 'EmptyImage',
  displayName: 'Empty Image',
  category: 'image',
  inputs: {
    required: {
      width: { type: 'INT', default: 512, min: 1, max: MAX_SIDE, step: 1 },
      height: { type: 'INT', default: 512, min: 1, max: MAX_SIDE, step: 1 },
      batch_size: { type: 'INT', default: 1, min: 1, max: 4096 },
      color: { type: 'INT', default: 0, min: 0, max: 0xffffff, step: 1, extra: { display: 'color' } },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ width, height, batch_size, color }) {
    const problem = sizeProblem(width, height);
    if (problem) throw inputError('EmptyImage', 'width', `image ${problem}`);
    // 0xRRGGBB; ComfyUI stores each byte as byte/255, which is that byte again in 8 bits.
    const rgb = [(color >> 16) & 0xff, (color >> 8) & 0xff, color & 0xff];
    const pixels = width * height;
    return [
      lazyImage({ count: batch_size, width, height, origin: `EmptyImage #${color.toString(16).padStart(6, '0')}` }, async function* ({ chunkFrames }) {
        const step = Math.min(batch_size, chunkFrames ?? defaultChunkFrames(width, height));
        const block = new Uint8Array(step * pixels * 3);
        for (let p = 0; p < step * pixels; p++) block.set(rgb, p * 3);
        // The block is never written after this, so every chunk can share it.
        for (let start = 0; start < batch_size; start += step) {
          const count = Math.min(step, batch_size - start);
          yield { start, count, data: block.subarray(0, count * pixels * 3) };
        }
      }),
    ];
  },
};

export const GetImageSize: NodeDefinition = {
  type: 'GetImageSize',
  displayName: 'Get Image Size',
  description: 'Gives the width, height and number of frames of an image batch.',
  category: 'image',
  inputs: { required: { image: { type: 'IMAGE' } }, hidden: { unique_id: 'UNIQUE_ID' } },
  outputs: [
    { type: 'INT', name: 'width' },
    { type: 'INT', name: 'height' },
    { type: 'INT', name: 'batch_size' },
  ],
  // Known without reading a single frame.
  execute: ({ image }) => {
    const source = image as Image;
    return [source.width, source.height, source.count];
  },
};
