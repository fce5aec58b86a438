// safetensors: 8-byte little-endian header length, a JSON header, then raw little-endian data.
import { openSync, readSync, closeSync, fstatSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { contiguousStrides, dtypeByteSize, dtypeFromSafetensors, shapeSize } from '../dtype.ts';
import type { TensorEntry, WeightIndex } from './types.ts';

/** Headers larger than this are not safetensors files (the reference reader uses the same cap). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsHeader {
  readonly dataStart: number;
  readonly fileSize: number;
  readonly entries: Record<string, HeaderEntry>;
  readonly metadata: Record<string, string>;
}

export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = openSync(file, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const prefix = Buffer.alloc(8);
    if (readSync(fd, prefix, 0, 8, 0) !== 8) throw new Error(`${file}: too short for a safetensors file`);
    const declared = prefix.readBigUInt64LE(0);
    if (declared > BigInt(MAX_HEADER_BYTES)) {
      throw new Error(`${file}: safetensors header length ${declared} is over the ${MAX_HEADER_BYTES}-byte limit: the file is damaged`);
    }
    const headerLen = Number(declared);
    if (8 + headerLen > fileSize) {
      throw new Error(`${file}: truncated safetensors file: its header is ${headerLen} bytes but only ${fileSize - 8} follow the length`);
    }
    const header = Buffer.alloc(headerLen);
    if (readSync(fd, header, 0, headerLen, 8) !== headerLen) throw new Error(`${file}: truncated safetensors header`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(header.toString('utf8'));
    } catch (err) {
      throw new Error(`${file}: safetensors header is not JSON (${(err as Error).message})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file}: safetensors header is not an object`);
    const { __metadata__: metadata, ...entries } = parsed as Record<string, unknown>;
    return {
      dataStart: 8 + headerLen,
      fileSize,
      entries: entries as Record<string, HeaderEntry>,
      metadata: (metadata ?? {}) as Record<string, string>,
    };
  } finally {
    closeSync(fd);
  }
}

function entriesOf(file: string, header: SafetensorsHeader): TensorEntry[] {
  const out: TensorEntry[] = [];
  const dataSize = header.fileSize - header.dataStart;
  for (const [key, e] of Object.entries(header.entries)) {
    const dtype = dtypeFromSafetensors(e.dtype);
    if (!dtype) throw new Error(`${file}: tensor ${key} has unsupported dtype ${e.dtype}`);
    if (!Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2) {
      throw new Error(`${file}: tensor ${key} has a malformed header entry`);
    }
    const [begin, end] = e.data_offsets;
    const length = shapeSize(e.shape) * dtypeByteSize(dtype);
    if (end - begin !== length || begin < 0 || end > dataSize) {
      throw new Error(`${file}: tensor ${key} data_offsets [${begin}, ${end}] do not fit shape [${e.shape.join(', ')}] ${dtype} in ${dataSize} data bytes`);
    }
    out.push({
      key, dtype, shape: e.shape, file, offset: header.dataStart + begin, length,
      layout: 'contiguous', strides: contiguousStrides(e.shape),
    });
  }
  return out;
}

export function readSafetensorsIndex(path: string): WeightIndex {
  const file = resolve(path);
  const header = readSafetensorsHeader(file);
  const tensors = new Map<string, TensorEntry>();
  for (const e of entriesOf(file, header)) tensors.set(e.key, e);
  return { format: 'safetensors', source: file, files: [file], tensors, metadata: header.metadata };
}

/** A `*.safetensors.index.json` ({metadata, weight_map: {key: shard}}) and all its shards. */
export function readShardedSafetensorsIndex(indexPath: string): WeightIndex {
  const source = resolve(indexPath);
  const parsed = JSON.parse(readFileSync(source, 'utf8')) as { metadata?: Record<string, unknown>; weight_map?: Record<string, string> };
  const weightMap = parsed.weight_map;
  if (!weightMap || typeof weightMap !== 'object') throw new Error(`${source}: no weight_map`);
  const base = dirname(source);
  const shards = [...new Set(Object.values(weightMap))];
  const tensors = new Map<string, TensorEntry>();
  const files: string[] = [];
  for (const shard of shards) {
    const file = resolve(base, shard);
    files.push(file);
    for (const e of entriesOf(file, readSafetensorsHeader(file))) {
      if (tensors.has(e.key)) throw new Error(`${source}: tensor ${e.key} appears in more than one shard`);
      tensors.set(e.key, e);
    }
  }
  for (const [key, shard] of Object.entries(weightMap)) {
    const e = tensors.get(key);
    if (!e) throw new Error(`${source}: weight_map names ${key} in ${shard}, but no shard holds it`);
    if (e.file !== resolve(base, shard)) throw new Error(`${source}: weight_map puts ${key} in ${shard}, found in ${e.file}`);
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.metadata ?? {})) metadata[k] = String(v);
  return { format: 'safetensors', source, files, tensors, metadata };
}
