// The ML layer's public surface (see README.md in this folder).
export type { DType } from './dtype.ts';
export { dtypeByteSize, isFloatDType, shapeSize } from './dtype.ts';
export type { Tensor, TensorData } from './tensor.ts';
export { castFloat, concatAxis, createTensor, fromOrtTensor, reshape, sliceAxis, toFloat32, toOrtTensor } from './tensor.ts';
export * from './weights/index.ts';
export { GraphBuilder, MS_DOMAIN, quantBlockSize } from './onnx/graph-builder.ts';
export type { AttentionOptions, AttrValue, Dim, GraphBuilderOptions, QuantPart, Value, WeightRef } from './onnx/graph-builder.ts';
export { buildModel } from './onnx/build-model.ts';
export type { BuildOptions, BuiltModel } from './onnx/build-model.ts';
export { WeightConversionCache } from './onnx/weight-cache.ts';
export { applyDeviceSetting, computeDtypeFor, hostDevice, parseDeviceFlag, probeProvider, resolveExecutionProvider } from './device.ts';
export type { DeviceSetting, ExecutionProviderName, ExecutionProviderRequest, Precision, ProviderChoice } from './device.ts';
export { createSession, ModelSession, sessionOptions, sessionRunTotals } from './session.ts';
export type { ModelBytes, SessionConfig } from './session.ts';
export { ModelManager } from './model-manager.ts';
export type { ModelLease, ModelManagerOptions, ModelSpec, Releasable } from './model-manager.ts';
