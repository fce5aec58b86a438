// The Wan2.1 VAE as FlashGraph calls it: encode a 4k+1-frame clip to normalised latents (the
// posterior mode), decode latents to a clamped [-1, 1] video, either in one pass or streamed one
// latent frame at a time with carried caches, and optionally tiled in space.
import { concatAxis, createTensor, sliceAxis } from '../../../../server/ml/tensor.ts';
import type { Tensor } from '../../../../server/ml/tensor.ts';
import { openWeights } from '../../../../server/ml/weights/index.ts';
import type { WeightIndex } from '../../../../server/ml/weights/index.ts';
import { SPATIAL_STRIDE, assertSpatialSize, assertVideoFrameCount, wanVaeConfigFromWeights } from './config.ts';
import type { WanVaeConfig } from './config.ts';
import type { CacheSlot } from './history.ts';
import { LazySession, openGraphSession } from './session-factory.ts';
import type { VaeSessionOptions } from './session-factory.ts';
import { assertTiling, runTiled } from './tiling.ts';
import type { VaeTiling } from './tiling.ts';
import { buildWanDecoder, buildWanDecoderStep } from './wan-decoder.ts';
import { buildWanEncoder } from './wan-encoder.ts';

export interface WanVaeOptions extends VaeSessionOptions {
  /** Defaults to the widths read from the checkpoint. */
  readonly config?: WanVaeConfig;
}

export interface EncodeOptions {
  /** Tile in space when the clip is at least one tile in both directions (as wan_vae_tiled.py). */
  readonly tiling?: VaeTiling;
}

export interface DecodeOptions {
  readonly tiling?: VaeTiling;
  /** 'whole' runs every latent frame in one graph; 'streaming' one frame per call, memory independent of length. */
  readonly strategy?: 'whole' | 'streaming';
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
  private readonly firstStep: LazySession;
  private readonly nextStep: LazySession;
  private readonly nextCaches: readonly CacheSlot[];

  constructor(readonly weights: WeightIndex, options: WanVaeOptions = {}) {
    this.config = options.config ?? wanVaeConfigFromWeights(weights);
    const config = this.config;
    this.encoder = new LazySession(() => openGraphSession(buildWanEncoder(weights, config), options));
    this.decoder = new LazySession(() => openGraphSession(buildWanDecoder(weights, config), options));
    const first = buildWanDecoderStep(weights, config, true);
    const next = buildWanDecoderStep(weights, config, false);
    this.nextCaches = next.caches;
    this.firstStep = new LazySession(() => openGraphSession(first.graph, options));
    this.nextStep = new LazySession(() => openGraphSession(next.graph, options));
  }

  static open(path: string, options: WanVaeOptions = {}): WanVae {
    return new WanVae(openWeights(path), options);
  }

  /** Every encoder output of one untiled pass. */
  async encodeMoments(video: Tensor): Promise<EncoderMoments> {
    const [frames, height, width] = videoDims(video, 3, 'video');
    assertVideoFrameCount(frames);
    assertSpatialSize(height, width);
    const out = await (await this.encoder.get()).run({ video });
    return { latent: out.latent!, muRaw: out.mu_raw!, logvarRaw: out.logvar_raw!, features: out.encoder_features! };
  }

  /** video [1, 3, 4k+1, H, W] in [-1, 1] -> normalised latents [1, z, k+1, H/8, W/8]. */
  async encode(video: Tensor, options: EncodeOptions = {}): Promise<Tensor> {
    const [frames, height, width] = videoDims(video, 3, 'video');
    assertVideoFrameCount(frames);
    assertSpatialSize(height, width);
    const tiling = options.tiling;
    if (!tiles({ height, width }, tiling)) return (await this.encodeMoments(video)).latent;
    assertTiling(tiling!, SPATIAL_STRIDE);
    const grid = { height: tiling!.tileHeight, width: tiling!.tileWidth, strideHeight: tiling!.strideHeight, strideWidth: tiling!.strideWidth };
    return runTiled(video, grid, 1 / SPATIAL_STRIDE, async (tile) => (await this.encodeMoments(tile)).latent);
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

  private async *decodeSteps(latents: Iterable<Tensor> | AsyncIterable<Tensor>): AsyncGenerator<Record<string, Tensor>> {
    let caches: Record<string, Tensor> | undefined;
    for await (const frame of latents) {
      const [t, h, w] = videoDims(frame, this.config.zDim, 'latent frame');
      if (t !== 1) throw new Error(`decodeFrames takes one latent frame per step, got ${t}`);
      const first = caches === undefined;
      caches ??= zeroCaches(this.nextCaches, h, w);
      const session = await (first ? this.firstStep : this.nextStep).get();
      const feeds: Record<string, Tensor> = { latents: frame };
      for (const name of session.inputNames) if (name !== 'latents') feeds[name] = caches[name]!;
      const out = await session.run(feeds);
      for (const [name, value] of Object.entries(out)) {
        if (name.startsWith('cache_out.')) caches[`cache_in.${name.slice('cache_out.'.length)}`] = value;
      }
      yield out;
    }
  }

  async release(): Promise<void> {
    await Promise.all([this.encoder, this.decoder, this.firstStep, this.nextStep].map((s) => s.release()));
  }
}

export function* latentFrames(latents: Tensor): Generator<Tensor> {
  for (let t = 0; t < latents.shape[2]!; t++) yield sliceAxis(latents, 2, t, t + 1);
}

function clampUnit(t: Tensor): Tensor {
  const data = Float32Array.from(t.data as Float32Array, (v) => Math.min(1, Math.max(-1, v)));
  return createTensor('float32', t.shape, data);
}

function zeroCaches(slots: readonly CacheSlot[], h: number, w: number): Record<string, Tensor> {
  const caches: Record<string, Tensor> = {};
  for (const s of slots) caches[s.inputName] = createTensor('float32', [1, s.channels, s.frames, h * s.spatialScale, w * s.spatialScale]);
  return caches;
}
