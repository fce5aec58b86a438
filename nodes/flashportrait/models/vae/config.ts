// Hyper-parameters of the Wan2.1 video VAE and of the tiny TAEHV decoder, the latent normalisation
// constants, and the frame-count rules both share.
import type { WeightIndex } from '../../../../server/ml/weights/index.ts';

export interface WanVaeConfig {
  /** Base width (96 in the released model). */
  readonly dim: number;
  /** Latent channels; the normalisation constants exist for exactly 16. */
  readonly zDim: number;
  readonly dimMult: readonly number[];
  readonly numResBlocks: number;
  /** Per encoder stage boundary: does that downsample also halve time? The decoder uses the reverse. */
  readonly temporalDownsample: readonly boolean[];
}

export const WAN_VAE_REAL: WanVaeConfig = { dim: 96, zDim: 16, dimMult: [1, 2, 4, 4], numResBlocks: 2, temporalDownsample: [false, true, true] };

export interface TaehvDecoderConfig {
  readonly latentChannels: number;
  /** Widths n_f of the four decoder stages (taew2_1: 256, 128, 64, 64). */
  readonly widths: readonly [number, number, number, number];
  /** Per TGrow after stages 2 and 3: does it double time? (stage 1's TGrow never does.) */
  readonly timeUpscale: readonly [boolean, boolean];
  readonly spaceUpscale: readonly [boolean, boolean, boolean];
  /** Leading output frames the decoder produces before the clip really starts. */
  readonly framesToTrim: number;
}

export const TAEHV_REAL: TaehvDecoderConfig = { latentChannels: 16, widths: [256, 128, 64, 64], timeUpscale: [true, true], spaceUpscale: [true, true, true], framesToTrim: 3 };

export const SPATIAL_STRIDE = 8;
export const TEMPORAL_STRIDE = 4;

// Wan2.1's published per-channel latent statistics (diffusion space = (mu - mean) / std).
export const LATENT_MEAN: readonly number[] = [-0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
  0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921];
export const LATENT_STD: readonly number[] = [2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
  3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160];

/** The original keeps 1/std computed once in float32 and divides by it when decoding. */
export function latentInverseStd(): Float32Array {
  return Float32Array.from(LATENT_STD, (s) => Math.fround(1 / Math.fround(s)));
}

export function latentFramesFor(videoFrames: number): number {
  assertVideoFrameCount(videoFrames);
  return (videoFrames - 1) / TEMPORAL_STRIDE + 1;
}

export function videoFramesFor(latentFrames: number): number {
  if (!Number.isInteger(latentFrames) || latentFrames < 1) throw new Error(`a latent video needs at least 1 frame, got ${latentFrames}`);
  return TEMPORAL_STRIDE * (latentFrames - 1) + 1;
}

/**
 * The encoder consumes frame 0 alone and then groups of 4; the original silently drops a trailing
 * partial group, which would lose frames without a word, so anything but 4k+1 is refused here.
 */
export function assertVideoFrameCount(frames: number): void {
  if (!Number.isInteger(frames) || frames < 1 || (frames - 1) % TEMPORAL_STRIDE !== 0) {
    const below = frames >= 1 ? TEMPORAL_STRIDE * Math.floor((frames - 1) / TEMPORAL_STRIDE) + 1 : 1;
    throw new Error(`the Wan VAE encodes 4k+1 frames (1, 5, 9, ...); got ${frames} (use ${below} or ${below + TEMPORAL_STRIDE})`);
  }
}

export function assertSpatialSize(height: number, width: number): void {
  if (height % SPATIAL_STRIDE !== 0 || width % SPATIAL_STRIDE !== 0 || height < SPATIAL_STRIDE || width < SPATIAL_STRIDE) {
    throw new Error(`the Wan VAE needs height and width that are positive multiples of ${SPATIAL_STRIDE}; got ${height}x${width}`);
  }
}

function shapeOf(weights: WeightIndex, key: string): readonly number[] {
  const entry = weights.tensors.get(key);
  if (!entry) throw new Error(`${weights.source} has no ${key}: not a Wan2.1 VAE checkpoint`);
  return entry.shape;
}

/** The widths come from the checkpoint itself, so the tiny test model and the real one share one path. */
export function wanVaeConfigFromWeights(weights: WeightIndex): WanVaeConfig {
  const dim = shapeOf(weights, 'encoder.conv1.weight')[0]!;
  const zDim = shapeOf(weights, 'conv2.weight')[0]!;
  return { ...WAN_VAE_REAL, dim, zDim };
}

export function taehvConfigFromWeights(weights: WeightIndex): TaehvDecoderConfig {
  const width = (key: string): number => shapeOf(weights, key)[0]!;
  return {
    ...TAEHV_REAL,
    latentChannels: shapeOf(weights, 'decoder.1.weight')[1]!,
    widths: [width('decoder.1.weight'), width('decoder.8.weight'), width('decoder.14.weight'), width('decoder.20.weight')],
  };
}
