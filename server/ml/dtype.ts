// One vocabulary of element types for weight files, host tensors, ONNX protos and ORT tensors.
export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16', 'float64'];

export function isFloatDType(dtype: DType): boolean {
  return FLOAT_DTYPES.includes(dtype);
}

export function dtypeByteSize(dtype: DType): number {
  switch (dtype) {
    case 'float64':
    case 'int64':
      return 8;
    case 'float32':
    case 'int32':
      return 4;
    case 'float16':
    case 'bfloat16':
    case 'int16':
      return 2;
    case 'int8':
    case 'uint8':
    case 'bool':
      return 1;
  }
}

/** onnx.TensorProto.DataType numbers. */
export function onnxDataType(dtype: DType): number {
  switch (dtype) {
    case 'float32': return 1;
    case 'uint8': return 2;
    case 'int8': return 3;
    case 'int16': return 5;
    case 'int32': return 6;
    case 'int64': return 7;
    case 'bool': return 9;
    case 'float16': return 10;
    case 'float64': return 11;
    case 'bfloat16': return 16;
  }
}

/** Element type codes of the safetensors header. */
const SAFETENSORS_DTYPES: Record<string, DType> = {
  F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};

export function dtypeFromSafetensors(code: string): DType | undefined {
  return SAFETENSORS_DTYPES[code];
}

export function safetensorsCode(dtype: DType): string {
  for (const [code, d] of Object.entries(SAFETENSORS_DTYPES)) if (d === dtype) return code;
  throw new Error(`no safetensors code for ${dtype}`);
}

/** torch.*Storage class names as they appear in torch.save pickles. */
const TORCH_STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'float32', HalfStorage: 'float16', BFloat16Storage: 'bfloat16', DoubleStorage: 'float64',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8',
  ByteStorage: 'uint8', BoolStorage: 'bool',
};

export function dtypeFromTorchStorage(name: string): DType | undefined {
  return Object.hasOwn(TORCH_STORAGE_DTYPES, name) ? TORCH_STORAGE_DTYPES[name] : undefined;
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides, in elements. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i]!;
  }
  return strides;
}
