// Converted weight copies (dtype changes, inflated or strided storages), written once and reused.
// A source file is identified by its real path, size and mtime: editing or replacing the file
// changes the folder, so a stale conversion is never picked up.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { dtypeByteSize, shapeSize } from '../dtype.ts';
import type { DType } from '../dtype.ts';
import { castFloat, tensorBytes, toFloat32 } from '../tensor.ts';
import { readTensor } from '../weights/read.ts';
import type { TensorEntry } from '../weights/types.ts';
import type { QuantPart } from './graph-builder.ts';

export interface CachedTensor {
  readonly file: string;
  readonly offset: number;
  readonly length: number;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 20);
}

export class WeightConversionCache {
  constructor(readonly dir: string) {}

  /** Folder for one source file version. */
  sourceFolder(sourceFile: string): string {
    const real = realpathSync(sourceFile);
    const st = statSync(real);
    return join(this.dir, hash(`${real}\0${st.size}\0${st.mtimeMs}`));
  }

  /** The tensor converted to `dtype`, from the cache or converted now. */
  ensure(entry: TensorEntry, dtype: DType): CachedTensor {
    const folder = this.sourceFolder(entry.file);
    const file = join(folder, `${hash(`${entry.key}\0${entry.offset}\0${entry.dtype}`)}.${dtype}.bin`);
    const length = shapeSize(entry.shape) * dtypeByteSize(dtype);
    if (existsSync(file) && statSync(file).size === length) return { file, offset: 0, length };
    mkdirSync(folder, { recursive: true });
    const manifest = join(folder, 'source.txt');
    if (!existsSync(manifest)) writeFileSync(manifest, `${realpathSync(entry.file)}\n`);
    const converted = castFloat(readTensor(entry), dtype);
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, tensorBytes(converted));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file); // atomic: a concurrent reader sees the old state or the whole file
    return { file, offset: 0, length };
  }

  /**
   * One half of the 8-bit block quantisation of a 2-D weight (see QuantPart). Both halves are
   * computed and written together the first time either is asked for; later builds map the files.
   */
  ensureQuantized(entry: TensorEntry, quant: QuantPart): CachedTensor {
    const scaleDtype = quant.scaleDtype;
    const folder = this.sourceFolder(entry.file);
    const stem = join(folder, `${hash(`${entry.key}\0${entry.offset}\0${entry.dtype}`)}.q${quant.bits}b${quant.blockSize}`);
    const [N, K] = entry.shape as [number, number];
    const blocks = Math.ceil(K / quant.blockSize);
    const dataFile = `${stem}.uint8.bin`;
    const scaleFile = `${stem}.scales.${scaleDtype}.bin`;
    const dataLength = N * blocks * quant.blockSize;
    const scaleLength = N * blocks * dtypeByteSize(scaleDtype);
    const want = quant.part === 'data' ? { file: dataFile, offset: 0, length: dataLength } : { file: scaleFile, offset: 0, length: scaleLength };
    const ready = (f: string, n: number): boolean => existsSync(f) && statSync(f).size === n;
    if (ready(dataFile, dataLength) && ready(scaleFile, scaleLength)) return want;
    mkdirSync(folder, { recursive: true });
    const manifest = join(folder, 'source.txt');
    if (!existsSync(manifest)) writeFileSync(manifest, `${realpathSync(entry.file)}\n`);
    const q = quantizeBlocks8(toFloat32(readTensor(entry)).data as Float32Array, N, K, quant.blockSize);
    const scales = castFloat({ dtype: 'float32', shape: [N * blocks], data: q.scales }, scaleDtype);
    if (!ready(dataFile, dataLength)) writeAtomic(dataFile, q.data);
    if (!ready(scaleFile, scaleLength)) writeAtomic(scaleFile, tensorBytes(scales));
    return want;
  }

  /** Bytes held by the cache. */
  sizeBytes(): number {
    if (!existsSync(this.dir)) return 0;
    let total = 0;
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else total += statSync(join(d, e.name)).size;
      }
    };
    walk(this.dir);
    return total;
  }

  clear(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function writeAtomic(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/**
 * Symmetric 8-bit quantisation of W [N, K] per row and block of `blockSize` columns: scale =
 * absmax / 127, stored value round(w / scale) + 128 (uint8; zero point 128, MatMulNBits' default).
 * A last, partial block is padded with 128 (= 0). Layout: data [N, blocks, blockSize], scales [N * blocks].
 */
export function quantizeBlocks8(w: Float32Array, N: number, K: number, blockSize: number): { data: Uint8Array; scales: Float32Array } {
  const blocks = Math.ceil(K / blockSize);
  const data = new Uint8Array(N * blocks * blockSize).fill(128);
  const scales = new Float32Array(N * blocks);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const start = n * K + b * blockSize;
      const end = n * K + Math.min(K, (b + 1) * blockSize);
      let max = 0;
      for (let i = start; i < end; i++) max = Math.max(max, Math.abs(w[i]!));
      const scale = max > 0 ? max / 127 : 1;
      scales[n * blocks + b] = scale;
      const out = (n * blocks + b) * blockSize;
      for (let i = start; i < end; i++) data[out + i - start] = Math.max(1, Math.min(255, Math.round(w[i]! / scale) + 128));
    }
  }
  return { data, scales };
}
