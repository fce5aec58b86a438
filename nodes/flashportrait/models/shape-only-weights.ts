// A weight index that knows only names, shapes and dtypes: real-size graphs can be built (and their
// parameters counted) without the multi-gigabyte release files. Its entries point at no file, so a
// model built from it cannot be run.
import { dtypeByteSize, shapeSize } from '../../../server/ml/index.ts';
import type { DType, TensorEntry, WeightIndex } from '../../../server/ml/index.ts';

export function shapeOnlyWeights(shapes: ReadonlyMap<string, readonly number[]>, dtype: DType, source = 'shapes-only'): WeightIndex {
  const tensors = new Map<string, TensorEntry>();
  for (const [key, shape] of shapes) {
    const strides = shape.map((_, i) => shapeSize(shape.slice(i + 1)));
    tensors.set(key, { key, dtype, shape, file: '', offset: 0, length: shapeSize(shape) * dtypeByteSize(dtype), layout: 'contiguous', strides });
  }
  return { format: 'torch-zip', source, files: [], tensors, metadata: {} };
}

/** Parameters a built graph references (each weight counted once). */
export function referencedParameterCount(refs: ReadonlyMap<string, { readonly entry: { readonly shape: readonly number[] } }>): number {
  let n = 0;
  for (const ref of refs.values()) n += shapeSize(ref.entry.shape);
  return n;
}
