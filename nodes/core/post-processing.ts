// Per-frame filters of ComfyUI's comfy_extras/nodes_post_processing.py: ImageBlend, ImageBlur and
// ImageSharpen. The math is ComfyUI's, on 0..1 floats (computed in float64 here, float32 there), and
// each result is rounded to 8 bits once; a value within ~1e-6 of a rounding midpoint can therefore
// land one level away from ComfyUI's. Results are lazy: chunks are filtered as they are read.
import { defaultChunkFrames, frameBytes, lazyImage, mapFrames, unitFloatToByte, type FrameChunk, type FrameReadOptions, type Image } from '../../types/data.ts';
import { inputError } from '../../server/media/errors.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { scaleImage } from './image-transform.ts';

const BLEND_MODES = ['normal', 'multiply', 'screen', 'overlay', 'soft_light', 'difference'] as const;
type BlendMode = (typeof BLEND_MODES)[number];

/** ComfyUI's blend of one pair of values (before mixing with blend_factor). */
export function blendValue(a: number, b: number, mode: BlendMode): number {
  switch (mode) {
    case 'normal':
      return b;
    case 'multiply':
      return a * b;
    case 'screen':
      return 1 - (1 - a) * (1 - b);
    case 'overlay':
      return a <= 0.5 ? 2 * a * b : 1 - 2 * (1 - a) * (1 - b);
    case 'soft_light': {
      if (b <= 0.5) return a - (1 - 2 * b) * a * (1 - a);
      const g = a <= 0.25 ? ((16 * a - 12) * a + 4) * a : Math.sqrt(a);
      return a + (2 * b - 1) * (g - a);
    }
    case 'difference':
      return a - b;
  }
}

/** Reads frames of an IMAGE in runs of any length; a one-frame IMAGE repeats its frame (broadcast). */
function frameTaker(image: Image, options: FrameReadOptions) {
  const bytes = frameBytes(image);
  let single: Uint8Array | undefined;
  const iterator = image.frames(options)[Symbol.asyncIterator]();
  let pending: Uint8Array = new Uint8Array(0);
  return {
    async take(count: number): Promise<Uint8Array> {
      if (image.count === 1) {
        const frame: Uint8Array = single ?? ((await iterator.next()).value as FrameChunk).data.slice(0, bytes);
        single = frame;
        const out = new Uint8Array(count * bytes);
        for (let f = 0; f < count; f++) out.set(frame, f * bytes);
        return out;
      }
      const parts: Uint8Array[] = [];
      let have = 0;
      while (have < count * bytes) {
        if (pending.length === 0) {
          const next = await iterator.next();
          if (next.done) throw new Error(`${image.describe()} ended early`);
          pending = next.value.data;
        }
        const part = pending.subarray(0, Math.min(pending.length, count * bytes - have));
        pending = pending.subarray(part.length);
        parts.push(part);
        have += part.length;
      }
      if (parts.length === 1) return parts[0]!;
      const out = new Uint8Array(have);
      let at = 0;
      for (const part of parts) {
        out.set(part, at);
        at += part.length;
      }
      return out;
    },
    close: () => iterator.return?.(),
  };
}

export const ImageBlend: NodeDefinition = {
  type: 'ImageBlend',
  displayName: 'Blend Images',
  category: 'image/postprocessing',
  inputs: {
    required: {
      image1: { type: 'IMAGE' },
      image2: { type: 'IMAGE' },
      blend_factor: { type: 'FLOAT', default: 0.5, min: 0.0, max: 1.0, step: 0.01 },
      blend_mode: { type: 'COMBO', options: BLEND_MODES },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ image1, image2, blend_factor, blend_mode }) {
    const first = image1 as Image;
    let second = image2 as Image;
    const mode = blend_mode as BlendMode;
    if (!BLEND_MODES.includes(mode)) throw inputError('ImageBlend', 'blend_mode', `unknown blend mode ${JSON.stringify(blend_mode)}`);
    if (first.count !== second.count && first.count !== 1 && second.count !== 1) {
      throw inputError('ImageBlend', 'image2', `has ${second.count} frames and image1 has ${first.count}: the counts must match, or one of them be a single frame`);
    }
    // ComfyUI resizes image2 (bicubic, centre crop) to image1's size when the shapes differ.
    if (second.width !== first.width || second.height !== first.height) {
      second = scaleImage(second, { width: first.width, height: first.height }, 'bicubic', true, `ImageBlend image2 scaled to ${first.width}x${first.height}`);
    }
    // Every output byte depends only on the two input bytes: a 256x256 table does the float math once.
    const table = new Uint8Array(256 * 256);
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const x = a / 255;
        const blended = blendValue(x, b / 255, mode);
        table[(a << 8) | b] = unitFloatToByte(x * (1 - blend_factor) + blended * blend_factor);
      }
    }
    const count = Math.max(first.count, second.count);
    const { width, height } = first;
    const bytes = frameBytes(first);
    return [
      lazyImage({ count, width, height, origin: `ImageBlend ${mode} ${blend_factor} of ${first.describe()} and ${second.describe()}` }, async function* (options) {
        const a = frameTaker(first, options);
        const b = frameTaker(second, options);
        const step = options.chunkFrames ?? defaultChunkFrames(width, height);
        try {
          for (let start = 0; start < count; start += step) {
            const n = Math.min(step, count - start);
            const [x, y] = await Promise.all([a.take(n), b.take(n)]);
            const out = new Uint8Array(n * bytes);
            for (let i = 0; i < out.length; i++) out[i] = table[(x[i]! << 8) | y[i]!]!;
            yield { start, count: n, data: out } satisfies FrameChunk;
          }
        } finally {
          await Promise.all([a.close(), b.close()]);
        }
      }),
    ];
  },
};

/** torch.linspace(-1, 1, n) in float32: the first half counts up from -1, the second down from 1. */
function linspace(n: number): number[] {
  const f = Math.fround;
  const step = f(2 / (n - 1));
  return Array.from({ length: n }, (_, i) => (i < Math.floor(n / 2) ? f(-1 + f(i * step)) : f(1 - f((n - 1 - i) * step))));
}

/**
 * ComfyUI's Gaussian kernel over linspace(-1, 1, 2r+1) (so sigma is in units of the radius, not of
 * pixels), normalised to sum 1. exp(-(x²+y²)/2σ²) is the product of two 1-D factors, so the 2-D
 * kernel is the outer product of this normalised 1-D one.
 */
export function gaussianKernel1d(radius: number, sigma: number): Float64Array {
  const xs = linspace(2 * radius + 1);
  const g = Float64Array.from(xs, (x) => Math.exp(-(x * x) / (2 * sigma * sigma)));
  const sum = g.reduce((s, v) => s + v, 0);
  return g.map((v) => v / sum);
}

/**
 * One RGB frame convolved with the separable kernel, reflect-padded like torch's F.pad(..., 'reflect')
 * (the edge pixel is not repeated); values 0..1 as float64, interleaved RGB.
 */
function blurFrame(frame: Uint8Array, width: number, height: number, kernel: Float64Array): { input: Float64Array; blurred: Float64Array } {
  const radius = (kernel.length - 1) / 2;
  const reflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
  const input = Float64Array.from(frame, (v) => v / 255);
  const rows = new Float64Array(input.length);
  const xIndex = Array.from({ length: width + 2 * radius }, (_, i) => reflect(i - radius, width));
  const yIndex = Array.from({ length: height + 2 * radius }, (_, i) => reflect(i - radius, height));
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < kernel.length; k++) {
        const s = row + xIndex[x + k]! * 3;
        const w = kernel[k]!;
        r += w * input[s]!;
        g += w * input[s + 1]!;
        b += w * input[s + 2]!;
      }
      const o = row + x * 3;
      rows[o] = r;
      rows[o + 1] = g;
      rows[o + 2] = b;
    }
  }
  const blurred = new Float64Array(input.length);
  const stride = width * 3;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < stride; i++) {
      let v = 0;
      for (let k = 0; k < kernel.length; k++) v += kernel[k]! * rows[yIndex[y + k]! * stride + i]!;
      blurred[y * stride + i] = v;
    }
  }
  return { input, blurred };
}

function checkRadius(node: string, input: string, radius: number, image: Image): void {
  if (!Number.isInteger(radius) || radius < 0) throw inputError(node, input, `must be a whole number of pixels, got ${radius}`);
  if (radius >= image.width || radius >= image.height) {
    throw inputError(node, input, `reflect padding needs ${input} below the image width and height (${image.width}x${image.height}), got ${radius}`);
  }
}

/** Applies `perFrame` to every frame of each chunk (same size in and out). */
function filterFrames(image: Image, origin: string, perFrame: (frame: Uint8Array) => Uint8Array): Image {
  const bytes = frameBytes(image);
  return mapFrames(image, { width: image.width, height: image.height, origin }, (chunk) => {
    const out = new Uint8Array(chunk.data.length);
    for (let f = 0; f < chunk.count; f++) out.set(perFrame(chunk.data.subarray(f * bytes, (f + 1) * bytes)), f * bytes);
    return out;
  });
}

export const ImageBlur: NodeDefinition = {
  type: 'ImageBlur',
  displayName: 'Blur Image',
  category: 'image/postprocessing',
  inputs: {
    required: {
      image: { type: 'IMAGE' },
      blur_radius: { type: 'INT', default: 1, min: 1, max: 31, step: 1 },
      sigma: { type: 'FLOAT', default: 1.0, min: 0.1, max: 10.0, step: 0.1 },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ image, blur_radius, sigma }) {
    const source = image as Image;
    if (blur_radius === 0) return [source];
    checkRadius('ImageBlur', 'blur_radius', blur_radius, source);
    if (!(sigma > 0)) throw inputError('ImageBlur', 'sigma', `must be positive, got ${sigma}`);
    const kernel = gaussianKernel1d(blur_radius, sigma);
    return [
      filterFrames(source, `ImageBlur r${blur_radius} sigma ${sigma} of ${source.describe()}`, (frame) => {
        const { blurred } = blurFrame(frame, source.width, source.height, kernel);
        return Uint8Array.from(blurred, unitFloatToByte);
      }),
    ];
  },
};

export const ImageSharpen: NodeDefinition = {
  type: 'ImageSharpen',
  displayName: 'Sharpen Image',
  category: 'image/postprocessing',
  inputs: {
    required: {
      image: { type: 'IMAGE' },
      sharpen_radius: { type: 'INT', default: 1, min: 1, max: 31, step: 1, advanced: true },
      sigma: { type: 'FLOAT', default: 1.0, min: 0.1, max: 10.0, step: 0.01, advanced: true },
      alpha: { type: 'FLOAT', default: 1.0, min: 0.0, max: 5.0, step: 0.01, advanced: true },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ image, sharpen_radius, sigma, alpha }) {
    const source = image as Image;
    if (sharpen_radius === 0) return [source];
    checkRadius('ImageSharpen', 'sharpen_radius', sharpen_radius, source);
    if (!(sigma > 0)) throw inputError('ImageSharpen', 'sigma', `must be positive, got ${sigma}`);
    const kernel = gaussianKernel1d(sharpen_radius, sigma);
    // ComfyUI's kernel is -10·alpha·G with 10·alpha + 1 added at the centre (G sums to 1), so the
    // result is x + 10·alpha·(x - blur(x)), clamped to 0..1.
    const amount = 10 * alpha;
    return [
      filterFrames(source, `ImageSharpen r${sharpen_radius} sigma ${sigma} alpha ${alpha} of ${source.describe()}`, (frame) => {
        const { input, blurred } = blurFrame(frame, source.width, source.height, kernel);
        const out = new Uint8Array(frame.length);
        for (let i = 0; i < out.length; i++) out[i] = unitFloatToByte(input[i]! + amount * (input[i]! - blurred[i]!));
        return out;
      }),
    ];
  },
};
