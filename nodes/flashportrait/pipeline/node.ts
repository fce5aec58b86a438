// FlashPortraitSampler.sample end to end: ComfyUI IMAGE in, IMAGE batch out. Unlike the released
// node, the conditioning is sized to one window, so videos longer than context_size work.
import type { AlpOptions } from './alp.ts';
import { f32 } from './float32.ts';
import { nodeReferenceSize } from './frame-arithmetic.ts';
import { resizeLanczos } from './lanczos.ts';
import type { FlashPortraitNetworks } from './networks.ts';
import { HEAD_EMOTION_FEATURE_WIDTH, latentFramesFor, sampleFlashPortrait, usableDrivingFrames } from './sampler.ts';
import type { SamplingControl, SamplingResult } from './sampler.ts';
import type { SchedulerName } from './schedulers/index.ts';
import { VAE_SPATIAL_STRIDE, videoFramesForLatents } from './conditioning.ts';
import type { PixelVideo, RgbImage } from './conditioning.ts';
import type { LatentFrames, NoiseStream } from './latent-frames.ts';
import type { LatentShape } from './latent-video.ts';

export interface FloatImage {
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array;
}

export interface NodeInputs {
  /** ComfyUI IMAGE [1, H, W, 3], floats in [0, 1]. */
  readonly image: FloatImage;
  /**
   * First frame of initial_video_frames [1, H', W', 3]: replaces the tiled reference as the
   * conditioning video (resized to the output size like the reference; any aspect ratio is stretched).
   */
  readonly initialFrame?: FloatImage;
  /** [frames, 554] */
  readonly headEmotionFeatures: Float32Array;
  readonly prompt?: string;
  readonly negativePrompt?: string;
  readonly noise: (latentShape: { channels: number; frames: number; height: number; width: number }) => Float32Array | NoiseStream;
  readonly latentChannels?: number;
  readonly steps: number;
  readonly scheduler?: SchedulerName;
  readonly shift: number;
  readonly emoCfgScale: number;
  readonly textCfgScale: number;
  readonly maxSize: number;
  readonly contextSize: number;
  readonly contextOverlap: number;
  readonly alp?: AlpOptions;
}

export interface NodeOutput {
  /** [frames - 1, H, W, 3] in [0, 1] (the reference frame is dropped). */
  readonly images: Float32Array;
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  readonly reference: RgbImage;
  readonly sampling: SamplingResult;
}

/** float [H, W, 3] in [0,1] -> bytes by truncation, as numpy's astype(uint8) after *255. */
export function imageToBytes(image: FloatImage): RgbImage {
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, Math.trunc(f32(image.data[i]! * 255))));
  return { width: image.width, height: image.height, data };
}

export interface NodeSampling {
  /** The reference as resized for the output. */
  readonly reference: RgbImage;
  readonly sampling: SamplingResult;
}

/** Everything before decoding: resize, conditioning and the sampling loop. */
export async function sampleNodeLatents(inputs: NodeInputs, networks: FlashPortraitNetworks, control: SamplingControl = {}): Promise<NodeSampling> {
  const frames = usableDrivingFrames(inputs.headEmotionFeatures.length / HEAD_EMOTION_FEATURE_WIDTH);
  const source = imageToBytes(inputs.image);
  const size = nodeReferenceSize(source.width, source.height, inputs.maxSize);
  if (size.width < 16 || size.height < 16) throw new Error(`max_size ${inputs.maxSize} makes the reference ${size.width}x${size.height}; both sides must be at least 16`);
  const reference = resizeLanczos(source, size.width, size.height);
  const anchorFrame = inputs.initialFrame ? resizeLanczos(imageToBytes(inputs.initialFrame), size.width, size.height) : undefined;
  const channels = inputs.latentChannels ?? 16;
  const latentShape = { channels, frames: latentFramesFor(frames), height: size.height / 8, width: size.width / 8 };
  const sampling = await sampleFlashPortrait({
    reference,
    ...(anchorFrame ? { anchorFrame } : {}),
    headEmotionFeatures: inputs.headEmotionFeatures.subarray(0, frames * HEAD_EMOTION_FEATURE_WIDTH),
    prompt: inputs.prompt ?? '',
    negativePrompt: inputs.negativePrompt ?? '',
    latentChannels: channels,
    noise: inputs.noise(latentShape),
    steps: inputs.steps,
    scheduler: inputs.scheduler ?? 'euler',
    shift: inputs.shift,
    emoCfgScale: inputs.emoCfgScale,
    textCfgScale: inputs.textCfgScale,
    contextSize: inputs.contextSize,
    contextOverlap: inputs.contextOverlap,
    alp: inputs.alp,
  }, networks, control);
  return { reference, sampling };
}

/** Size of the node's output: the decoded video without its first (reference) frame. */
export function nodeOutputSize(latents: LatentShape): { frames: number; height: number; width: number } {
  return { frames: videoFramesForLatents(latents.frames) - 1, height: latents.height * VAE_SPATIAL_STRIDE, width: latents.width * VAE_SPATIAL_STRIDE };
}

/**
 * Decodes the latents and hands the output frames on in order, chunk by chunk, as ComfyUI IMAGE
 * floats [n, H, W, 3] in [0, 1] (`x / 2 + 0.5`, clamped; the first decoded frame dropped). Streams
 * when the networks can; interrupts are honoured between chunks.
 */
export async function decodeNodeFrames(
  latents: LatentFrames,
  networks: FlashPortraitNetworks,
  onFrames: (frames: Float32Array, count: number) => Promise<void> | void,
  signal?: AbortSignal,
): Promise<void> {
  const expected = nodeOutputSize(latents.shape);
  let decoded = 0;
  const take = async (chunk: PixelVideo): Promise<void> => {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException('decoding aborted', 'AbortError');
    if (chunk.height !== expected.height || chunk.width !== expected.width) {
      throw new Error(`VAE decode returned ${chunk.width}x${chunk.height} frames, expected ${expected.width}x${expected.height}`);
    }
    const skip = decoded === 0 ? 1 : 0;
    decoded += chunk.frames;
    if (chunk.frames > skip) await onFrames(unitFrames(chunk, skip), chunk.frames - skip);
  };
  if (networks.vaeDecodeChunks) await networks.vaeDecodeChunks(latents, take);
  else await take(await networks.vaeDecode((await latents.materialize()).data, latents.shape));
  if (decoded - 1 !== expected.frames) throw new Error(`VAE decode returned ${decoded} frames, expected ${expected.frames + 1}`);
}

/** Frames `skip`.. of a [-1, 1] video [3, F, H, W] as [F - skip, H, W, 3] in [0, 1], float32 like torch. */
function unitFrames(video: PixelVideo, skip: number): Float32Array {
  const plane = video.height * video.width;
  const count = video.frames - skip;
  const out = new Float32Array(count * plane * 3);
  for (let f = 0; f < count; f++) {
    for (let c = 0; c < 3; c++) {
      const src = (c * video.frames + f + skip) * plane;
      for (let i = 0; i < plane; i++) {
        const v = f32(f32(video.data[src + i]! / 2) + 0.5);
        out[(f * plane + i) * 3 + c] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }
  return out;
}

/** FlashPortraitSampler.sample with the output gathered as floats (tests and goldens). */
export async function runFlashPortraitNode(inputs: NodeInputs, networks: FlashPortraitNetworks, control: SamplingControl = {}): Promise<NodeOutput> {
  const { reference, sampling } = await sampleNodeLatents(inputs, networks, control);
  const { frames, height, width } = nodeOutputSize(sampling.latents.shape);
  const images = new Float32Array(frames * height * width * 3);
  let offset = 0;
  await decodeNodeFrames(sampling.latents, networks, (chunk) => {
    images.set(chunk, offset);
    offset += chunk.length;
  }, control.signal);
  return { images, frames, height, width, reference, sampling };
}
