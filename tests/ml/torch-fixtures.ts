// Hand-built torch.save-style checkpoints for reader tests: a tiny pickle writer and a zip writer,
// independent of the code under test.
import { deflateRawSync } from 'node:zlib';

export class PickleWriter {
  private readonly parts: Buffer[] = [Buffer.from([0x80, 0x02])];
  op(...bytes: number[]): this { this.parts.push(Buffer.from(bytes)); return this; }
  global(module: string, name: string): this { this.parts.push(Buffer.from(`c${module}\n${name}\n`, 'latin1')); return this; }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4); len.writeUInt32LE(b.length);
    this.parts.push(Buffer.from([0x58]), len, b); return this;
  }
  int(n: number): this {
    const b = Buffer.alloc(5); b[0] = 0x4a; b.writeInt32LE(n, 1); this.parts.push(b); return this;
  }
  tuple(items: number[]): this { this.op(0x28); for (const i of items) this.int(i); return this.op(0x74); }
  mark(): this { return this.op(0x28); }
  finish(): Buffer { return Buffer.concat([...this.parts, Buffer.from([0x2e])]); }
}

export interface FixtureTensor {
  key: string;
  storageType: string;
  storageKey: string;
  storageNumel: number;
  offset: number;
  shape: number[];
  strides: number[];
}

/** Appends `_rebuild_tensor_v2((storage pid), offset, shape, strides, False, OrderedDict())`. */
export function writeTensorRef(w: PickleWriter, t: FixtureTensor): void {
  w.global('torch._utils', '_rebuild_tensor_v2').mark();
  w.mark().str('storage').global('torch', t.storageType).str(t.storageKey).str('cpu').int(t.storageNumel).op(0x74).op(0x51);
  w.int(t.offset).tuple(t.shape).tuple(t.strides).op(0x89);
  w.global('collections', 'OrderedDict').op(0x29, 0x52);
  w.op(0x74, 0x52);
}

/** `{'state_dict': OrderedDict(tensors), 'epoch': 3}` when wrapped, else the OrderedDict alone. */
export function stateDictPickle(tensors: FixtureTensor[], wrap: boolean): Buffer {
  const w = new PickleWriter();
  if (wrap) w.op(0x7d).mark().str('state_dict');
  w.global('collections', 'OrderedDict').op(0x29, 0x52).mark();
  for (const t of tensors) { w.str(t.key); writeTensorRef(w, t); }
  w.op(0x75);
  if (wrap) w.str('epoch').int(3).op(0x75);
  return w.finish();
}

export interface ZipInput { name: string; data: Buffer; deflate?: boolean }

/** A zip with 64-byte aligned data, as torch.save writes (padding in the local extra field). */
export function buildZip(entries: ZipInput[], options: { zip64?: boolean } = {}): Buffer {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const body = e.deflate ? deflateRawSync(e.data) : e.data;
    const baseLen = offset + 30 + name.length + 4;
    const pad = (64 - (baseLen % 64)) % 64;
    const extra = Buffer.alloc(4 + pad);
    extra.writeUInt16LE(0x4246, 0); extra.writeUInt16LE(pad, 2);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18); local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26); local.writeUInt16LE(extra.length, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0); cd.writeUInt16LE(20, 4); cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(e.deflate ? 8 : 0, 10);
    cd.writeUInt32LE(body.length, 20); cd.writeUInt32LE(e.data.length, 24);
    cd.writeUInt16LE(name.length, 28); cd.writeUInt32LE(offset, 42);
    if (options.zip64) {
      // Force the ZIP64 path as a > 4 GiB checkpoint would: 32-bit fields saturated, real values in extra 0x0001.
      cd.writeUInt32LE(0xffffffff, 20); cd.writeUInt32LE(0xffffffff, 24); cd.writeUInt32LE(0xffffffff, 42);
      const z = Buffer.alloc(28);
      z.writeUInt16LE(0x0001, 0); z.writeUInt16LE(24, 2);
      z.writeBigUInt64LE(BigInt(e.data.length), 4); z.writeBigUInt64LE(BigInt(body.length), 12); z.writeBigUInt64LE(BigInt(offset), 20);
      cd.writeUInt16LE(z.length, 30);
      central.push(cd, name, z);
    } else central.push(cd, name);
    chunks.push(local, name, extra, body);
    offset += 30 + name.length + extra.length + body.length;
  }
  const cdBuf = Buffer.concat(central);
  if (options.zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0); rec.writeBigUInt64LE(44n, 4); rec.writeUInt16LE(45, 12); rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(entries.length), 24); rec.writeBigUInt64LE(BigInt(entries.length), 32);
    rec.writeBigUInt64LE(BigInt(cdBuf.length), 40); rec.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0); loc.writeBigUInt64LE(BigInt(offset + cdBuf.length), 8); loc.writeUInt32LE(1, 16);
    const eocd64 = Buffer.alloc(22);
    eocd64.writeUInt32LE(0x06054b50, 0);
    eocd64.writeUInt16LE(0xffff, 8); eocd64.writeUInt16LE(0xffff, 10);
    eocd64.writeUInt32LE(0xffffffff, 12); eocd64.writeUInt32LE(0xffffffff, 16);
    return Buffer.concat([...chunks, cdBuf, rec, loc, eocd64]);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8); eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cdBuf.length, 12); eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, cdBuf, eocd]);
}

/**
 * Start of a zip entry's data, found by searching the file for its local header (a second route to
 * the bytes that uses neither the central directory reader nor the pickle under test). torch.save
 * writes sizes only in trailing data descriptors, so the caller supplies the length.
 */
export function findLocalEntryData(file: Buffer, name: string): number {
  const nameBytes = Buffer.from(name, 'utf8');
  for (let at = file.indexOf(nameBytes); at >= 0; at = file.indexOf(nameBytes, at + 1)) {
    const header = at - 30;
    if (header >= 0 && file.readUInt32LE(header) === 0x04034b50 && file.readUInt16LE(header + 26) === nameBytes.length) {
      return at + nameBytes.length + file.readUInt16LE(header + 28);
    }
  }
  throw new Error(`no local header for ${name}`);
}
