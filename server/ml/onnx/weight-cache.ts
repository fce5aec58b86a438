// Converted weight copies (dtype changes, inflated or strided storages), written once and reused.
// A source file is identified by its real path, size and mtime: editing or replacing the file
// changes the folder, so a stale conversion is never picked up.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { dtypeByteSize, shapeSize } from '../dtype.ts';
import type { DType } from '../dtype.ts';
import { castFloat, tensorBytes } from '../tensor.ts';
import { readTensor } from '../weights/read.ts';
import type { TensorEntry } from '../weights/types.ts';

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
