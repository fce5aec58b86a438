// Whole-frame geometry from ComfyUI's comfy_extras/nodes_images.py: ImageFlip, ImageRotate,
// ResizeAndPadImage and ImageStitch. Flips, rotations, padding and stitching move bytes, so they are
// exact; only the resizes (ResizeAndPadImage's interpolation, ImageStitch's match_image_size) go
// through the shared scaler (sharp, or PyTorch's area rule), as ImageScale does.
import { defaultChunkFrames, frameBytes, lazyImage, mapFrames, type FrameReadOptions, type Image } from '../../types/data.ts';
import { inputError, MAX_SIDE, sizeProblem } from '../../server/media/errors.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { scaleImage } from './image-transform.ts';

const FLIP_METHODS = ['x-axis: vertically', 'y-axis: horizontally'] as const;

export const ImageFlip: NodeDefinition = {
  type: 'ImageFlip',
  displayName: 'Flip Image',
  category: 'image/transform',
  inputs: {
    required: {
      image: { type: 'IMAGE' },
      flip_method: { type: 'COMBO', options: FLIP_METHODS },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ image, flip_method }) {
    const source = image as Image;
    const { width, height } = source;
    // "x-axis" mirrors top to bottom (torch.flip over rows), "y-axis" left to right (over columns).
    const vertical = String(flip_method).startsWith('x');
    if (!vertical && !String(flip_method).startsWith('y')) return [source];
    const row = width * 3;
    return [
      mapFrames(source, { width, height, origin: `ImageFlip ${flip_method} of ${source.describe()}` }, (chunk) => {
        const out = new Uint8Array(chunk.data.length);
        const frame = row * height;
        for (let f = 0; f < chunk.count; f++) {
          const base = f * frame;
          for (let y = 0; y < height; y++) {
            const src = base + y * row;
            if (vertical) {
              out.set(chunk.data.subarray(src, src + row), base + (height - 1 - y) * row);
            } else {
              for (let x = 0; x < width; x++) {
                const s = src + x * 3;
                const d = src + (width - 1 - x) * 3;
                out[d] = chunk.data[s]!;
                out[d + 1] = chunk.data[s + 1]!;
                out[d + 2] = chunk.data[s + 2]!;
              }
            }
          }
        }
        return out;
      }),
    ];
  },
};

const ROTATIONS = ['none', '90 degrees', '180 degrees', '270 degrees'] as const;

export const ImageRotate: NodeDefinition = {
  type: 'ImageRotate',
  displayName: 'Rotate Image',
  category: 'image/transform',
  inputs: {
    required: {
      image: { type: 'IMAGE' },
      rotation: { type: 'COMBO', options: ROTATIONS },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ image, rotation }) {
    const source = image as Image;
    const text = String(rotation);
    // ComfyUI: torch.rot90(k, dims=[2, 1]), i.e. k quarter turns clockwise.
    const k = text.startsWith('90') ? 1 : text.startsWith('180') ? 2 : text.startsWith('270') ? 3 : 0;
    if (k === 0) return [source];
    const { width: w, height: h } = source;
    const outW = k === 2 ? w : h;
    const outH = k === 2 ? h : w;
    return [
      mapFrames(source, { width: outW, height: outH, origin: `ImageRotate ${rotation} of ${source.describe()}` }, (chunk) => {
        const out = new Uint8Array(chunk.data.length);
        const frame = w * h * 3;
        for (let f = 0; f < chunk.count; f++) {
          const base = f * frame;
          for (let y = 0; y < outH; y++) {
            for (let x = 0; x < outW; x++) {
              // The source pixel (sx, sy) that lands at (x, y).
              let sx: number;
              let sy: number;
              if (k === 1) [sx, sy] = [y, h - 1 - x];
              else if (k === 2) [sx, sy] = [w - 1 - x, h - 1 - y];
              else [sx, sy] = [w - 1 - y, x];
              const s = base + (sy * w + sx) * 3;
              const d = base + (y * outW + x) * 3;
              out[d] = chunk.data[s]!;
              out[d + 1] = chunk.data[s + 1]!;
              out[d + 2] = chunk.data[s + 2]!;
            }
          }
        }
        return out;
      }),
    ];
  },
};

const PAD_METHODS = ['area', 'bicubic', 'nearest-exact', 'bilinear', 'lanczos'] as const;

export const ResizeAndPadImage: NodeDefinition = {
  type: 'ResizeAndPadImage',
  displayName: 'Resize And Pad Image',
  category: 'image/transform',
  inputs: {
    required: {
      image: { type: 'IMAGE' },
      target_width: { type: 'INT', default: 512, min: 1, max: MAX_SIDE, step: 1 },
      target_height: { type: 'INT', default: 512, min: 1, max: MAX_SIDE, step: 1 },
      padding_color: { type: 'COMBO', options: ['white', 'black'], advanced: true },
      interpolation: { type: 'COMBO', options: PAD_METHODS, advanced: true },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ image, target_width, target_height, padding_color, interpolation }) {
    const source = image as Image;
    const problem = sizeProblem(target_width, target_height);
    if (problem) throw inputError('ResizeAndPadImage', 'target_width', `output ${problem}`);
    // ComfyUI: the smaller of the two scale factors, sides truncated with int().
    const scale = Math.min(target_width / source.width, target_height / source.height);
    const newW = Math.trunc(source.width * scale);
    const newH = Math.trunc(source.height * scale);
    if (newW < 1 || newH < 1) {
      throw inputError(
        'ResizeAndPadImage',
        newW < 1 ? 'target_width' : 'target_height',
        `a ${source.width}x${source.height} image fitted into ${target_width}x${target_height} would be ${newW}x${newH} pixels; choose a larger target`,
      );
    }
    const resized =
      newW === source.width && newH === source.height
        ? source
        : scaleImage(source, { width: newW, height: newH }, interpolation, false, `ResizeAndPadImage resize of ${source.describe()}`);
    const fill = padding_color === 'black' ? 0 : 255;
    const x0 = Math.floor((target_width - newW) / 2);
    const y0 = Math.floor((target_height - newH) / 2);
    const origin = `ResizeAndPadImage ${target_width}x${target_height} of ${source.describe()}`;
    return [
      mapFrames(resized, { width: target_width, height: target_height, origin }, (chunk) => {
        const outFrame = target_width * target_height * 3;
        const inRow = newW * 3;
        const out = new Uint8Array(chunk.count * outFrame).fill(fill);
        for (let f = 0; f < chunk.count; f++) {
          for (let y = 0; y < newH; y++) {
            const s = (f * newH + y) * inRow;
            out.set(chunk.data.subarray(s, s + inRow), f * outFrame + ((y0 + y) * target_width + x0) * 3);
          }
        }
        return out;
      }),
    ];
  },
};

const DIRECTIONS = ['right', 'down', 'left', 'up'] as const;
const SPACING_COLORS: Record<string, [number, number, number]> = {
  white: [255, 255, 255],
  black: [0, 0, 0],
  red: [255, 0, 0],
  green: [0, 255, 0],
  blue: [0, 0, 255],
};

/** Every frame of `image` in order, one at a time. */
async function* singleFrames(image: Image, options: FrameReadOptions): AsyncGenerator<Uint8Array> {
  const bytes = frameBytes(image);
  for await (const chunk of image.frames(options)) {
    // Copied: a frame may be kept (repeated) after its source has moved on to the next chunk.
    for (let f = 0; f < chunk.count; f++) yield chunk.data.slice(f * bytes, (f + 1) * bytes);
  }
}

interface Part {
  /** The slot in the output frame: position and size. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export const ImageStitch: NodeDefinition = {
  type: 'ImageStitch',
  displayName: 'Stitch Images',
  description: 'Stitches image2 to image1 in the specified direction.\nIf image2 is not provided, returns image1 unchanged.\nOptional spacing can be added between images.',
  category: 'image/transform',
  inputs: {
    required: {
      image1: { type: 'IMAGE' },
      direction: { type: 'COMBO', options: DIRECTIONS, default: 'right' },
      match_image_size: { type: 'BOOLEAN', default: true },
      spacing_width: { type: 'INT', default: 0, min: 0, max: 1024, step: 2, advanced: true },
      spacing_color: { type: 'COMBO', options: Object.keys(SPACING_COLORS), default: 'white', advanced: true },
    },
    optional: { image2: { type: 'IMAGE' } },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ image1, direction, match_image_size, spacing_width, spacing_color, image2 }) {
    const first = image1 as Image;
    if (image2 === undefined || image2 === null) return [first];
    let second = image2 as Image;
    const horizontal = direction === 'left' || direction === 'right';
    if (!DIRECTIONS.includes(direction)) throw inputError('ImageStitch', 'direction', `unknown direction ${JSON.stringify(direction)} (one of ${DIRECTIONS.join(', ')})`);
    const spacingRgb = SPACING_COLORS[spacing_color as string];
    if (!spacingRgb) throw inputError('ImageStitch', 'spacing_color', `unknown colour ${JSON.stringify(spacing_color)} (one of ${Object.keys(SPACING_COLORS).join(', ')})`);
    if (!Number.isInteger(spacing_width) || spacing_width < 0) throw inputError('ImageStitch', 'spacing_width', `must be a whole number of pixels, 0 or more; got ${spacing_width}`);

    if (match_image_size) {
      // ComfyUI: image2 takes image1's height (or width) keeping its aspect, the other side truncated
      // with int(); resized with "lanczos" even when the size is unchanged (an identity here).
      const aspect = second.width / second.height;
      const target = horizontal
        ? { width: Math.trunc(first.height * aspect), height: first.height }
        : { width: first.width, height: Math.trunc(first.width / aspect) };
      const problem = sizeProblem(target.width, target.height);
      if (problem) throw inputError('ImageStitch', 'image2', `${second.width}x${second.height} matched to image1 (${first.width}x${first.height}): ${problem}`);
      if (target.width !== second.width || target.height !== second.height) {
        second = scaleImage(second, target, 'lanczos', false, `ImageStitch resize of ${second.describe()}`);
      }
    }
    // Without matching, the shorter side is padded (centred) with white/black, or black for a colour.
    const padValue = spacing_color === 'white' ? 255 : 0;
    const spacing = spacing_width > 0 ? spacing_width + (spacing_width % 2) : 0;

    const across = horizontal ? Math.max(first.height, second.height) : Math.max(first.width, second.width);
    const slot = (image: Image) => (horizontal ? { width: image.width, height: across } : { width: across, height: image.height });
    const order: ('first' | 'spacing' | 'second')[] = direction === 'left' || direction === 'up' ? ['second', 'spacing', 'first'] : ['first', 'spacing', 'second'];
    const parts: Record<string, Part> = {};
    let along = 0;
    for (const name of order) {
      const size = name === 'spacing' ? (horizontal ? { width: spacing, height: across } : { width: across, height: spacing }) : slot(name === 'first' ? first : second);
      parts[name] = horizontal ? { x: along, y: 0, ...size } : { x: 0, y: along, ...size };
      along += horizontal ? size.width : size.height;
    }
    const width = horizontal ? along : across;
    const height = horizontal ? across : along;
    const problem = sizeProblem(width, height);
    if (problem) throw inputError('ImageStitch', 'image2', `the stitched image ${problem}`);
    const count = Math.max(first.count, second.count);
    const frameOut = width * height * 3;

    // The template: padding and spacing colours, painted once; each frame copies it and blits both images.
    const template = new Uint8Array(frameOut);
    for (const name of ['first', 'second', 'spacing'] as const) {
      const part = parts[name]!;
      const rgb = name === 'spacing' ? spacingRgb : [padValue, padValue, padValue];
      for (let y = part.y; y < part.y + part.height; y++) {
        for (let x = part.x; x < part.x + part.width; x++) template.set(rgb, (y * width + x) * 3);
      }
    }
    const blit = (out: Uint8Array, base: number, frame: Uint8Array, image: Image, part: Part) => {
      const x0 = part.x + Math.floor((part.width - image.width) / 2);
      const y0 = part.y + Math.floor((part.height - image.height) / 2);
      const row = image.width * 3;
      for (let y = 0; y < image.height; y++) out.set(frame.subarray(y * row, (y + 1) * row), base + ((y0 + y) * width + x0) * 3);
    };
    const b = second;
    const origin = `ImageStitch ${direction} of ${first.describe()} and ${b.describe()}`;
    return [
      lazyImage({ count, width, height, origin }, async function* (options) {
        const step = options.chunkFrames ?? defaultChunkFrames(width, height);
        const one = singleFrames(first, options)[Symbol.asyncIterator]();
        const two = singleFrames(b, options)[Symbol.asyncIterator]();
        // The shorter batch repeats its last frame (ComfyUI pads the batch that way).
        let lastOne: Uint8Array | undefined;
        let lastTwo: Uint8Array | undefined;
        try {
          for (let start = 0; start < count; start += step) {
            const n = Math.min(step, count - start);
            const data = new Uint8Array(n * frameOut);
            for (let f = 0; f < n; f++) {
              const i = start + f;
              if (i < first.count) lastOne = (await one.next()).value as Uint8Array;
              if (i < b.count) lastTwo = (await two.next()).value as Uint8Array;
              const base = f * frameOut;
              data.set(template, base);
              blit(data, base, lastOne!, first, parts.first!);
              blit(data, base, lastTwo!, b, parts.second!);
            }
            yield { start, count: n, data };
          }
        } finally {
          await one.return?.(undefined);
          await two.return?.(undefined);
        }
      }),
    ];
  },
};
