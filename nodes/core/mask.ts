// MASK nodes and masked compositing with ComfyUI's schemas (comfy_extras/nodes_mask.py):
// ImageToMask, MaskToImage, InvertMask, SolidMask and ImageCompositeMasked.
//
// A MASK is float32 [count, height, width] held in memory (types/data.ts); an IMAGE is 8-bit RGB read
// in chunks. Where ComfyUI computes in float, the float result is rounded to 8 bits once, at the end.
import { defaultChunkFrames, frameBytes, lazyImage, mask, materialize, type Image, type Mask, type FrameReadOptions } from '../../types/data.ts';
import { inputError, MAX_SIDE, sizeProblem } from '../../server/media/errors.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';

const CHANNELS = ['red', 'green', 'blue', 'alpha'] as const;

/** A MASK is one float32 array: refuse more than 1 GiB of it with a clear error rather than run out of memory. */
const MAX_MASK_VALUES = 2 ** 28;

export const ImageToMask: NodeDefinition = {
  type: 'ImageToMask',
  displayName: 'Convert Image to Mask',
  category: 'mask',
  inputs: {
    required: {
      image: { type: 'IMAGE' },
      channel: { type: 'COMBO', options: CHANNELS },
    },
  },
  outputs: [{ type: 'MASK' }],
  async execute({ image, channel }, ctx) {
    const source = image as Image;
    const c = CHANNELS.indexOf(channel);
    if (c === 3) {
      // ComfyUI fails the same way on an RGB tensor (there is no fourth channel to index).
      throw inputError('ImageToMask', 'channel', 'the image has no alpha channel (IMAGE is RGB here; LoadImage gives the alpha as its MASK output)');
    }
    // A MASK lives in memory, so the chosen channel of every frame is read into one array.
    const plane = source.width * source.height;
    if (source.count * plane > MAX_MASK_VALUES) {
      const gib = ((source.count * plane * 4) / 2 ** 30).toFixed(1);
      throw inputError('ImageToMask', 'image', `${source.count} frames of ${source.width}x${source.height} would take ${gib} GiB as a MASK (masks are held in memory, at most 1 GiB); cut or scale the frames first`);
    }
    const out = new Float32Array(source.count * plane);
    for await (const chunk of source.frames({ signal: ctx.signal })) {
      const base = chunk.start * plane;
      for (let p = 0; p < chunk.count * plane; p++) out[base + p] = chunk.data[p * 3 + c]! / 255;
    }
    return [mask(out, source.count, source.width, source.height)];
  },
};

/** A MASK value as an 8-bit grey level: clamped to 0..1 and rounded (FlashGraph's float to 8-bit rule). */
function maskByte(v: number): number {
  return v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
}

export const MaskToImage: NodeDefinition = {
  type: 'MaskToImage',
  displayName: 'Convert Mask to Image',
  category: 'mask',
  inputs: { required: { mask: { type: 'MASK' } } },
  outputs: [{ type: 'IMAGE' }],
  execute({ mask: m }) {
    const source = m as Mask;
    const { count, width, height } = source;
    const plane = width * height;
    // The mask repeated into R, G and B, made chunk by chunk as it is read.
    return [
      lazyImage({ count, width, height, origin: `MaskToImage of ${source.describe()}` }, async function* ({ chunkFrames }) {
        const step = chunkFrames ?? defaultChunkFrames(width, height);
        for (let start = 0; start < count; start += step) {
          const n = Math.min(step, count - start);
          const data = new Uint8Array(n * plane * 3);
          for (let p = 0; p < n * plane; p++) data.fill(maskByte(source.data[start * plane + p]!), p * 3, p * 3 + 3);
          yield { start, count: n, data };
        }
      }),
    ];
  },
};

export const InvertMask: NodeDefinition = {
  type: 'InvertMask',
  displayName: 'Invert Mask',
  category: 'mask',
  inputs: { required: { mask: { type: 'MASK' } } },
  outputs: [{ type: 'MASK' }],
  execute({ mask: m }) {
    const source = m as Mask;
    // 1 - v for float32 v is exact in double, so storing it as float32 matches torch's float32 result.
    return [mask(source.data.map((v) => 1 - v), source.count, source.width, source.height)];
  },
};

export const SolidMask: NodeDefinition = {
  type: 'SolidMask',
  displayName: 'Create Solid Mask',
  category: 'mask',
  inputs: {
    required: {
      value: { type: 'FLOAT', default: 1.0, min: 0.0, max: 1.0, step: 0.01 },
      width: { type: 'INT', default: 512, min: 1, max: MAX_SIDE, step: 1 },
      height: { type: 'INT', default: 512, min: 1, max: MAX_SIDE, step: 1 },
    },
  },
  outputs: [{ type: 'MASK' }],
  execute({ value, width, height }) {
    const problem = sizeProblem(width, height);
    if (problem) throw inputError('SolidMask', 'width', `mask ${problem}`);
    return [mask(new Float32Array(width * height).fill(value), 1, width, height)];
  },
};

/**
 * Sample positions of PyTorch's `interpolate(mode="bilinear", align_corners=False)` along one axis
 * (no antialiasing): output i reads input (i + 0.5) * in/out - 0.5, clamped at 0, between two taps.
 */
function bilinearTaps(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; w1: Float64Array } {
  const scale = inSize / outSize;
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w1 = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const real = Math.max(0, scale * (i + 0.5) - 0.5);
    const lo = Math.min(Math.floor(real), inSize - 1);
    i0[i] = lo;
    i1[i] = lo < inSize - 1 ? lo + 1 : lo;
    w1[i] = real - lo;
  }
  return { i0, i1, w1 };
}

/** Resizes one interleaved frame (`channels` values per pixel) like PyTorch's bilinear interpolate. */
export function bilinearResize(
  src: ArrayLike<number>,
  from: { width: number; height: number },
  to: { width: number; height: number },
  channels: number,
): Float32Array {
  const out = new Float32Array(to.width * to.height * channels);
  const xs = bilinearTaps(from.width, to.width);
  const ys = bilinearTaps(from.height, to.height);
  for (let y = 0; y < to.height; y++) {
    const r0 = ys.i0[y]! * from.width;
    const r1 = ys.i1[y]! * from.width;
    const wy = ys.w1[y]!;
    for (let x = 0; x < to.width; x++) {
      const c0 = xs.i0[x]!;
      const c1 = xs.i1[x]!;
      const wx = xs.w1[x]!;
      for (let c = 0; c < channels; c++) {
        const top = src[(r0 + c0) * channels + c]! * (1 - wx) + src[(r0 + c1) * channels + c]! * wx;
        const bottom = src[(r1 + c0) * channels + c]! * (1 - wx) + src[(r1 + c1) * channels + c]! * wx;
        out[(y * to.width + x) * channels + c] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return out;
}

/**
 * Frame `i` of `image` for i = 0, 1, 2... in order, cycling when `total` exceeds its count
 * (ComfyUI's repeat_to_batch_size). A source that repeats is read once and held; one that does
 * not is streamed alongside the reader.
 */
function frameReader(image: Image, total: number, options: FrameReadOptions) {
  const bytes = frameBytes(image);
  if (image.count < total) {
    let held: Promise<Uint8Array> | undefined;
    return {
      async frame(i: number): Promise<Uint8Array> {
        held ??= materialize(image, options).then((t) => t.data);
        const f = i % image.count;
        return (await held).subarray(f * bytes, (f + 1) * bytes);
      },
      async close() {},
    };
  }
  const chunks = image.frames(options)[Symbol.asyncIterator]();
  let current: { start: number; count: number; data: Uint8Array } | undefined;
  return {
    async frame(i: number): Promise<Uint8Array> {
      while (!current || i >= current.start + current.count) {
        const next = await chunks.next();
        if (next.done) throw new Error(`${image.describe()} ended before frame ${i}`);
        current = next.value;
      }
      return current.data.subarray((i - current.start) * bytes, (i - current.start + 1) * bytes);
    },
    async close() {
      await chunks.return?.();
    },
  };
}

export const ImageCompositeMasked: NodeDefinition = {
  type: 'ImageCompositeMasked',
  displayName: 'Image Composite Masked',
  category: 'image',
  inputs: {
    required: {
      destination: { type: 'IMAGE' },
      source: { type: 'IMAGE' },
      x: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 1 },
      y: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 1 },
      resize_source: { type: 'BOOLEAN', default: false },
    },
    optional: { mask: { type: 'MASK' } },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ destination, source, x, y, resize_source, mask: maskInput }) {
    const dest = destination as Image;
    const src = source as Image;
    const m = (maskInput ?? null) as Mask | null;
    const { width, height, count } = dest;
    // ComfyUI's composite(): the source (optionally stretched to the destination's size) goes at
    // (x, y); only the part inside the destination is drawn. Source and mask frames repeat
    // cyclically to the destination's batch; the mask is stretched to the source's size.
    const srcSize = resize_source ? { width, height } : { width: src.width, height: src.height };
    const left = Math.min(x, width);
    const top = Math.min(y, height);
    const visibleW = Math.min(srcSize.width, width - left);
    const visibleH = Math.min(srcSize.height, height - top);
    if (visibleW <= 0 || visibleH <= 0) return [dest];
    let masks: Float32Array[] | undefined;
    if (m) {
      const plane = m.width * m.height;
      masks = Array.from({ length: m.count }, (_, f) => bilinearResize(m.data.subarray(f * plane, (f + 1) * plane), m, srcSize, 1));
    }
    const bytes = frameBytes(dest);
    return [
      lazyImage({ count, width, height, origin: `ImageCompositeMasked of ${src.describe()} onto ${dest.describe()}` }, async function* (options) {
        const reader = frameReader(src, count, options);
        try {
          for await (const chunk of dest.frames(options)) {
            const out = chunk.data.slice();
            for (let f = 0; f < chunk.count; f++) {
              const index = chunk.start + f;
              const raw = await reader.frame(index);
              // Stretched source values stay fractional until the blend is rounded.
              const pixels: ArrayLike<number> = resize_source ? bilinearResize(raw, src, srcSize, 3) : raw;
              const alpha = masks?.[index % masks.length];
              const frame = out.subarray(f * bytes, (f + 1) * bytes);
              for (let row = 0; row < visibleH; row++) {
                for (let col = 0; col < visibleW; col++) {
                  const s = (row * srcSize.width + col) * 3;
                  const d = ((top + row) * width + left + col) * 3;
                  const a = alpha ? alpha[row * srcSize.width + col]! : 1;
                  for (let c = 0; c < 3; c++) {
                    const v = a * pixels[s + c]! + (1 - a) * frame[d + c]!;
                    frame[d + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
                  }
                }
              }
            }
            yield { start: chunk.start, count: chunk.count, data: out };
          }
        } finally {
          await reader.close();
        }
      }),
    ];
  },
};
