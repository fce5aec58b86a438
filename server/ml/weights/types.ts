import type { DType } from '../dtype.ts';

export type WeightFormat = 'safetensors' | 'torch-zip';

/**
 * Where one tensor's bytes live. `offset`/`length` is the byte range of the element data in `file`
 * when the tensor can be read (or memory-mapped) in place: `layout` 'contiguous' and no `compression`.
 */
export interface TensorEntry {
  readonly key: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Absolute path of the file holding the bytes. */
  readonly file: string;
  /** Byte offset of the tensor's first element (storage offset included). */
  readonly offset: number;
  /** Byte length of the tensor's elements (numel * element size). */
  readonly length: number;
  /** 'strided' when the tensor is a non-contiguous view of its storage: readers must gather. */
  readonly layout: 'contiguous' | 'strided';
  /** Element strides within the storage (torch checkpoints only; contiguous for safetensors). */
  readonly strides: readonly number[];
  /** A zip entry that is not STORED: bytes must be inflated before use, never mapped. */
  readonly compression?: ZipCompression;
}

export interface ZipCompression {
  readonly method: 'deflate';
  /** Byte range of the compressed storage in `file`. */
  readonly dataOffset: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Byte offset of the tensor inside the inflated storage. */
  readonly offsetInStorage: number;
}

export interface WeightIndex {
  readonly format: WeightFormat;
  /** The path that was opened (a weight file or a safetensors index json). */
  readonly source: string;
  readonly files: readonly string[];
  readonly tensors: ReadonlyMap<string, TensorEntry>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** True when the bytes can be used in place (memory-mapped or pointed at as ONNX external data). */
export function isZeroCopyable(entry: TensorEntry): boolean {
  return entry.layout === 'contiguous' && entry.compression === undefined;
}
