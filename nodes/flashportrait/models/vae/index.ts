// The video VAEs of FlashPortrait: the Wan2.1 VAE (encode + decode) and the tiny TAEHV decoder.
export * from './config.ts';
export { WanVae, latentFrames, videoChunks } from './wan-vae.ts';
export type { DecodeOptions, EncodeMomentsOptions, EncodeOptions, EncoderMoments, VaeStrategy, WanVaeOptions } from './wan-vae.ts';
export { TinyVaeDecoder } from './tiny-vae.ts';
export type { TinyVaeOptions } from './tiny-vae.ts';
export { DEFAULT_TILING } from './tiling.ts';
export type { VaeTiling } from './tiling.ts';
export type { VaeSessionOptions } from './session-factory.ts';
export type { CacheSlot, StepGraph } from './history.ts';
export { buildWanEncoder, buildWanEncoderStep } from './wan-encoder.ts';
export { buildWanDecoder, buildWanDecoderStream } from './wan-decoder.ts';
export { buildTaehvDecoder } from './taehv-decoder.ts';
export { wanDecoderParameterShapes } from './parameter-shapes.ts';
