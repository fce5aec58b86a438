// Opening any supported weight file by path.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { readSafetensorsIndex, readShardedSafetensorsIndex } from './safetensors.ts';
import { readTorchZipIndex } from './torch-zip.ts';
import { ZipDirectory } from './zip.ts';
import type { WeightIndex } from './types.ts';

export type { TensorEntry, WeightIndex, WeightFormat, ZipCompression } from './types.ts';
export { isZeroCopyable } from './types.ts';
export { readSafetensorsIndex, readShardedSafetensorsIndex, readSafetensorsHeader } from './safetensors.ts';
export { readTorchZipIndex } from './torch-zip.ts';
export { readTensor, readTensorBytes, readTensorFloat32, readTensorAs } from './read.ts';
export { unpickle, UnsafePickleError } from './pickle.ts';
export { writeSafetensors } from './safetensors-writer.ts';

/**
 * Indexes a weight file: `.safetensors`, a sharded `*.safetensors.index.json`, or a torch.save zip
 * (`.pth`, `.pt`, `.ckpt`, `.bin`). No tensor data is read.
 */
export function openWeights(path: string): WeightIndex {
  if (!statSync(path).isFile()) throw new Error(`${path} is not a file`);
  if (path.endsWith('.index.json')) return readShardedSafetensorsIndex(path);
  if (path.endsWith('.safetensors')) return readSafetensorsIndex(path);
  const fd = openSync(path, 'r');
  let format: SniffedFormat;
  try {
    format = sniffWeightFormat(fd);
  } finally {
    closeSync(fd);
  }
  if (format === 'zip') return readTorchZipIndex(path);
  // Safetensors content under another name (e.g. a converted checkpoint kept at its release name);
  // a damaged one (truncated, absurd header length) gets the safetensors reader's own error.
  if (format === 'safetensors') return readSafetensorsIndex(path);
  if (format === 'pickle' && /\.(pth|pt|ckpt|bin)$/.test(path)) {
    throw new Error(`${path} is a legacy (pre-1.6, non-zip) torch checkpoint; re-save it with torch.save (zip format) or convert it to safetensors`);
  }
  const size = statSync(path).size;
  if (size < 9) throw new Error(`${path}: ${size} bytes is too short to be a weight file`);
  throw new Error(`${path}: unknown weight format (expected .safetensors, .safetensors.index.json or a torch.save zip)`);
}

type SniffedFormat = 'zip' | 'safetensors' | 'pickle' | 'unknown';

/**
 * The format by the first bytes only, so that a damaged file is named for what it is: a zip
 * (torch.save since 1.6); safetensors (a little-endian u64 header length, then the JSON header's
 * '{', whatever the length says); a pickle (opcode PROTO 2-5, how legacy torch.save files start).
 */
function sniffWeightFormat(fd: number): SniffedFormat {
  if (ZipDirectory.isZip(fd)) return 'zip';
  const head = Buffer.alloc(9);
  const read = readSync(fd, head, 0, 9, 0);
  if (read === 9 && head[8] === 0x7b) return 'safetensors';
  if (read >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return 'pickle';
  return 'unknown';
}

/** Several indexes seen as one key space; a key in two files is an error. */
export function mergeWeightIndexes(indexes: readonly WeightIndex[]): WeightIndex {
  const first = indexes[0];
  if (!first) throw new Error('mergeWeightIndexes needs at least one index');
  const tensors = new Map<string, WeightIndex['tensors'] extends ReadonlyMap<string, infer E> ? E : never>();
  for (const idx of indexes) {
    for (const [k, e] of idx.tensors) {
      if (tensors.has(k)) throw new Error(`tensor ${k} is in both ${tensors.get(k)!.file} and ${e.file}`);
      tensors.set(k, e);
    }
  }
  return { format: first.format, source: first.source, files: indexes.flatMap((i) => i.files), tensors, metadata: { ...first.metadata } };
}
