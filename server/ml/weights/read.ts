// Loading tensor values: the only place that reads weight data (indexes never do).
import { closeSync, openSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { dtypeByteSize, shapeSize } from '../dtype.ts';
import { castFloat, dataFromBytes, toFloat32 } from '../tensor.ts';
import type { Tensor } from '../tensor.ts';
import type { TensorEntry } from './types.ts';

function readRange(file: string, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, position + done);
      if (n === 0) throw new Error(`${file}: unexpected end of file reading ${length} bytes at ${position}`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}

/** Bytes spanned from the first element to one past the last one, for a strided view. */
function spanBytes(entry: TensorEntry): number {
  if (shapeSize(entry.shape) === 0) return 0;
  const last = entry.shape.reduce((acc, d, i) => acc + (d - 1) * entry.strides[i]!, 0);
  return (last + 1) * dtypeByteSize(entry.dtype);
}

/** Copies a strided view into row-major order. */
function gather(entry: TensorEntry, bytes: Uint8Array): Uint8Array {
  const item = dtypeByteSize(entry.dtype);
  const n = shapeSize(entry.shape);
  const out = new Uint8Array(n * item);
  const rank = entry.shape.length;
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += index[d]! * entry.strides[d]!;
    out.set(bytes.subarray(src * item, src * item + item), i * item);
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < entry.shape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

/** The raw row-major bytes of a tensor, little-endian, whatever its storage (stored, deflated, strided). */
export function readTensorBytes(entry: TensorEntry): Uint8Array {
  const span = entry.layout === 'contiguous' ? entry.length : spanBytes(entry);
  let bytes: Uint8Array;
  if (entry.compression) {
    const c = entry.compression;
    const storage = inflateRawSync(readRange(entry.file, c.dataOffset, c.compressedSize));
    if (storage.length !== c.uncompressedSize) throw new Error(`${entry.file}: ${entry.key} inflated to ${storage.length} bytes, expected ${c.uncompressedSize}`);
    bytes = storage.subarray(c.offsetInStorage, c.offsetInStorage + span);
  } else {
    bytes = readRange(entry.file, entry.offset, span);
  }
  return entry.layout === 'contiguous' ? bytes : gather(entry, bytes);
}

/** The tensor in its stored dtype. */
export function readTensor(entry: TensorEntry): Tensor {
  return { dtype: entry.dtype, shape: [...entry.shape], data: dataFromBytes(entry.dtype, readTensorBytes(entry)) };
}

/** The tensor converted to float32 (f16/bf16 widened exactly). */
export function readTensorFloat32(entry: TensorEntry): Tensor {
  return toFloat32(readTensor(entry));
}

/** The tensor in another float dtype (narrowing rounds to nearest even). */
export function readTensorAs(entry: TensorEntry, dtype: Tensor['dtype']): Tensor {
  return castFloat(readTensor(entry), dtype);
}
