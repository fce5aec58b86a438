// Turns a GraphBuilder into model bytes whose weights are ONNX external data. ORT accepts only
// relative locations inside one folder, so all external files are addressed relative to their
// deepest common ancestor, passed as `model_external_initializers_file_folder_path`.
import { realpathSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import { onnxDataType } from '../dtype.ts';
import { isZeroCopyable } from '../weights/types.ts';
import type { GraphBuilder, Value, WeightRef } from './graph-builder.ts';
import { DATA_LOCATION_EXTERNAL, onnx } from './proto.ts';
import type { OnnxTypes } from './proto.ts';
import { WeightConversionCache } from './weight-cache.ts';

export interface BuildOptions {
  /** Where converted copies go; required only when some weight is not usable in place. */
  readonly cacheDir?: string;
}

export interface BuiltModel {
  readonly bytes: Uint8Array;
  /** Folder the external data locations are relative to (undefined: no external data). */
  readonly externalDataFolder: string | undefined;
  /** Total bytes of weight initializers (the session's weight memory, mapped or not). */
  readonly weightBytes: number;
  readonly zeroCopyWeights: number;
  readonly convertedWeights: number;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
}

interface Placement { readonly ref: WeightRef; readonly file: string; readonly offset: number; readonly length: number }

function commonAncestor(paths: readonly string[]): string {
  let base = dirname(paths[0]!);
  for (const p of paths) {
    while (!(p === base || p.startsWith(base.endsWith(sep) ? base : base + sep))) {
      const up = dirname(base);
      if (up === base) break;
      base = up;
    }
  }
  return base;
}

export function buildModel(graph: GraphBuilder, options: BuildOptions = {}): BuiltModel {
  const placements: Placement[] = [];
  let cache: WeightConversionCache | undefined;
  let zeroCopy = 0;
  let converted = 0;
  const realFiles = new Map<string, string>();
  const real = (f: string): string => {
    let r = realFiles.get(f);
    if (!r) realFiles.set(f, (r = realpathSync(f)));
    return r;
  };
  for (const ref of graph.weightReferences.values()) {
    if (!ref.quant && ref.entry.dtype === ref.dtype && isZeroCopyable(ref.entry)) {
      placements.push({ ref, file: real(ref.entry.file), offset: ref.entry.offset, length: ref.entry.length });
      zeroCopy++;
      continue;
    }
    if (!options.cacheDir) {
      if (ref.quant) throw new Error(`weight ${ref.entry.key}: its 8-bit copy is written to the conversion cache: pass a cacheDir`);
      throw new Error(`weight ${ref.entry.key} (${ref.entry.dtype}${ref.entry.compression ? ', compressed' : ''}${ref.entry.layout === 'strided' ? ', strided' : ''}) needs a converted ${ref.dtype} copy: pass a cacheDir`);
    }
    cache ??= new WeightConversionCache(options.cacheDir);
    const c = ref.quant ? cache.ensureQuantized(ref.entry, ref.quant) : cache.ensure(ref.entry, ref.dtype);
    placements.push({ ref, file: real(c.file), offset: c.offset, length: c.length });
    converted++;
  }
  const folder = placements.length ? commonAncestor(placements.map((p) => p.file)) : undefined;
  const byName = new Map(placements.map((p) => [p.ref.name, p]));
  const model = graph.toModelProto((ref): OnnxTypes.ITensorProto => {
    const p = byName.get(ref.name)!;
    return {
      name: ref.name,
      dims: [...(ref.shape ?? ref.entry.shape)],
      dataType: onnxDataType(ref.dtype),
      dataLocation: DATA_LOCATION_EXTERNAL,
      externalData: [
        { key: 'location', value: relative(folder!, p.file).split(sep).join('/') },
        { key: 'offset', value: String(p.offset) },
        { key: 'length', value: String(p.length) },
      ],
    };
  });
  return {
    bytes: onnx.ModelProto.encode(model).finish(),
    externalDataFolder: folder,
    weightBytes: placements.reduce((a, p) => a + p.length, 0),
    zeroCopyWeights: zeroCopy,
    convertedWeights: converted,
    inputs: graph.graphInputs,
    outputs: graph.graphOutputs,
  };
}
