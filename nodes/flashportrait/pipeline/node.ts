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
import type { RgbImage } from './conditioning.ts';

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
  readonly noise: (latentShape: { channels: number; frames: number; height: number; width: number }) => Float32Array;
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

export async function runFlashPortraitNode(inputs: NodeInputs, networks: FlashPortraitNetworks, control: SamplingControl = {}): Promise<NodeOutput> {
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
  const video = await networks.vaeDecode(sampling.latents.data, sampling.latents.shape);
  const { height, width } = video;
  const plane = height * width;
  const outFrames = video.frames - 1;
  const images = new Float32Array(outFrames * plane * 3);
  for (let f = 0; f < outFrames; f++) {
    for (let c = 0; c < 3; c++) {
      const src = (c * video.frames + f + 1) * plane;
      for (let i = 0; i < plane; i++) {
        const v = f32(f32(video.data[src + i]! / 2) + 0.5);
        images[(f * plane + i) * 3 + c] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }
  return { images, frames: outFrames, height, width, reference, sampling };
}
