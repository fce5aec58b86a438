// The FlashPortrait denoising loop (WanI2VLongPipeline.__call__), with the networks injected.
// Per step, per window: gather the window, run the CFG branches, combine, step the window's own
// solver, cross-fade with the previous window, write into the merged video buffer.
import { fullStepCount, isFullStep, LatentForecaster, validateAlp } from './alp.ts';
import type { AlpOptions } from './alp.ts';
import { crossFadeWindow } from './blend.ts';
import { combineCfg, needsNegativePrompt, planCfg } from './cfg.ts';
import type { CfgPlan } from './cfg.ts';
import {
  clipInput, conditioningLatents, maskLatents, maskedConditioningVideo, transformerSeqLen,
  VAE_SPATIAL_STRIDE, videoFramesForLatents,
} from './conditioning.ts';
import type { RgbImage } from './conditioning.ts';
import { splitEmotionTokens, TOKENS_PER_LATENT_FRAME, TOKENS_PER_VIDEO_FRAME } from './emotion-tokens.ts';
import type { EmotionTokens } from './emotion-tokens.ts';
import { LatentFrames } from './latent-frames.ts';
import type { NoiseStream } from './latent-frames.ts';
import { LatentVideo } from './latent-video.ts';
import type { LatentShape } from './latent-video.ts';
import { memoryRecords } from './record-store.ts';
import { WindowState } from './window-state.ts';
import type { RecordStore, RecordStoreFactory } from './record-store.ts';
import type { Embedding, FlashPortraitNetworks } from './networks.ts';
import { latentToRgb } from './preview.ts';
import type { LatentPreview } from './preview.ts';
import { createScheduler } from './schedulers/index.ts';
import type { FlowScheduler, SchedulerName, TrajectorySolver } from './schedulers/index.ts';
import { planWindows } from './windows.ts';
import type { WindowPlan } from './windows.ts';

export const HEAD_EMOTION_FEATURE_WIDTH = 554;
export const MIN_DRIVING_FRAMES = 5;

export interface SamplingRequest {
  /** Reference portrait, already at the output size (multiples of 16): CLIP identity and, by default, the anchor frame. */
  readonly reference: RgbImage;
  /**
   * The conditioning video's first frame when it is not the reference (the node's
   * initial_video_frames), same size as the reference. Only frame 0 survives the conditioning mask.
   */
  readonly anchorFrame?: RgbImage;
  /** Driving features [frames, 554]; the frame count is rounded down to 4k+1. */
  readonly headEmotionFeatures: Float32Array;
  readonly prompt: string;
  readonly negativePrompt: string;
  readonly latentChannels: number;
  /** Initial noise [C, T, h, w] for T = (frames-1)/4 + 1 latent frames, whole or streamed in that order. */
  readonly noise: Float32Array | NoiseStream;
  readonly steps: number;
  readonly scheduler: SchedulerName;
  /** Pipeline shift (ignored by Euler, like the original). */
  readonly shift: number;
  readonly schedulerConstructorShift?: number;
  readonly emoCfgScale: number;
  readonly textCfgScale: number;
  readonly ipScale?: number;
  readonly contextSize: number;
  readonly contextOverlap: number;
  /** Adaptive Latent Prediction; omitted = every step runs the DiT. */
  readonly alp?: AlpOptions;
}

export interface WindowStepRecord {
  readonly step: number;
  readonly window: number;
  readonly frames: readonly number[];
  /** CFG-combined prediction (scheduler input). */
  readonly noisePred: Float32Array;
  /** Scheduler output before blending. */
  readonly stepped: Float32Array;
}

export interface SamplingControl {
  /** Called after every DiT call with (calls done, calls planned). */
  readonly onProgress?: (value: number, max: number) => void;
  /** Checked before every DiT call. */
  readonly signal?: AbortSignal;
  /** Latent preview of the first latent frame after every step. */
  readonly onPreview?: (preview: LatentPreview) => void;
  /** Observation hooks (buffers are reused: copy what you keep). */
  readonly onWindowStep?: (record: WindowStepRecord) => void;
  /** The whole latents after every step (read into memory for the hook: tests and goldens). */
  readonly onStep?: (step: number, latents: LatentVideo) => void;
  /**
   * Where state that would grow with the clip is kept between steps: every window's emotion tokens
   * (51 x 97 x 2048 floats, 40.5 MB, per window at any resolution), the windows' solver history and
   * the whole-video latents (one record per latent frame). Default: memory.
   */
  readonly records?: RecordStoreFactory;
}

export interface SamplingResult {
  /** In the request's record store: the caller reads them (decode) and closes them. */
  readonly latents: LatentFrames;
  readonly plan: WindowPlan;
  readonly cfg: CfgPlan;
  readonly scheduler: FlowScheduler;
  readonly ditCalls: number;
}

/** Video frames actually used: the largest 4k+1 not above the count given. */
export function usableDrivingFrames(frames: number): number {
  if (frames < MIN_DRIVING_FRAMES) {
    throw new Error(`FlashPortrait needs at least 5 driving frames (got ${frames}): a window must span at least 2 latent frames`);
  }
  return (frames - 1) % 4 === 0 ? frames : Math.floor((frames - 1) / 4) * 4 + 1;
}

export function latentFramesFor(videoFrames: number): number {
  return Math.floor((videoFrames - 1) / 4) + 1;
}

/** DiT calls a request will make: per window and branch, every step (or the ALP full steps). */
export function plannedDitCalls(steps: number, windows: number, branches: number, alp?: AlpOptions): number {
  return (alp ? fullStepCount(steps, alp.interval) : steps) * windows * branches;
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('sampling aborted', 'AbortError');
}

export async function sampleFlashPortrait(request: SamplingRequest, networks: FlashPortraitNetworks, control: SamplingControl = {}): Promise<SamplingResult> {
  const { reference, latentChannels: channels } = request;
  if (reference.width % 16 !== 0 || reference.height % 16 !== 0) throw new Error(`reference size ${reference.width}x${reference.height} must be a multiple of 16`);
  const anchor = request.anchorFrame ?? reference;
  if (anchor.width !== reference.width || anchor.height !== reference.height) {
    throw new Error(`anchor frame ${anchor.width}x${anchor.height} must have the reference's size ${reference.width}x${reference.height}`);
  }
  if (request.headEmotionFeatures.length % HEAD_EMOTION_FEATURE_WIDTH !== 0) throw new Error(`head emotion features must be [frames, ${HEAD_EMOTION_FEATURE_WIDTH}]`);
  if (request.alp) validateAlp(request.alp);
  const videoFrames = usableDrivingFrames(request.headEmotionFeatures.length / HEAD_EMOTION_FEATURE_WIDTH);
  const shape: LatentShape = {
    channels,
    frames: latentFramesFor(videoFrames),
    height: reference.height / VAE_SPATIAL_STRIDE,
    width: reference.width / VAE_SPATIAL_STRIDE,
  };
  const plan = planWindows(shape.frames, request.contextSize, request.contextOverlap);
  const cfg = planCfg(request.emoCfgScale, request.textCfgScale, request.ipScale ?? 1);
  const scheduler = createScheduler({ name: request.scheduler, steps: request.steps, shift: request.shift, constructorShift: request.schedulerConstructorShift });

  // Encoders. The negative prompt is encoded whenever a branch needs it (the original crashes when
  // guidance_scale <= 1 leaves it undefined).
  const positive = await networks.textEncoder(request.prompt);
  const negative: Embedding = needsNegativePrompt(cfg) ? await networks.textEncoder(request.negativePrompt) : undefined;
  const clip = await networks.clipImage(clipInput(reference), reference.height, reference.width);
  // One window's conditioning, shared by all windows (the anchor sits on every window's frame 0).
  const encoded = await networks.vaeEncode(maskedConditioningVideo(anchor, videoFramesForLatents(plan.contextSize)));
  const y = conditioningLatents(maskLatents(plan.contextSize, shape.height, shape.width), encoded);
  if (y.length !== (4 + channels) * plan.contextSize * shape.height * shape.width) {
    throw new Error(`VAE encode returned ${encoded.length} values, expected [${channels}, ${plan.contextSize}, ${shape.height}, ${shape.width}]`);
  }
  const seqLen = transformerSeqLen(reference.height, reference.width, plan.contextSize);
  const emotion = await encodeEmotionWindows(request.headEmotionFeatures, plan, networks, control.records ?? memoryRecords);
  try {
    return await denoise(request, networks, control, { shape, plan, cfg, scheduler, positive, negative, clip, y, seqLen, emotion });
  } finally {
    await emotion.store.close();
  }
}

/** Every window's emotion tokens, encoded once and kept in a record store (one record per window). */
interface EmotionWindows {
  readonly store: RecordStore;
  readonly width: number;
  readonly lengths: readonly Int32Array[];
}

async function encodeEmotionWindows(features: Float32Array, plan: WindowPlan, networks: FlashPortraitNetworks, records: RecordStoreFactory): Promise<EmotionWindows> {
  let store: RecordStore | undefined;
  let tokens: EmotionTokens | undefined;
  const lengths: Int32Array[] = [];
  try {
    for (const [w, window] of plan.windows.entries()) {
      const [start, end] = window.emotionFrames;
      const slice = features.subarray(start * HEAD_EMOTION_FEATURE_WIDTH, end * HEAD_EMOTION_FEATURE_WIDTH);
      const encoded = await networks.portraitEncoder({ features: slice, frameStart: start, frameEnd: end });
      if (encoded.tokens.length !== (end - start) * TOKENS_PER_VIDEO_FRAME * encoded.width) {
        throw new Error(`portrait encoder returned ${encoded.tokens.length} values for ${end - start} frames of width ${encoded.width}`);
      }
      if (tokens && tokens.width !== encoded.width) throw new Error(`portrait encoder width changed from ${tokens.width} to ${encoded.width}`);
      tokens = splitEmotionTokens(encoded.tokens, encoded.width, plan.contextSize, tokens);
      store ??= await records('emotion tokens', tokens.tokens.length);
      await store.write(w, tokens.tokens);
      lengths.push(Int32Array.from(tokens.lengths));
    }
  } catch (error) {
    await store?.close();
    throw error;
  }
  return { store: store!, width: tokens!.width, lengths };
}

interface DenoiseSetup {
  readonly shape: LatentShape;
  readonly plan: WindowPlan;
  readonly cfg: CfgPlan;
  readonly scheduler: FlowScheduler;
  readonly positive: Embedding;
  readonly negative: Embedding;
  readonly clip: Embedding;
  readonly y: Float32Array;
  readonly seqLen: number;
  readonly emotion: EmotionWindows;
}

async function denoise(request: SamplingRequest, networks: FlashPortraitNetworks, control: SamplingControl, setup: DenoiseSetup): Promise<SamplingResult> {
  const { shape, plan, cfg, scheduler, positive, negative, clip, y, seqLen } = setup;
  const { timesteps, timestepDtype } = scheduler.schedule;
  const stepCount = timesteps.length;
  const windowShape: LatentShape = { ...shape, frames: plan.contextSize };
  // One window's emotion tokens at a time, read back from the store before the window's DiT calls.
  const emotionTokens = new Float32Array(plan.contextSize * TOKENS_PER_LATENT_FRAME * setup.emotion.width);
  const emotionOf = async (w: number): Promise<EmotionTokens> => {
    await setup.emotion.store.read(w, emotionTokens);
    return { tokens: emotionTokens, latentFrames: plan.contextSize, width: setup.emotion.width, lengths: setup.emotion.lengths[w]! };
  };

  // State: two video-sized buffers (current latents, this step's merged result), one record per
  // latent frame in the record store, and per-window buffers reused across steps.
  const plane = shape.height * shape.width;
  const windowSize = shape.channels * plan.contextSize * plane;
  // The earlier windows' values on a window's overlap frames, for the cross-fade.
  const previous = new Float32Array(shape.channels * Math.max(0, ...plan.windows.map((w) => w.overlap)) * plane);
  const x = new Float32Array(windowSize);
  const noisePred = new Float32Array(windowSize);
  const stepped = new Float32Array(windowSize);
  const branchOutputs = cfg.calls.map(() => new Float32Array(windowSize));
  // Every window's solver and forecasters share one set of history buffers, swapped per window
  // through a record store (window-state.ts): history costs one window's worth of memory, not one per window.
  const state = new WindowState();
  const solvers: TrajectorySolver[] = [];
  const forecasters: LatentForecaster[][] | undefined = request.alp ? [] : undefined;
  for (const _ of plan.windows) {
    const alloc = state.allocator();
    solvers.push(scheduler.createSolver(windowSize, alloc));
    forecasters?.push(cfg.calls.map(() => new LatentForecaster(request.alp!, [windowSize], alloc)));
  }
  const records = control.records ?? memoryRecords;
  let latents = await LatentFrames.fromNoise(shape, request.noise, records, 'latents');
  let merged: LatentFrames | undefined;
  let done = false;
  try {
    merged = await LatentFrames.create(shape, records, 'merged latents');
    await state.open(records);
    const maxCalls = plannedDitCalls(stepCount, plan.windows.length, cfg.calls.length, request.alp);
    let calls = 0;
    let previewBytes: Uint8Array | undefined;

    for (let step = 0; step < stepCount; step++) {
      const full = !request.alp || isFullStep(step, request.alp.interval);
      for (let w = 0; w < plan.windows.length; w++) {
        const window = plan.windows[w]!;
        await latents.gather(window.frames, x);
        await state.load(w);
        const emotion = full ? await emotionOf(w) : undefined;
        for (let b = 0; b < cfg.calls.length; b++) {
          const branch = cfg.calls[b]!;
          const output = branchOutputs[b]!;
          if (!full) {
            forecasters![w]![b]!.forecast(step, [output]);
            continue;
          }
          if (control.signal?.aborted) throw abortError(control.signal);
          const result = await networks.transformer({
            x, shape: windowShape, timestep: timesteps[step]!, timestepDtype,
            prompt: branch.prompt, text: branch.prompt === 'positive' ? positive : negative, clip, y,
            emotion: emotion!, ipScale: branch.ipScale, seqLen, step, window: w, branch: branch.branch,
          });
          if (result.length !== windowSize) throw new Error(`transformer returned ${result.length} values, expected ${windowSize}`);
          output.set(result);
          forecasters?.[w]![b]!.record(step, [output]);
          calls++;
          control.onProgress?.(calls, maxCalls);
        }
        combineCfg(cfg, branchOutputs, noisePred);
        solvers[w]!.step(step, noisePred, x, stepped);
        await state.save(w);
        const record = control.onWindowStep ? { step, window: w, frames: window.frames, noisePred, stepped: Float32Array.from(stepped) } : undefined;
        if (w > 0 && step > 0) {
          const overlapFrames = window.frames.slice(0, window.overlap);
          const earlier = previous.subarray(0, shape.channels * overlapFrames.length * plane);
          if (overlapFrames.length > 0) await merged.gather(overlapFrames, earlier);
          crossFadeWindow(stepped, window.frames.length, window.overlap, earlier, plane);
        }
        await merged.scatter(window.frames, stepped);
        if (record) control.onWindowStep!(record);
      }
      [latents, merged] = [merged, latents];
      if (control.onStep) control.onStep(step, await latents.materialize());
      if (control.onPreview) {
        const first = new LatentVideo({ ...shape, frames: 1 }, await latents.frame(0));
        previewBytes = latentToRgb(first, previewBytes);
        control.onPreview({ step, rgb: previewBytes, frames: 1, height: shape.height, width: shape.width });
      }
    }
    done = true;
    return { latents, plan, cfg, scheduler, ditCalls: calls };
  } finally {
    await state.close();
    await merged?.close();
    if (!done) await latents.close();
  }
}
