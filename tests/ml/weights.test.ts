import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goldenDir } from '../helpers/golden.ts';
import { openWeights, readTensor, readTensorBytes, readTensorFloat32, unpickle, UnsafePickleError, writeSafetensors } from '../../server/ml/weights/index.ts';
import { readTorchZipIndex } from '../../server/ml/weights/torch-zip.ts';
import { createTensor } from '../../server/ml/tensor.ts';
import { buildZip, findLocalEntryData, PickleWriter, stateDictPickle } from './torch-fixtures.ts';

interface KeyInfo { key: string; shape: number[]; dtype: string }

const COMPONENTS = ['dit', 'encoders/clip', 'encoders/t5', 'vae', 'face'];
const golden = Object.fromEntries(COMPONENTS.map((c) => [c, goldenDir(c)])) as Record<string, string | undefined>;
const scratch = mkdtempSync(join(tmpdir(), 'fg-weights-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Element decoding written independently of server/ml/tensor.ts (DataView + formulas). */
function decodeIndependently(bytes: Uint8Array, dtype: string): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  if (dtype === 'float32') for (let i = 0; i < bytes.length; i += 4) out.push(dv.getFloat32(i, true));
  else if (dtype === 'int64') for (let i = 0; i < bytes.length; i += 8) out.push(Number(dv.getBigInt64(i, true)));
  else if (dtype === 'bfloat16') {
    const four = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < bytes.length; i += 2) { four.setUint16(0, 0, true); four.setUint16(2, dv.getUint16(i, true), true); out.push(four.getFloat32(0, true)); }
  } else if (dtype === 'float16') {
    for (let i = 0; i < bytes.length; i += 2) {
      const h = dv.getUint16(i, true);
      const s = h >> 15 ? -1 : 1; const e = (h >> 10) & 31; const f = h & 1023;
      out.push(e === 0 ? s * Math.pow(2, -14) * (f / 1024) : e === 31 ? (f ? NaN : s * Infinity) : s * Math.pow(2, e - 15) * (1 + f / 1024));
    }
  } else throw new Error(dtype);
  return out;
}

/** Index of the first element that differs (Object.is: NaN equals NaN, -0 differs from 0), -1 when
 *  none; a loop, because toEqual on arrays of a million numbers takes seconds. */
function firstDifference(a: ArrayLike<number>, b: readonly number[]): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function weightFilesOf(component: string): [string, KeyInfo[]][] {
  const dir = golden[component]!;
  const keys = JSON.parse(readFileSync(join(dir, 'keys.json'), 'utf8')) as Record<string, unknown>;
  return Object.entries(keys).filter(([f]) => /\.(pth|pt|safetensors)$/.test(f)) as [string, KeyInfo[]][];
}

describe.each(COMPONENTS)('golden weight files of %s', (component) => {
  const dir = golden[component];
  it.skipIf(!dir)('index keys, shapes and dtypes equal keys.json; torch storages decode the same two ways', () => {
    const files = weightFilesOf(component);
    expect(files.length).toBeGreaterThan(0);
    for (const [name, expected] of files) {
      const path = join(dir!, name);
      const index = openWeights(path);
      const got = [...index.tensors.values()].map((e) => ({ key: e.key, shape: [...e.shape], dtype: e.dtype }));
      const want = expected.map((e) => ({ key: e.key, shape: e.shape, dtype: e.dtype }));
      if (index.format === 'torch-zip') expect(got, name).toEqual(want); // dict order is part of the format
      else expect([...got].sort((a, b) => a.key.localeCompare(b.key))).toEqual([...want].sort((a, b) => a.key.localeCompare(b.key)));
      if (index.format !== 'torch-zip') continue;
      const fileBytes = readFileSync(path);
      const root = `${name.split('/').pop()!.replace(/\.(pth|pt)$/, '')}/data/`;
      want.forEach((w, i) => {
        const entry = index.tensors.get(w.key)!;
        expect(entry.layout).toBe('contiguous');
        expect(entry.compression).toBeUndefined();
        // Storage keys are numbered in order of first appearance: the i-th tensor lives in data/i.
        const start = findLocalEntryData(fileBytes, root + i);
        const raw = fileBytes.subarray(start, start + entry.length);
        expect(entry.offset, w.key).toBe(start);
        expect(Buffer.from(readTensorBytes(entry)).equals(raw), w.key).toBe(true);
        const ours = w.dtype !== 'int64' ? readTensorFloat32(entry).data as Float32Array : Array.from(readTensor(entry).data as BigInt64Array, Number);
        expect(firstDifference(ours, decodeIndependently(raw, w.dtype)), w.key).toBe(-1);
      });
    }
  });
});

describe.skipIf(!golden.dit)('DiT weights across formats', () => {
  it('the sharded index covers every shard, and every base key except the fine-tuned attention ones equals transformer.pt', () => {
    const indexPath = join(golden.dit!, 'Wan2.1-I2V-14B-720P/diffusion_pytorch_model.safetensors.index.json');
    const sharded = openWeights(indexPath);
    const shardFiles = new Set(Object.values((JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> }).weight_map));
    expect(sharded.files).toHaveLength(shardFiles.size);
    const keys = JSON.parse(readFileSync(join(golden.dit!, 'keys.json'), 'utf8')) as Record<string, KeyInfo[]>;
    const shardKeys = Object.entries(keys).filter(([f]) => f.endsWith('.safetensors')).flatMap(([, v]) => v.map((e) => e.key));
    expect(new Set(sharded.tensors.keys())).toEqual(new Set(shardKeys));
    const overlay = openWeights(join(golden.dit!, 'FlashPortrait/transformer.pt'));
    let same = 0; let differ = 0;
    for (const [key, entry] of sharded.tensors) {
      const other = overlay.tensors.get(key);
      expect(other, key).toBeDefined();
      const a = readTensorFloat32(entry).data; const b = readTensorFloat32(other!).data;
      if (/\.(self|cross)_attn\./.test(key)) { expect(a).not.toEqual(b); differ++; }
      else { expect(a).toEqual(b); same++; }
    }
    expect(same + differ).toBe(sharded.tensors.size);
    expect(same).toBeGreaterThan(0);
    expect(differ).toBeGreaterThan(0);
  });
});

describe.skipIf(!golden['encoders/t5'])('bfloat16 checkpoint values', () => {
  it('token_embedding.weight rows (bf16 -> f32) equal the stored out.token_embedding lookup', () => {
    const dir = golden['encoders/t5']!;
    const weights = openWeights(join(dir, 'models_t5_umt5-xxl-enc-bf16.pth'));
    const table = readTensorFloat32(weights.tensors.get('token_embedding.weight')!);
    const io = openWeights(join(dir, 't5_single_padded/io.safetensors'));
    const ids = readTensor(io.tensors.get('in.input_ids')!).data as BigInt64Array;
    const emb = readTensor(io.tensors.get('out.token_embedding')!).data as Float32Array;
    const dim = table.shape[1]!;
    ids.forEach((id, t) => {
      const row = (table.data as Float32Array).subarray(Number(id) * dim, (Number(id) + 1) * dim);
      expect(Array.from(emb.subarray(t * dim, (t + 1) * dim))).toEqual(Array.from(row));
    });
  });
});

describe('safe unpickler', () => {
  const marker = join(scratch, 'pwned');
  const osSystem = (cmd: string, module = 'os', name = 'system'): Buffer =>
    new PickleWriter().global(module, name).str(cmd).op(0x85, 0x52).finish();

  it.each([['os', 'system'], ['posix', 'system'], ['builtins', 'eval'], ['subprocess', 'check_output']])('refuses GLOBAL %s.%s and runs nothing', (module, name) => {
    const bytes = osSystem(`touch ${marker}`, module, name);
    expect(() => unpickle(bytes, { globals: new Map() })).toThrow(UnsafePickleError);
    expect(() => unpickle(bytes, { globals: new Map() })).toThrow(`${module}.${name}`);
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses STACK_GLOBAL to a non-allowed callable and INST/OBJ opcodes', () => {
    const stackGlobal = new PickleWriter().str('os').str('system').op(0x93).str('id').op(0x85, 0x52).finish();
    expect(() => unpickle(stackGlobal, { globals: new Map() })).toThrow(/os\.system.*allow-list/);
    const inst = Buffer.from('\x80\x02(S\'id\'\nios\nsystem\n.', 'latin1');
    expect(() => unpickle(inst, { globals: new Map() })).toThrow(UnsafePickleError);
  });

  it('refuses a zip checkpoint whose data.pkl calls os.system, without executing it', () => {
    const w = new PickleWriter().global('collections', 'OrderedDict').op(0x29, 0x52).mark().str('weight');
    w.global('os', 'system').str(`touch ${marker}`).op(0x85, 0x52).op(0x75);
    const path = join(scratch, 'evil.pth');
    writeFileSync(path, buildZip([{ name: 'evil/data.pkl', data: w.finish() }, { name: 'evil/version', data: Buffer.from('3\n') }]));
    expect(() => openWeights(path)).toThrow(/os\.system, which is not on the allow-list/);
    expect(existsSync(marker)).toBe(false);
  });

  it('an allowed storage type may be named but not called', () => {
    const w = new PickleWriter().global('collections', 'OrderedDict').op(0x29, 0x52).mark().str('x');
    w.global('torch', 'FloatStorage').op(0x29, 0x52).op(0x75);
    const path = join(scratch, 'call-storage.pth');
    writeFileSync(path, buildZip([{ name: 'a/data.pkl', data: w.finish() }]));
    expect(() => openWeights(path)).toThrow(/may not be called/);
  });
});

describe('torch zip checkpoints built by hand', () => {
  it('unwraps {state_dict: ...}, applies storage offsets and strides, shares storages, inflates deflated entries', () => {
    const storage0 = Float32Array.from({ length: 12 }, (_, i) => i + 0.5);
    const storage1 = Float32Array.from({ length: 6 }, (_, i) => -i);
    const pkl = stateDictPickle([
      { key: 'block.w', storageType: 'FloatStorage', storageKey: '0', storageNumel: 12, offset: 0, shape: [3, 4], strides: [4, 1] },
      { key: 'block.tail', storageType: 'FloatStorage', storageKey: '0', storageNumel: 12, offset: 8, shape: [4], strides: [1] },
      { key: 'block.wT', storageType: 'FloatStorage', storageKey: '0', storageNumel: 12, offset: 0, shape: [4, 3], strides: [1, 4] },
      { key: 'packed', storageType: 'FloatStorage', storageKey: '1', storageNumel: 6, offset: 2, shape: [2, 2], strides: [2, 1] },
    ], true);
    const path = join(scratch, 'wrapped.pt');
    writeFileSync(path, buildZip([
      { name: 'wrapped/data.pkl', data: pkl },
      { name: 'wrapped/byteorder', data: Buffer.from('little') },
      { name: 'wrapped/data/0', data: Buffer.from(storage0.buffer) },
      { name: 'wrapped/data/1', data: Buffer.from(storage1.buffer), deflate: true },
      { name: 'wrapped/version', data: Buffer.from('3\n') },
    ]));
    const index = readTorchZipIndex(path);
    expect([...index.tensors.keys()]).toEqual(['block.w', 'block.tail', 'block.wT', 'packed']);
    const get = (k: string) => index.tensors.get(k)!;
    expect(Array.from(readTensor(get('block.w')).data as Float32Array)).toEqual(Array.from(storage0));
    expect(Array.from(readTensor(get('block.tail')).data as Float32Array)).toEqual([8.5, 9.5, 10.5, 11.5]);
    expect(get('block.tail').offset).toBe(get('block.w').offset + 32);
    expect(get('block.wT').layout).toBe('strided');
    const wT = readTensor(get('block.wT')).data as Float32Array;
    for (let r = 0; r < 4; r++) for (let c = 0; c < 3; c++) expect(wT[r * 3 + c]).toBe(storage0[c * 4 + r]);
    expect(get('packed').compression?.method).toBe('deflate');
    expect(Array.from(readTensor(get('packed')).data as Float32Array)).toEqual([-2, -3, -4, -5]);
  });

  it('reads ZIP64 central directories (checkpoints over 4 GiB) and refuses big-endian ones', () => {
    const storage = Float32Array.from([1.5, -2.5, 3.5]);
    const pkl = stateDictPickle([{ key: 'w', storageType: 'FloatStorage', storageKey: '0', storageNumel: 3, offset: 0, shape: [3], strides: [1] }], false);
    const path = join(scratch, 'z64.pt');
    writeFileSync(path, buildZip([{ name: 'z64/data.pkl', data: pkl }, { name: 'z64/data/0', data: Buffer.from(storage.buffer) }], { zip64: true }));
    expect(Array.from(readTensor(openWeights(path).tensors.get('w')!).data as Float32Array)).toEqual([1.5, -2.5, 3.5]);
    const big = join(scratch, 'big-endian.pt');
    writeFileSync(big, buildZip([{ name: 'b/data.pkl', data: pkl }, { name: 'b/byteorder', data: Buffer.from('big') }, { name: 'b/data/0', data: Buffer.from(storage.buffer) }]));
    expect(() => openWeights(big)).toThrow(/big-endian/);
  });

  it('refuses a non-zip legacy checkpoint with a clear message', () => {
    const path = join(scratch, 'legacy.pth');
    writeFileSync(path, Buffer.from([0x80, 0x02, 0x8a, 0x0a]));
    expect(() => openWeights(path)).toThrow(/legacy/);
  });
});

describe('safetensors', () => {
  it('round-trips f32/f16/bf16/i64 and rejects a header that does not fit its data', () => {
    const path = join(scratch, 'rt.safetensors');
    writeSafetensors(path, {
      a: createTensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]),
      h: createTensor('float16', [2], [0.5, -2]),
      b: createTensor('bfloat16', [3], [1, -0.25, 3]),
      i: createTensor('int64', [2], [7, -9]),
    }, { format: 'pt' });
    const idx = openWeights(path);
    expect(idx.metadata).toEqual({ format: 'pt' });
    expect(Array.from(readTensorFloat32(idx.tensors.get('a')!).data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(readTensorFloat32(idx.tensors.get('h')!).data as Float32Array)).toEqual([0.5, -2]);
    expect(Array.from(readTensorFloat32(idx.tensors.get('b')!).data as Float32Array)).toEqual([1, -0.25, 3]);
    expect(Array.from(readTensor(idx.tensors.get('i')!).data as BigInt64Array)).toEqual([7n, -9n]);
    const bad = join(scratch, 'bad.safetensors');
    const header = Buffer.from(JSON.stringify({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 8] } }));
    const prefix = Buffer.alloc(8); prefix.writeBigUInt64LE(BigInt(header.length));
    writeFileSync(bad, Buffer.concat([prefix, header, Buffer.alloc(8)]));
    expect(() => openWeights(bad)).toThrow(/do not fit/);
  });
});
