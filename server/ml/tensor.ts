// Host-side tensors: just enough to feed ORT, read weights and compare results.
import ort from 'onnxruntime-node';
import { contiguousStrides, dtypeByteSize, shapeSize } from './dtype.ts';
import type { DType } from './dtype.ts';

/** float16 and bfloat16 are held as raw 16-bit patterns (Node 20 has no Float16Array). */
export type TensorData = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export function allocData(dtype: DType, length: number): TensorData {
  switch (dtype) {
    case 'float32': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
    case 'float16':
    case 'bfloat16': return new Uint16Array(length);
    case 'int64': return new BigInt64Array(length);
    case 'int32': return new Int32Array(length);
    case 'int16': return new Int16Array(length);
    case 'int8': return new Int8Array(length);
    case 'uint8':
    case 'bool': return new Uint8Array(length);
  }
}

/** A typed view over little-endian bytes; copies only when the bytes are misaligned. */
export function dataFromBytes(dtype: DType, bytes: Uint8Array): TensorData {
  const size = dtypeByteSize(dtype);
  if (bytes.byteLength % size !== 0) throw new Error(`${bytes.byteLength} bytes is not a whole number of ${dtype}`);
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const n = aligned.byteLength / size;
  switch (dtype) {
    case 'float32': return new Float32Array(aligned.buffer, aligned.byteOffset, n);
    case 'float64': return new Float64Array(aligned.buffer, aligned.byteOffset, n);
    case 'float16':
    case 'bfloat16': return new Uint16Array(aligned.buffer, aligned.byteOffset, n);
    case 'int64': return new BigInt64Array(aligned.buffer, aligned.byteOffset, n);
    case 'int32': return new Int32Array(aligned.buffer, aligned.byteOffset, n);
    case 'int16': return new Int16Array(aligned.buffer, aligned.byteOffset, n);
    case 'int8': return new Int8Array(aligned.buffer, aligned.byteOffset, n);
    case 'uint8':
    case 'bool': return new Uint8Array(aligned.buffer, aligned.byteOffset, n);
  }
}

export function tensorBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export function createTensor(dtype: DType, shape: readonly number[], data?: TensorData | readonly number[]): Tensor {
  const n = shapeSize(shape);
  let out: TensorData;
  if (data === undefined) out = allocData(dtype, n);
  else if (Array.isArray(data)) {
    out = allocData(dtype, n);
    if (out instanceof BigInt64Array) (data as number[]).forEach((v, i) => { out[i] = BigInt(v); });
    else if (dtype === 'float16') (data as number[]).forEach((v, i) => { out[i] = f32ToF16Bits(v); });
    else if (dtype === 'bfloat16') (data as number[]).forEach((v, i) => { out[i] = f32ToBf16Bits(v); });
    else (out as Float32Array).set(data as number[]);
  } else out = data as TensorData;
  if (out.length !== n) throw new Error(`tensor of shape [${shape.join(', ')}] needs ${n} values, got ${out.length}`);
  return { dtype, shape: [...shape], data: out };
}

export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  const resolved = [...shape];
  const inferred = resolved.indexOf(-1);
  if (inferred >= 0) {
    const known = resolved.reduce((a, d, i) => (i === inferred ? a : a * d), 1);
    resolved[inferred] = t.data.length / known;
  }
  if (shapeSize(resolved) !== t.data.length) throw new Error(`cannot reshape [${t.shape.join(', ')}] to [${shape.join(', ')}]`);
  return { dtype: t.dtype, shape: resolved, data: t.data };
}

// ---- 16-bit float conversions ----

let f16Table: Float32Array | undefined;

function f16BitsToF32Slow(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** All 65,536 half values, built once: conversion becomes a table lookup. */
function halfTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32Slow(h);
  }
  return f16Table;
}

export function f16BitsToF32(h: number): number {
  return halfTable()[h & 0xffff]!;
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Round-to-nearest-even float32 -> float16 bits (NaN stays NaN, overflow goes to Inf). */
export function f32ToF16Bits(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++; // a carry into the exponent is the correct rounding
  return sign | h;
}

export function bf16BitsToF32(b: number): number {
  scratchU32[0] = (b & 0xffff) << 16;
  return scratchF32[0]!;
}

export function f32ToBf16Bits(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff)) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

export function f16ArrayToF32(src: Uint16Array): Float32Array {
  const table = halfTable();
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]!]!;
  return out;
}

export function bf16ArrayToF32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
  return out;
}

export function f32ArrayToF16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f32ToF16Bits(src[i]!);
  return out;
}

export function f32ArrayToBf16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f32ToBf16Bits(src[i]!);
  return out;
}

/** Float values of any float tensor as float32 (a view when already float32). */
export function toFloat32(t: Tensor): Tensor {
  switch (t.dtype) {
    case 'float32': return t;
    case 'float16': return { dtype: 'float32', shape: t.shape, data: f16ArrayToF32(t.data as Uint16Array) };
    case 'bfloat16': return { dtype: 'float32', shape: t.shape, data: bf16ArrayToF32(t.data as Uint16Array) };
    case 'int64': return { dtype: 'float32', shape: t.shape, data: Float32Array.from(t.data as BigInt64Array, (v) => Number(v)) };
    default: return { dtype: 'float32', shape: t.shape, data: Float32Array.from(t.data as ArrayLike<number>) };
  }
}

/** Converts between float dtypes, rounding to nearest even when narrowing. */
export function castFloat(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const f32 = toFloat32(t);
  const src = f32.data as Float32Array;
  switch (dtype) {
    case 'float32': return f32;
    case 'float16': return { dtype, shape: t.shape, data: f32ArrayToF16(src) };
    case 'bfloat16': return { dtype, shape: t.shape, data: f32ArrayToBf16(src) };
    case 'float64': return { dtype, shape: t.shape, data: Float64Array.from(src) };
    default: throw new Error(`castFloat: ${dtype} is not a float dtype`);
  }
}

// ---- axis helpers ----

function axisLayout(shape: readonly number[], axis: number): { outer: number; dim: number; inner: number; axis: number } {
  const a = axis < 0 ? axis + shape.length : axis;
  if (a < 0 || a >= shape.length) throw new Error(`axis ${axis} out of range for rank ${shape.length}`);
  const strides = contiguousStrides(shape);
  return { outer: shapeSize(shape.slice(0, a)), dim: shape[a]!, inner: strides[a]!, axis: a };
}

/** Elements [start, end) along one axis, copied. */
export function sliceAxis(t: Tensor, axis: number, start: number, end: number): Tensor {
  const { outer, dim, inner, axis: a } = axisLayout(t.shape, axis);
  const s = Math.max(0, start < 0 ? start + dim : start);
  const e = Math.min(dim, end < 0 ? end + dim : end);
  const len = Math.max(0, e - s);
  const shape = [...t.shape];
  shape[a] = len;
  const out = allocData(t.dtype, outer * len * inner);
  for (let o = 0; o < outer; o++) {
    const from = (o * dim + s) * inner;
    (out as Float32Array).set((t.data as Float32Array).subarray(from, from + len * inner), o * len * inner);
  }
  return { dtype: t.dtype, shape, data: out };
}

export function concatAxis(tensors: readonly Tensor[], axis: number): Tensor {
  const first = tensors[0];
  if (!first) throw new Error('concatAxis needs at least one tensor');
  const { outer, inner, axis: a } = axisLayout(first.shape, axis);
  for (const t of tensors) {
    if (t.dtype !== first.dtype || t.shape.length !== first.shape.length || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new Error(`concatAxis: [${t.shape.join(', ')}] ${t.dtype} does not match [${first.shape.join(', ')}] ${first.dtype}`);
    }
  }
  const total = tensors.reduce((acc, t) => acc + t.shape[a]!, 0);
  const shape = [...first.shape];
  shape[a] = total;
  const out = allocData(first.dtype, outer * total * inner);
  let offset = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of tensors) {
      const chunk = t.shape[a]! * inner;
      (out as Float32Array).set((t.data as Float32Array).subarray(o * chunk, (o + 1) * chunk), offset);
      offset += chunk;
    }
  }
  return { dtype: first.dtype, shape, data: out };
}

// ---- onnxruntime-node conversion ----

export function toOrtTensor(t: Tensor): ort.Tensor {
  if (t.dtype === 'bfloat16') throw new Error('onnxruntime-node has no bfloat16 host tensors: castFloat(t, "float32") first');
  return new ort.Tensor(t.dtype, t.data as Float32Array, [...t.shape]);
}

export function fromOrtTensor(t: ort.Tensor): Tensor {
  const dtype = t.type as DType;
  const data = t.data as TensorData;
  if (!ArrayBuffer.isView(data)) throw new Error(`unsupported ORT tensor type ${t.type}`);
  return { dtype, shape: t.dims.map(Number), data };
}
