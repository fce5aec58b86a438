// torch.save zip checkpoints: `<root>/data.pkl` (the object graph) and `<root>/data/<key>` (one
// entry per storage, STORED and 64-byte aligned by torch). Only the pickle and the headers are read.
import { closeSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { contiguousStrides, dtypeByteSize, dtypeFromTorchStorage, shapeSize } from '../dtype.ts';
import type { DType } from '../dtype.ts';
import { PickleDict, PickleGlobal, PickleTuple, UnsafePickleError, unpickle } from './pickle.ts';
import type { PickleValue } from './pickle.ts';
import type { TensorEntry, WeightIndex } from './types.ts';
import { ZipDirectory } from './zip.ts';
import type { ZipEntry } from './zip.ts';

interface StorageRef {
  readonly kind: 'storage';
  readonly dtype: DType;
  readonly key: string;
  readonly numel: number;
}

interface TensorRef {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  readonly storageOffset: number;
  readonly shape: number[];
  readonly strides: number[];
}

const STORAGE_TYPES = [
  'FloatStorage', 'HalfStorage', 'BFloat16Storage', 'DoubleStorage', 'LongStorage', 'IntStorage',
  'ShortStorage', 'CharStorage', 'ByteStorage', 'BoolStorage',
];

/** Keys under which training scripts commonly nest the weights. */
const WRAPPER_KEYS = ['state_dict', 'model', 'module', 'model_state_dict', 'ema'];

function intList(v: PickleValue, what: string): number[] {
  if (!(v instanceof PickleTuple) && !Array.isArray(v)) throw new UnsafePickleError(`${what} is not a tuple`);
  const items = v instanceof PickleTuple ? v.items : v;
  return items.map((x) => {
    if (typeof x !== 'number' || !Number.isInteger(x)) throw new UnsafePickleError(`${what} holds a non-integer`);
    return x;
  });
}

function isTensorRef(v: PickleValue): v is TensorRef {
  return typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'tensor';
}

function rebuildTensor(args: PickleValue[]): PickleValue {
  const [storage, offset, size, stride] = args;
  if (!(typeof storage === 'object' && storage !== null && 'kind' in storage && storage.kind === 'storage')) {
    throw new UnsafePickleError('_rebuild_tensor_v2: first argument is not a storage');
  }
  if (typeof offset !== 'number') throw new UnsafePickleError('_rebuild_tensor_v2: storage offset is not an integer');
  const ref: TensorRef = {
    kind: 'tensor', storage: storage as StorageRef, storageOffset: offset,
    shape: intList(size, 'tensor size'), strides: intList(stride, 'tensor stride'),
  };
  return ref;
}

function torchGlobals(): Map<string, ((args: PickleValue[]) => PickleValue) | undefined> {
  const globals = new Map<string, ((args: PickleValue[]) => PickleValue) | undefined>();
  globals.set('collections.OrderedDict', (args) => {
    if (args.length) throw new UnsafePickleError('OrderedDict called with arguments');
    return new PickleDict('OrderedDict');
  });
  globals.set('torch._utils._rebuild_tensor_v2', rebuildTensor);
  globals.set('torch._utils._rebuild_parameter', (args) => {
    if (!isTensorRef(args[0])) throw new UnsafePickleError('_rebuild_parameter: data is not a tensor');
    return args[0];
  });
  for (const s of STORAGE_TYPES) globals.set(`torch.${s}`, undefined);
  return globals;
}

function persistentLoad(pid: PickleValue): PickleValue {
  if (!(pid instanceof PickleTuple)) throw new UnsafePickleError('persistent id is not a tuple');
  const [tag, type, key, , numel] = pid.items;
  if (tag !== 'storage') throw new UnsafePickleError(`persistent id of kind ${String(tag)} is not a storage`);
  if (!(type instanceof PickleGlobal) || type.module !== 'torch') throw new UnsafePickleError('persistent id without a torch storage type');
  const dtype = dtypeFromTorchStorage(type.name);
  if (!dtype) throw new UnsafePickleError(`unsupported storage type torch.${type.name}`);
  if (typeof key !== 'string' || typeof numel !== 'number') throw new UnsafePickleError('malformed storage persistent id');
  const ref: StorageRef = { kind: 'storage', dtype, key, numel };
  return ref;
}

/** The flat key -> tensor map of a checkpoint, unwrapping {'state_dict': ...}-style containers. */
function collectTensors(root: PickleValue, file: string): Map<string, TensorRef> {
  if (!(root instanceof PickleDict)) throw new Error(`${file}: checkpoint is not a dict of tensors`);
  let dict = root;
  for (;;) {
    const hasTensors = [...dict.map.values()].some(isTensorRef);
    const wrapper = WRAPPER_KEYS.find((k) => dict.map.get(k) instanceof PickleDict);
    if (hasTensors || !wrapper) break;
    dict = dict.map.get(wrapper) as PickleDict;
  }
  const out = new Map<string, TensorRef>();
  const walk = (d: PickleDict, prefix: string): void => {
    for (const [k, v] of d.map) {
      if (typeof k !== 'string') continue;
      if (isTensorRef(v)) out.set(prefix + k, v);
      else if (v instanceof PickleDict) walk(v, `${prefix}${k}.`);
    }
  };
  walk(dict, '');
  return out;
}

function readEntryBytes(file: string, entry: ZipEntry): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(entry.compressedSize);
    if (readSync(fd, buf, 0, buf.length, entry.dataOffset) !== buf.length) throw new Error(`${file}: truncated entry ${entry.name}`);
    if (entry.method === 0) return buf;
    if (entry.method === 8) return inflateRawSync(buf);
    throw new Error(`${file}: entry ${entry.name} uses unsupported compression method ${entry.method}`);
  } finally {
    closeSync(fd);
  }
}

export function readTorchZipIndex(path: string): WeightIndex {
  const file = resolve(path);
  const zip = ZipDirectory.open(file);
  const pklName = [...zip.entries.keys()].find((n) => n === 'data.pkl' || /^[^/]+\/data\.pkl$/.test(n));
  if (!pklName) throw new Error(`${file}: zip has no <root>/data.pkl: not a torch.save checkpoint`);
  const root = pklName.slice(0, -'data.pkl'.length);
  const byteorder = zip.entries.get(`${root}byteorder`);
  if (byteorder && readEntryBytes(file, byteorder).toString('latin1').trim() !== 'little') {
    throw new Error(`${file}: big-endian checkpoints are not supported`);
  }
  const pickled = unpickle(readEntryBytes(file, zip.entries.get(pklName)!), { globals: torchGlobals(), persistentLoad });
  const tensors = new Map<string, TensorEntry>();
  for (const [key, t] of collectTensors(pickled, file)) {
    const { dtype } = t.storage;
    const item = dtypeByteSize(dtype);
    const storageEntry = zip.entries.get(`${root}data/${t.storage.key}`);
    if (!storageEntry) throw new Error(`${file}: tensor ${key} refers to missing storage ${t.storage.key}`);
    if (storageEntry.uncompressedSize < t.storage.numel * item) throw new Error(`${file}: storage ${t.storage.key} is shorter than its ${t.storage.numel} elements`);
    const numel = shapeSize(t.shape);
    if (t.shape.length !== t.strides.length) throw new Error(`${file}: tensor ${key} has ${t.shape.length} dims but ${t.strides.length} strides`);
    const expected = contiguousStrides(t.shape);
    const contiguous = numel <= 1 || t.shape.every((d, i) => d === 1 || t.strides[i] === expected[i]);
    const lastElement = t.storageOffset + t.shape.reduce((acc, d, i) => acc + (d > 0 ? (d - 1) * t.strides[i]! : 0), 0);
    if (numel > 0 && lastElement >= t.storage.numel) throw new Error(`${file}: tensor ${key} reaches past its storage`);
    const offsetInStorage = t.storageOffset * item;
    const common = { key, dtype, shape: t.shape, file, length: numel * item, layout: contiguous ? 'contiguous' as const : 'strided' as const };
    if (storageEntry.method === 0) {
      tensors.set(key, { ...common, offset: storageEntry.dataOffset + offsetInStorage, strides: contiguous ? expected : t.strides });
    } else {
      tensors.set(key, {
        ...common, offset: -1, strides: contiguous ? expected : t.strides,
        compression: {
          method: 'deflate', dataOffset: storageEntry.dataOffset, compressedSize: storageEntry.compressedSize,
          uncompressedSize: storageEntry.uncompressedSize, offsetInStorage,
        },
      });
      if (storageEntry.method !== 8) throw new Error(`${file}: storage ${t.storage.key} uses unsupported compression method ${storageEntry.method}`);
    }
  }
  return { format: 'torch-zip', source: file, files: [file], tensors, metadata: {} };
}
