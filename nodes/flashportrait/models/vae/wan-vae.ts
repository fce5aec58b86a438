// The Wan2.1 VAE as FlashGraph calls it: encode a 4k+1-frame clip to normalised latents (the
// posterior mode) and decode latents to a clamped [-1, 1] video, each either in one pass or
// streamed with carried caches (encode: frame 0, then 4 frames per call; decode: one latent frame
// per call), and optionally tiled in space.
import { concatAxis, createTensor, sliceAxis } from '../../../../server/ml/tensor.ts';
import type { Tensor } from '../../../../server/ml/tensor.ts';
import { openWeights } from '../../../../server/ml/weights/index.ts';
import type { WeightIndex } from '../../../../server/ml/weights/index.ts';
import { SPATIAL_STRIDE, assertSpatialSize, assertVideoFrameCount, wanVaeConfigFromWeights } from './config.ts';
import type { WanVaeConfig } from './config.ts';
import { LazySession, StepSessions, StreamSession, openGraphSession } from './session-factory.ts';
import type { VaeSessionOptions } from './session-factory.ts';
import { assertTiling, runTiled } from './tiling.ts';
import type { VaeTiling } from './tiling.ts';
import { buildWanDecoder, buildWanDecoderStream, decoderSplitScale } from './wan-decoder.ts';
import { buildWanEncoder, buildWanEncoderStep, encoderChunkFrames } from './wan-encoder.ts';

export interface WanVaeOptions extends VaeSessionOptions {
  /** Defaults to the widths read from the checkpoint. */
  readonly config?: WanVaeConfig;
}

/**
 * 'whole' (the default) runs the clip through one graph; 'streaming' runs the original's chunks one
 * session call each (encode: frame 0, then 4 frames; decode: one latent frame), memory independent
 * of the clip length.
 */
export type VaeStrategy = 'whole' | 'streaming';

export interface EncodeMomentsOptions {
  readonly strategy?: VaeStrategy;
}

export interface EncodeOptions extends EncodeMomentsOptions {
  /** Tile in space when the clip is at least one tile in both directions (as wan_vae_tiled.py). */
  readonly tiling?: VaeTiling;
}

export interface DecodeOptions {
  readonly tiling?: VaeTiling;
  readonly strategy?: VaeStrategy;
}

export interface EncoderMoments {
  readonly latent: Tensor;
  readonly muRaw: Tensor;
  readonly logvarRaw: Tensor;
  readonly features: Tensor;
}

function videoDims(t: Tensor, channels: number, what: string): [number, number, number] {
  const [b, c, f, h, w] = t.shape;
  if (t.shape.length !== 5 || b !== 1 || c !== channels) throw new Error(`${what} must be [1, ${channels}, T, H, W], got [${t.shape.join(', ')}]`);
  if (t.dtype !== 'float32') throw new Error(`${what} must be float32, got ${t.dtype}`);
  return [f!, h!, w!];
}

function tiles(input: { height: number; width: number }, tiling: VaeTiling | undefined): boolean {
  return tiling !== undefined && input.height >= tiling.tileHeight && input.width >= tiling.tileWidth;
}

export class WanVae {
  readonly config: WanVaeConfig;
  private readonly encoder: LazySession;
  private readonly decoder: LazySession;
  private readonly encoderSteps: StepSessions;
  private readonly decoderLow: StreamSession;
  private readonly decoderHigh: StreamSession;

  constructor(readonly weights: WeightIndex, options: WanVaeOptions = {}) {
    this.config = options.config ?? wanVaeConfigFromWeights(weights);
    const config = this.config;
    this.encoder = new LazySession(() => openGraphSession(buildWanEncoder(weights, config), options));
    this.decoder = new LazySession(() => openGraphSession(buildWanDecoder(weights, config), options));
    this.encoderSteps = new StepSessions((first) => buildWanEncoderStep(weights, config, first), options);
    // No ORT arena for the streaming decoder: its intermediates are few and huge (a 480x832 frame of
    // 96 channels is 153 MB), and an arena would keep its doubling blocks for the session's life,
    // right through the end of each run where the output copies pile on top (bench: 4685 MB with
    // arenas, 3647 MB without, at 480x832, no slower).
    const streaming = { ...options, cpuMemArena: options.cpuMemArena ?? false };
    this.decoderLow = new StreamSession(() => buildWanDecoderStream(weights, config, 'low'), streaming);
    this.decoderHigh = new StreamSession(() => buildWanDecoderStream(weights, config, 'high'), streaming);
  }

  static open(path: string, options: WanVaeOptions = {}): WanVae {
    return new WanVae(openWeights(path), options);
  }

  /** Every encoder output of one untiled encode, whole or streamed chunk by chunk. */
  async encodeMoments(video: Tensor, options: EncodeMomentsOptions = {}): Promise<EncoderMoments> {
    const [frames, height, width] = videoDims(video, 3, 'video');
    assertVideoFrameCount(frames);
    assertSpatialSize(height, width);
    if (options.strategy === 'streaming') {
      // Keep only each chunk's moments: its caches are as big as the first activations.
      const names = ['latent', 'mu_raw', 'logvar_raw', 'encoder_features'] as const;
      const parts = new Map<string, Tensor[]>(names.map((n) => [n, []]));
      for await (const out of this.encodeSteps(videoChunks(video))) for (const n of names) parts.get(n)!.push(out[n]!);
      const joined = (name: string): Tensor => concatAxis(parts.get(name)!, 2);
      return { latent: joined('latent'), muRaw: joined('mu_raw'), logvarRaw: joined('logvar_raw'), features: joined('encoder_features') };
    }
    const out = await (await this.encoder.get()).run({ video });
    return { latent: out.latent!, muRaw: out.mu_raw!, logvarRaw: out.logvar_raw!, features: out.encoder_features! };
  }

  /** video [1, 3, 4k+1, H, W] in [-1, 1] -> normalised latents [1, z, k+1, H/8, W/8]. */
  async encode(video: Tensor, options: EncodeOptions = {}): Promise<Tensor> {
    const [frames, height, width] = videoDims(video, 3, 'video');
    assertVideoFrameCount(frames);
    assertSpatialSize(height, width);
    const untiled = (clip: Tensor): Promise<Tensor> => (options.strategy === 'streaming' ? this.encodeStreaming(clip) : this.encodeWhole(clip));
    const tiling = options.tiling;
    if (!tiles({ height, width }, tiling)) return untiled(video);
    assertTiling(tiling!, SPATIAL_STRIDE);
    const grid = { height: tiling!.tileHeight, width: tiling!.tileWidth, strideHeight: tiling!.strideHeight, strideWidth: tiling!.strideWidth };
    return runTiled(video, grid, 1 / SPATIAL_STRIDE, untiled);
  }

  private async encodeWhole(video: Tensor): Promise<Tensor> {
    return (await (await this.encoder.get()).run({ video }, ['latent'])).latent!;
  }

  private async encodeStreaming(video: Tensor): Promise<Tensor> {
    const latents: Tensor[] = [];
    for await (const latent of this.encodeFrames(videoChunks(video))) latents.push(latent);
    return concatAxis(latents, 2);
  }

  /**
   * Streams the encode: chunks of the clip in ([1, 3, 1, H, W] first, then [1, 3, 4, H, W]), one
   * normalised latent frame [1, z, 1, H/8, W/8] out per chunk. Only the per-conv caches stay
   * between calls, so memory does not grow with the clip (`videoChunks` cuts a whole clip).
   */
  async *encodeFrames(chunks: Iterable<Tensor> | AsyncIterable<Tensor>): AsyncGenerator<Tensor> {
    for await (const out of this.encodeSteps(chunks)) yield out.latent!;
  }

  private encodeSteps(chunks: Iterable<Tensor> | AsyncIterable<Tensor>): AsyncGenerator<Record<string, Tensor>> {
    return this.encoderSteps.run('video', chunks, (chunk, first) => {
      const [t, h, w] = videoDims(chunk, 3, 'video chunk');
      const expected = encoderChunkFrames(first);
      if (t !== expected) throw new Error(`encodeFrames takes frame 0 alone, then ${encoderChunkFrames(false)} frames per chunk; got ${t} frames where ${expected} belong`);
      assertSpatialSize(h, w);
      return [h, w];
    });
  }

  /** latents [1, z, T, h, w] -> video [1, 3, 4T-3, 8h, 8w], clamped to [-1, 1]. */
  async decode(latents: Tensor, options: DecodeOptions = {}): Promise<Tensor> {
    const [, h, w] = videoDims(latents, this.config.zDim, 'latents');
    const untiled = (z: Tensor): Promise<Tensor> => (options.strategy === 'streaming' ? this.decodeStreaming(z) : this.decodeWhole(z));
    const tiling = options.tiling;
    if (!tiles({ height: h * SPATIAL_STRIDE, width: w * SPATIAL_STRIDE }, tiling)) return clampUnit(await untiled(latents));
    assertTiling(tiling!, SPATIAL_STRIDE);
    const grid = {
      height: tiling!.tileHeight / SPATIAL_STRIDE, width: tiling!.tileWidth / SPATIAL_STRIDE,
      strideHeight: tiling!.strideHeight / SPATIAL_STRIDE, strideWidth: tiling!.strideWidth / SPATIAL_STRIDE,
    };
    // The original blends the tiles' unclamped outputs and clamps only the stitched video.
    return clampUnit(await runTiled(latents, grid, SPATIAL_STRIDE, untiled));
  }

  /** Unclamped. */
  private async decodeWhole(latents: Tensor): Promise<Tensor> {
    // The whole graph's frame-0 pass-through needs at least one more frame; one frame is exactly
    // the streaming graph's first call.
    if (latents.shape[2] === 1) return this.decodeStreaming(latents);
    return (await (await this.decoder.get()).run({ latents }, ['video_unclamped'])).video_unclamped!;
  }

  /** Unclamped. */
  private async decodeStreaming(latents: Tensor): Promise<Tensor> {
    const parts: Tensor[] = [];
    for await (const frames of this.decodeSteps(latentFrames(latents))) parts.push(frames.video_unclamped!);
    return concatAxis(parts, 2);
  }

  /**
   * Streams decoded frames: one latent frame [1, z, 1, h, w] in, its video frames out, clamped to
   * [-1, 1] (1 for the first latent frame, 4 after). Only the per-conv caches stay between calls.
   */
  async *decodeFrames(latents: Iterable<Tensor> | AsyncIterable<Tensor>): AsyncGenerator<Tensor> {
    for await (const out of this.decodeSteps(latents)) yield out.video!;
  }

  /**
   * Each latent frame goes through the decoder's two halves in turn, each its own session with its
   * own caches: the output copies onnxruntime-node makes of one half's caches are freed before the
   * other half runs, so at most the larger half's copies coexist with all the caches.
   */
  private decodeSteps(latents: Iterable<Tensor> | AsyncIterable<Tensor>): AsyncGenerator<Record<string, Tensor>> {
    const low = this.decoderLow.run('latents', latents, (frame) => {
      const [t, h, w] = videoDims(frame, this.config.zDim, 'latent frame');
      if (t !== 1) throw new Error(`decodeFrames takes one latent frame per step, got ${t}`);
      return [h, w];
    });
    const scale = decoderSplitScale(this.config);
    return this.decoderHigh.run('features', featuresOf(low), (features) => [features.shape[3]! / scale, features.shape[4]! / scale]);
  }

  async release(): Promise<void> {
    await Promise.all([this.encoder, this.decoder, this.encoderSteps, this.decoderLow, this.decoderHigh].map((s) => s.release()));
  }
}

async function* featuresOf(steps: AsyncIterable<Record<string, Tensor>>): AsyncGenerator<Tensor> {
  for await (const out of steps) yield out.features!;
}

export function* latentFrames(latents: Tensor): Generator<Tensor> {
  for (let t = 0; t < latents.shape[2]!; t++) yield sliceAxis(latents, 2, t, t + 1);
}

/** A 4k+1-frame clip as the streaming encoder's chunks: frame 0, then frames 1-4, 5-8, ... */
export function* videoChunks(video: Tensor): Generator<Tensor> {
  const frames = video.shape[2]!;
  assertVideoFrameCount(frames);
  for (let t = 0; t < frames; t = t === 0 ? 1 : t + encoderChunkFrames(false)) {
    yield sliceAxis(video, 2, t, t + encoderChunkFrames(t === 0));
  }
}

function clampUnit(t: Tensor): Tensor {
  const data = Float32Array.from(t.data as Float32Array, (v) => Math.min(1, Math.max(-1, v)));
  return createTensor('float32', t.shape, data);
}
