// A read-only zip directory reader: only headers are read, never entry data, so callers can map
// STORED entries in place. Handles ZIP64 (torch.save writes it for large checkpoints).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface ZipEntry {
  readonly name: string;
  /** 0 = STORED, 8 = DEFLATE. */
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Absolute file offset of the entry's (possibly compressed) data. */
  readonly dataOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, position);
  if (n !== length) throw new Error(`unexpected end of zip file at ${position}`);
  return buf;
}

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('zip offset beyond 2^53');
  return Number(v);
}

export class ZipDirectory {
  readonly entries: ReadonlyMap<string, ZipEntry>;

  private constructor(readonly file: string, entries: Map<string, ZipEntry>) {
    this.entries = entries;
  }

  static isZip(fd: number): boolean {
    const buf = Buffer.alloc(4);
    return readSync(fd, buf, 0, 4, 0) === 4 && buf.readUInt32LE(0) === LOCAL_SIG;
  }

  static open(file: string): ZipDirectory {
    const fd = openSync(file, 'r');
    try {
      return new ZipDirectory(file, ZipDirectory.readEntries(fd, file));
    } finally {
      closeSync(fd);
    }
  }

  private static readEntries(fd: number, file: string): Map<string, ZipEntry> {
    const size = fstatSync(fd).size;
    const tailLen = Math.min(size, 22 + 0xffff);
    const tail = readAt(fd, size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG) { eocd = i; break; }
    }
    if (eocd < 0) throw new Error(`${file}: not a zip file (no end of central directory)`);
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const locAt = size - tailLen + eocd - 20;
      const loc = readAt(fd, locAt, 20);
      if (loc.readUInt32LE(0) !== ZIP64_LOCATOR_SIG) throw new Error(`${file}: ZIP64 locator missing`);
      const z64 = readAt(fd, u64(loc, 8), 56);
      if (z64.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw new Error(`${file}: ZIP64 end of central directory missing`);
      count = u64(z64, 32);
      cdSize = u64(z64, 40);
      cdOffset = u64(z64, 48);
    }
    const cd = readAt(fd, cdOffset, cdSize);
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (cd.readUInt32LE(p) !== CENTRAL_SIG) throw new Error(`${file}: corrupt central directory at entry ${i}`);
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      let compressedSize = cd.readUInt32LE(p + 20);
      let uncompressedSize = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let localOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLen);
      // ZIP64 extra field: the 64-bit values appear only for the 32-bit fields that overflowed, in this order.
      let e = p + 46 + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (uncompressedSize === 0xffffffff) { uncompressedSize = u64(cd, q); q += 8; }
          if (compressedSize === 0xffffffff) { compressedSize = u64(cd, q); q += 8; }
          if (localOffset === 0xffffffff) { localOffset = u64(cd, q); q += 8; }
        }
        e += 4 + len;
      }
      if (flags & 0x1) throw new Error(`${file}: entry ${name} is encrypted`);
      const local = readAt(fd, localOffset, 30);
      if (local.readUInt32LE(0) !== LOCAL_SIG) throw new Error(`${file}: bad local header for ${name}`);
      const dataOffset = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      if (dataOffset + compressedSize > size) throw new Error(`${file}: entry ${name} runs past the end of the file`);
      entries.set(name, { name, method, compressedSize, uncompressedSize, dataOffset });
      p = extraEnd + commentLen;
    }
    return entries;
  }
}
