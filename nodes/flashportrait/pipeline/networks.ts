// The networks the sampling loop needs, as injected async functions: tests plug in recording
// stand-ins, production plugs in ONNX sessions. Shapes are batch 1, row-major, float32.
import type { CfgBranch } from './cfg.ts';
import type { PixelVideo } from './conditioning.ts';
import type { EmotionTokens } from './emotion-tokens.ts';
import type { LatentFrames } from './latent-frames.ts';
import type { LatentShape } from './latent-video.ts';

/** Whatever the text / image encoders return; the loop only passes it through. */
export type Embedding = unknown;

export interface TransformerCall {
  /** Window latents [C, T, h, w]; the same buffer for every branch of a window step (read-only). */
  readonly x: Float32Array;
  readonly shape: LatentShape;
  readonly timestep: number;
  readonly timestepDtype: 'float32' | 'int64';
  readonly prompt: 'positive' | 'negative';
  readonly text: Embedding;
  readonly clip: Embedding;
  /** [4 + C, T, h, w], identical for every window. */
  readonly y: Float32Array;
  readonly emotion: EmotionTokens;
  /** 0 switches the emotion cross-attention off (the no_emo / no_cond branches). */
  readonly ipScale: number;
  readonly seqLen: number;
  readonly step: number;
  readonly window: number;
  readonly branch: CfgBranch;
}

export interface PortraitEncoderCall {
  /** Driving features [frameEnd - frameStart, 554] of the window. */
  readonly features: Float32Array;
  /** The slice of the whole driving sequence these features are (stand-ins use it). */
  readonly frameStart: number;
  readonly frameEnd: number;
}

export interface PortraitEncoderOutput {
  /** [frames * 24, width] */
  readonly tokens: Float32Array;
  readonly width: number;
}

export interface FlashPortraitNetworks {
  /** Velocity prediction [C, T, h, w]. The loop copies it before the next call, so it may be reused. */
  transformer(call: TransformerCall): Promise<Float32Array>;
  /** Latents [C, T, h, w] of a pixel video [3, F, H, W] (T = (F-1)/4 + 1). */
  vaeEncode(video: PixelVideo): Promise<Float32Array>;
  /** Pixel video [3, F, H, W] in about [-1, 1] of latents [C, T, h, w]. */
  vaeDecode(latents: Float32Array, shape: LatentShape): Promise<PixelVideo>;
  /**
   * The same video decoded a latent frame at a time (the original's chunk loop), read from the
   * sampler's latent store frame by frame, each chunk of consecutive frames [3, n, H, W] handed to
   * `onChunk` in order: memory independent of the length. Optional; without it the node decodes the
   * whole video at once.
   */
  vaeDecodeChunks?(latents: LatentFrames, onChunk: (chunk: PixelVideo) => Promise<void> | void): Promise<void>;
  portraitEncoder(call: PortraitEncoderCall): Promise<PortraitEncoderOutput>;
  /** CLIP image features of [3, 1, H, W] in [-1, 1]. */
  clipImage(pixels: Float32Array, height: number, width: number): Promise<Embedding>;
  textEncoder(prompt: string): Promise<Embedding>;
}
