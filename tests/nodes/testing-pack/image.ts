// The pack's own IMAGE/MASK value: a small float tensor [batch, height, width, channels] with
// values in 0..1, like ComfyUI's torch tensors (masks have one channel).
export interface Tensor {
  batch: number;
  height: number;
  width: number;
  channels: number;
  data: Float32Array;
}

export function filled(batch: number, height: number, width: number, channels: number, value: number | (() => number)): Tensor {
  const data = new Float32Array(batch * height * width * channels);
  if (typeof value === 'number') data.fill(value);
  else for (let i = 0; i < data.length; i++) data[i] = value();
  return { batch, height, width, channels, data };
}

export function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && (value as Tensor).data instanceof Float32Array;
}

export function map(a: Tensor, fn: (v: number, i: number) => number): Tensor {
  const data = new Float32Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = fn(a.data[i]!, i);
  return { ...a, data };
}

export function sameShape(a: Tensor, b: Tensor): boolean {
  return a.batch === b.batch && a.height === b.height && a.width === b.width && a.channels === b.channels;
}

export function shapeOf(t: Tensor): string {
  return `[${t.batch}, ${t.height}, ${t.width}, ${t.channels}]`;
}

export function minMax(t: Tensor): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of t.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** Element-wise mean of same-shaped tensors. */
export function mean(tensors: readonly Tensor[]): Tensor {
  const first = tensors[0]!;
  for (const t of tensors) if (!sameShape(t, first)) throw new Error(`cannot average ${shapeOf(first)} with ${shapeOf(t)}`);
  return map(first, (_, i) => tensors.reduce((sum, t) => sum + t.data[i]!, 0) / tensors.length);
}

/** image1 * (1 - mask) + image2 * mask, the mask broadcast over the channels. */
export function mix(image1: Tensor, image2: Tensor, mask: Tensor): Tensor {
  if (!sameShape(image1, image2)) throw new Error(`image sizes differ: ${shapeOf(image1)} and ${shapeOf(image2)}`);
  if (mask.height !== image1.height || mask.width !== image1.width) throw new Error(`mask ${shapeOf(mask)} does not fit image ${shapeOf(image1)}`);
  const pixels = image1.height * image1.width;
  return map(image1, (v, i) => {
    const pixel = Math.floor(i / image1.channels);
    const b = Math.floor(pixel / pixels);
    const m = mask.data[Math.min(b, mask.batch - 1) * pixels + (pixel % pixels)]!;
    return v * (1 - m) + image2.data[i]! * m;
  });
}

/** One batch element as its own tensor. */
export function frame(t: Tensor, index: number): Tensor {
  const size = t.height * t.width * t.channels;
  return { ...t, batch: 1, data: t.data.slice(index * size, (index + 1) * size) };
}

export function concat(frames: readonly Tensor[]): Tensor {
  const first = frames[0]!;
  const data = new Float32Array(frames.reduce((n, f) => n + f.data.length, 0));
  let offset = 0;
  for (const f of frames) {
    if (f.height !== first.height || f.width !== first.width || f.channels !== first.channels) throw new Error('cannot batch images of different sizes');
    data.set(f.data, offset);
    offset += f.data.length;
  }
  return { ...first, batch: frames.reduce((n, f) => n + f.batch, 0), data };
}

/** 8-bit pixels as ComfyUI's savers make them: clip(v * 255) truncated. */
export function toBytes(t: Tensor, index: number): Buffer {
  const f = frame(t, index);
  const bytes = Buffer.alloc(f.data.length);
  for (let i = 0; i < f.data.length; i++) bytes[i] = Math.min(255, Math.max(0, Math.trunc(f.data[i]! * 255)));
  return bytes;
}
