import { existsSync } from 'node:fs';
import sharp from 'sharp';
import { ModelManager } from '../../server/ml/model-manager.ts';
import type { NodeContext, NodeDefinition } from '../../server/runtime/schema.ts';
import { FrameWriter, frameStoreDirectory } from '../../server/media/frame-store.ts';
import { FileRecordStore } from '../../server/media/record-store.ts';
import { toFloat32, unitFloatToByte } from '../../types/data.ts';
import type { Image } from '../../types/data.ts';
import type { FlashPortraitModelFiles } from './model-files.ts';
import { networksFromPipe } from './pipe-networks.ts';
import type { PipeNetworksOptions } from './pipe-networks.ts';
import { ALP_PAPER_DEFAULTS } from './pipeline/alp.ts';
import { decodeNodeFrames, nodeOutputSize, sampleNodeLatents } from './pipeline/node.ts';
import type { FloatImage } from './pipeline/node.ts';
import type { LatentFrames } from './pipeline/latent-frames.ts';
import type { FlashPortraitNetworks } from './pipeline/networks.ts';
import type { LatentPreview } from './pipeline/preview.ts';
import { HEAD_EMOTION_FEATURE_WIDTH, latentFramesFor, usableDrivingFrames } from './pipeline/sampler.ts';
import type { SchedulerName } from './pipeline/schedulers/index.ts';
import { NormalStream } from './seeded-noise.ts';
import type { FlashPortraitPipe, HeadEmoFeatures } from './types.ts';

/** Wan2.1's standard negative prompt, the released node's default. */
export const WAN_NEGATIVE_PROMPT =
  '色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量，JPEG压缩残留，丑陋的，残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，三条腿，背景人很多，倒着走';

export const SCHEDULERS = ['euler', 'unipc', 'dpmpp'] as const;
export const ACCELERATIONS = ['none', 'alp', 'distill4'] as const;

/** The step-distilled schedule runs exactly four steps whatever `steps` says. */
const DISTILL_STEPS = 4;

/** What fast mode (acceleration distill4) loads: the distill LoRA and the tiny decoder when present, warnings otherwise. */
export interface FastModePlan {
  readonly lora?: PipeNetworksOptions['lora'];
  readonly tinyVae?: string;
  readonly warnings: readonly string[];
}

export function fastModePlan(files: Pick<FlashPortraitModelFiles, 'fastLora' | 'fastVae'>, acceleration: (typeof ACCELERATIONS)[number]): FastModePlan {
  if (acceleration !== 'distill4') return { warnings: [] };
  const warnings: string[] = [];
  const hasLora = existsSync(files.fastLora);
  const hasVae = existsSync(files.fastVae);
  if (!hasLora) warnings.push(`distill4 without the distill LoRA (${files.fastLora} not found): 4 steps of the base model will look wrong (blurry, unfinished). Put fast_lora_rank64.safetensors from FrancisRing/FlashPortrait there.`);
  if (!hasVae) warnings.push(`distill4: ${files.fastVae} not found, decoding with the (slower) Wan VAE.`);
  return { ...(hasLora ? { lora: { path: files.fastLora, strength: 1 } } : {}), ...(hasVae ? { tinyVae: files.fastVae } : {}), warnings };
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`[flashportrait] warning: ${message}`);
}

/** The host's model manager (created by createServices); a private one when a host has none. */
export function modelManagerOf(ctx: Pick<NodeContext, 'services'>): ModelManager {
  const models = ctx.services.models;
  if (models instanceof ModelManager) return models;
  fallbackManager ??= new ModelManager();
  return fallbackManager;
}
let fallbackManager: ModelManager | undefined;

function assertPipe(value: unknown): FlashPortraitPipe {
  if ((value as FlashPortraitPipe | null)?.kind !== 'FLASH_PORTRAIT_PIPE') throw new Error('pipe must come from FlashPortraitLoader');
  return value as FlashPortraitPipe;
}

function assertFeatures(value: unknown): HeadEmoFeatures {
  const features = value as HeadEmoFeatures | null;
  if (features?.kind !== 'HEAD_EMO_FEAT' || features.data.length !== features.frames * HEAD_EMOTION_FEATURE_WIDTH) {
    throw new Error('head_emo_features must come from FlashPortraitFeatureExtractor');
  }
  return features;
}

/** initial_video_frames' first frame (the only one the conditioning mask keeps). */
async function firstInitialFrame(frames: Image | undefined): Promise<FloatImage | undefined> {
  if (!frames) return undefined;
  if (frames.count < 1) throw new Error('initial_video_frames has no frames');
  if (frames.count > 1) warnOnce(`initial_video_frames has ${frames.count} frames; only the first conditions the video (the released pipeline masks out the rest)`);
  const first = await toFloat32(frames, { layout: 'BHWC', start: 0, count: 1 });
  return { height: frames.height, width: frames.width, data: first.data };
}

/** The first latent frame of a step's preview as PNG bytes. */
async function previewPng(preview: LatentPreview): Promise<Uint8Array> {
  const plane = preview.height * preview.width * 3;
  const png = await sharp(Buffer.from(preview.rgb.buffer, preview.rgb.byteOffset, plane), { raw: { width: preview.width, height: preview.height, channels: 3 } })
    .resize({ width: preview.width * 8, height: preview.height * 8, kernel: 'nearest' })
    .png()
    .toBuffer();
  return new Uint8Array(png);
}

/**
 * FlashPortraitSampler with the released schema (widgets map by position in workflow files: new
 * inputs are only appended, as optional ones). Output: the generated frames, reference frame dropped.
 */
export const FlashPortraitSampler: NodeDefinition = {
  type: 'FlashPortraitSampler',
  displayName: 'FlashPortrait Sampler',
  category: 'FlashPortrait',
  description: 'Animates the reference portrait (first frame of image) with the driving head/emotion features.',
  inputs: {
    required: {
      pipe: { type: 'FLASH_PORTRAIT_PIPE' },
      head_emo_features: { type: 'HEAD_EMO_FEAT' },
      image: { type: 'IMAGE', tooltip: 'Reference portrait; only the first frame is used.' },
      prompt: { type: 'STRING', multiline: true, default: 'The man is singing' },
      negative_prompt: { type: 'STRING', multiline: true, default: WAN_NEGATIVE_PROMPT },
      seed: {
        type: 'INT', default: 42, min: 0, max: 2 ** 64 - 1, control_after_generate: true,
        tooltip: 'Seeds a deterministic xoshiro128** generator: reproducible here, but not the same noise as the released node (torch CUDA generator).',
      },
      steps: { type: 'INT', default: 30, min: 1, max: 1000 },
      cfg_scale: { type: 'FLOAT', default: 1.0, min: 0, max: 100, step: 0.1, tooltip: 'Accepted for workflow compatibility and unused, as in the released node.' },
      guidance_scale: { type: 'FLOAT', default: 4.0, min: 0, max: 100, step: 0.1, tooltip: 'Released semantics: never a scale, it only decided whether a negative prompt is encoded; here the negative prompt is encoded whenever text CFG needs it, so it has no effect.' },
      text_cfg_scale: { type: 'FLOAT', default: 1.0, min: 0, max: 100, step: 0.1, tooltip: 'Text guidance; 1 switches it off.' },
      emo_cfg_scale: { type: 'FLOAT', default: 4.0, min: 0, max: 100, step: 0.1, tooltip: 'Emotion guidance; <= 1 switches it off.' },
      max_size: { type: 'INT', default: 720, min: 16, max: 4096, step: 16, tooltip: 'Longest side of the output; sides are rounded to multiples of 16.' },
      shift: { type: 'FLOAT', default: 5.0, min: 0, max: 100, step: 0.1 },
      context_size: { type: 'INT', default: 51, min: 5, max: 1000, tooltip: 'Window length in frames.' },
      context_overlap: { type: 'INT', default: 30, min: 0, max: 1000, tooltip: 'Frames shared by consecutive windows.' },
    },
    optional: {
      initial_video_frames: {
        type: 'IMAGE',
        tooltip: 'Replaces the tiled reference as the conditioning video. As in the released pipeline only its first frame survives the conditioning mask: that frame (resized to the output size) becomes the frame the animation starts from, while the reference image still gives identity through CLIP. E.g. the last frame of a previous clip, to continue it.',
      },
      scheduler: { type: 'COMBO', options: SCHEDULERS, default: 'euler' },
      acceleration: {
        type: 'COMBO', options: ACCELERATIONS, default: 'none',
        tooltip: 'alp: Adaptive Latent Prediction (paper defaults K=5, n=3, alpha=1.5) skips most DiT calls; distill4: the 4-step distilled schedule with FlashPortrait/fast_lora_rank64.safetensors as a LoRA on the DiT and FlashPortrait/fast_vae.pth (tiny VAE) for decoding, each when present (warns when missing).',
      },
    },
  },
  outputs: [{ type: 'IMAGE', name: 'images' }],
  async execute(inputs, ctx) {
    const pipe = assertPipe(inputs.pipe);
    const features = assertFeatures(inputs.head_emo_features);
    const image = inputs.image as Image;
    if (image.count < 1) throw new Error('image has no frames');
    const reference = await toFloat32(image, { layout: 'BHWC', start: 0, count: 1 });
    const initialFrame = await firstInitialFrame(inputs.initial_video_frames as Image | undefined);
    const acceleration = (inputs.acceleration ?? 'none') as (typeof ACCELERATIONS)[number];
    const scheduler: SchedulerName = acceleration === 'distill4' ? 'step_distill' : ((inputs.scheduler ?? 'euler') as SchedulerName);
    const steps = acceleration === 'distill4' ? DISTILL_STEPS : (inputs.steps as number);
    const seed = inputs.seed as number;

    // One progress step per DiT call, then one per latent frame decoded into output frames (the
    // first one only gives the dropped reference frame); decoding a long video takes a while too.
    const decodeSteps = latentFramesFor(usableDrivingFrames(features.frames)) - 1;
    let ditCalls = 0;
    let progress = { value: 0, max: 1 };
    const previews: Promise<void>[] = [];
    const fast = fastModePlan(pipe.files, acceleration);
    for (const warning of fast.warnings) warnOnce(warning);
    const networks = networksFromPipe(pipe, modelManagerOf(ctx), { ...(fast.lora ? { lora: fast.lora } : {}), ...(fast.tinyVae ? { tinyVae: fast.tinyVae } : {}) });
    const { sampling } = await sampleNodeLatents({
      image: { height: image.height, width: image.width, data: reference.data },
      ...(initialFrame ? { initialFrame } : {}),
      headEmotionFeatures: features.data,
      prompt: inputs.prompt as string,
      negativePrompt: inputs.negative_prompt as string,
      // Streamed into the latent store plane by plane: the same values as seededNormal, never held whole.
      noise: () => new NormalStream(seed),
      steps,
      scheduler,
      shift: inputs.shift as number,
      emoCfgScale: inputs.emo_cfg_scale as number,
      textCfgScale: inputs.text_cfg_scale as number,
      maxSize: inputs.max_size as number,
      contextSize: inputs.context_size as number,
      contextOverlap: inputs.context_overlap as number,
      ...(acceleration === 'alp' ? { alp: ALP_PAPER_DEFAULTS } : {}),
    }, networks, {
      signal: ctx.signal,
      // Per-window state that grows with the clip goes to temp/frame-store, not the heap.
      records: (name, length) => FileRecordStore.open(frameStoreDirectory(ctx), length, `FlashPortraitSampler ${name}`),
      onProgress: (value, max) => {
        ditCalls = max;
        progress = { value, max: max + decodeSteps };
        ctx.progress(progress.value, progress.max);
      },
      onPreview: (preview) => {
        // Encoding is asynchronous; the preview joins the progress value current when it is ready.
        previews.push(previewPng(preview).then((bytes) => {
          if (!ctx.signal.aborted) ctx.progress(progress.value, progress.max, { format: 'PNG', bytes });
        }).catch(() => undefined));
      },
    });
    try {
      await Promise.allSettled(previews);
      ctx.throwIfInterrupted();
      return [await decodeToFrames(sampling.latents, networks, ctx, ditCalls, decodeSteps)];
    } finally {
      await sampling.latents.close();
    }
  },
};

/**
 * The latents decoded a chunk at a time straight into 8-bit frames, which a FrameWriter keeps in
 * RAM up to its budget (FLASHGRAPH_FRAME_RAM_MB) and otherwise spills to temp/frame-store: neither
 * the float video nor, for long outputs, the 8-bit one is ever held whole.
 */
async function decodeToFrames(latents: LatentFrames, networks: FlashPortraitNetworks, ctx: NodeContext, ditCalls: number, decodeSteps: number): Promise<Image> {
  const size = nodeOutputSize(latents.shape);
  const writer = new FrameWriter({
    width: size.width,
    height: size.height,
    count: size.frames,
    directory: frameStoreDirectory(ctx),
    label: 'FlashPortraitSampler',
    signal: ctx.signal,
  });
  let decoded = 0;
  try {
    await decodeNodeFrames(latents, networks, async (frames, count) => {
      const bytes = new Uint8Array(frames.length);
      for (let i = 0; i < frames.length; i++) bytes[i] = unitFloatToByte(frames[i]!);
      await writer.write(bytes);
      decoded += count;
      ctx.progress(ditCalls + Math.round((decodeSteps * decoded) / size.frames), ditCalls + decodeSteps);
    }, ctx.signal);
    return await writer.finish();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
