// Driving video -> head_emo features (1, frames, 554) for FlashPortrait: face tracking, PD-FGC
// face warp, FanEncoder, and the node's frame-count / padding rules.
import type { Image } from '../../../types/data.ts';
import type { FrameStream } from './face-track.ts';
import { trackFaces } from './face-track.ts';
import type { FramePlan } from './frame-count.ts';
import { outputRowSources, planFrames } from './frame-count.ts';
import { HEAD_EMO_WIDTH } from './fan-encoder.ts';
import { PDFGC_SIZE, pdfgcInput } from './pdfgc-warp.ts';
import type { StageTimer } from './timing.ts';
import { timed, timedAsync } from './timing.ts';
import type { FaceAlignerLike, FaceDetectorLike } from './tracker.ts';
import type { PixelImage } from './warp.ts';

export interface HeadEmoEncoder {
  /** head_emo rows [headpose 6, eye 6, emo 30, mouth 512] for `batch` inputs (3,224,224). */
  headEmo(x: Float32Array, batch?: number): Promise<Float32Array>;
}

export interface HeadEmoModels {
  readonly detector: FaceDetectorLike;
  readonly aligner: FaceAlignerLike;
  readonly encoder: HeadEmoEncoder;
}

export interface HeadEmoProgress {
  readonly stage: 'detect' | 'track' | 'encode';
  readonly done: number;
  readonly total: number;
}

export interface ExtractOptions {
  readonly contextSize?: number;
  readonly contextOverlap?: number;
  /** Called after every frame of the two tracking passes, and after every encoder batch. */
  readonly onProgress?: (p: HeadEmoProgress) => void;
  /** Checked between frames (both tracking passes and the face warps) and before every encoder batch. */
  readonly signal?: AbortSignal;
  /** Faces per FanEncoder call (its graph has a dynamic batch axis); default 16, 1 = one call per face. */
  readonly encoderBatch?: number;
  /** Adds the time of the PD-FGC warps and of the encoder calls (the detector and aligner time themselves). */
  readonly timer?: StageTimer;
  /**
   * Golden compatibility only: pair the i-th analysed frame with the i-th detected landmark set,
   * as the original does (README §9.1: frames and landmarks drift apart after a frame without a
   * face), and accept context_overlap >= context_size. Default: every frame keeps its own face.
   */
  readonly compatOriginalPairing?: boolean;
  /** Golden compatibility only: the smoother's NaN on zero motion. */
  readonly compatSmoother?: boolean;
}

export interface HeadEmoFeatures {
  /** (1, frames, 554) row-major. */
  readonly headEmo: Float32Array;
  readonly shape: readonly [1, number, typeof HEAD_EMO_WIDTH];
  /** The node's `total_frames`. */
  readonly frames: number;
  readonly plan: FramePlan;
  /** Frames analysed that had a face. */
  readonly faceFrames: readonly number[];
  /** For each output row, the frame whose face and pixels produced it. */
  readonly rowFrames: readonly number[];
  /** Landmarks per entry of faceFrames (interleaved x,y). */
  readonly landmarks: readonly Float32Array[];
  /** Pass-1 face rect per frame where pass 1 found a face. */
  readonly stage1Rects: ReadonlyMap<number, readonly [number, number, number, number]>;
  readonly warnings: readonly string[];
}

export class NoFaceError extends Error {}

const STAGES = ['detect', 'track', 'encode'] as const;

/**
 * One monotonic (value, max) for a whole extraction: each stage is a third of the bar, so a node's
 * progress never jumps back when pass 1 ends. `frames`: the frames analysed (pass 1's total).
 */
export function overallProgress(p: HeadEmoProgress, frames: number): [value: number, max: number] {
  const stage = STAGES.indexOf(p.stage);
  return [stage * frames + Math.round((p.done / Math.max(1, p.total)) * frames), STAGES.length * frames];
}

/**
 * The first `count` frames of an IMAGE, optionally only some of them: views of the chunks' RGB
 * bytes. Nothing is converted per frame (the warps reorder channels as they write), so reading
 * the video three times costs no more than the reads.
 */
function rgbFrames(image: Image, count: number, signal: AbortSignal | undefined): FrameStream {
  const bytes = image.width * image.height * 3;
  return async function* (only) {
    for await (const chunk of image.frames({ signal })) {
      for (let k = 0; k < chunk.count; k++) {
        const index = chunk.start + k;
        if (index >= count) return;
        if (only && !only.has(index)) continue;
        const frame: PixelImage = { data: chunk.data.subarray(k * bytes, (k + 1) * bytes), width: image.width, height: image.height, channels: 3 };
        yield [index, frame] as const;
      }
    }
  };
}

/** For every frame, the nearest frame that has a face (the earlier one on a tie). */
export function nearestFaceFrame(count: number, faceFrames: readonly number[]): number[] {
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < count; i++) {
    while (k + 1 < faceFrames.length && Math.abs(faceFrames[k + 1]! - i) < Math.abs(faceFrames[k]! - i)) k++;
    out.push(faceFrames[k]!);
  }
  return out;
}

export async function extractHeadEmoFeatures(frames: Image, models: HeadEmoModels, options: ExtractOptions = {}): Promise<HeadEmoFeatures> {
  const compat = options.compatOriginalPairing ?? false;
  const plan = planFrames(frames.count, options.contextSize ?? 51, options.contextOverlap ?? 30, { compat });
  const stream = rgbFrames(frames, plan.usedFrames, options.signal);
  const progress = options.onProgress;
  const track = await trackFaces(stream, models.detector, models.aligner, {
    signal: options.signal,
    compatSmoother: options.compatSmoother,
    onFrame: (pass, done, total) => progress?.({ stage: pass === 1 ? 'detect' : 'track', done, total: total ?? plan.usedFrames }),
  });
  if (track.frameIndices.length === 0) {
    throw new NoFaceError(`no face found in any of the ${plan.usedFrames} driving frames (faces must be at least 96 px wide and high)`);
  }
  const warnings = [...plan.warnings];
  // Which frame's pixels and which landmarks make each feature row.
  let pairs: Array<{ frame: number; landmarks: Float32Array }>;
  let rowOfFrame: number[];
  if (compat) {
    pairs = track.landmarks.map((landmarks, i) => ({ frame: i, landmarks }));
    rowOfFrame = outputRowSources(pairs.length, plan.finalFrames);
  } else {
    pairs = track.frameIndices.map((frame, i) => ({ frame, landmarks: track.landmarks[i]! }));
    const slot = new Map(track.frameIndices.map((f, i) => [f, i]));
    const nearest = nearestFaceFrame(plan.usedFrames, track.frameIndices);
    const missing = plan.usedFrames - track.frameIndices.length;
    if (missing > 0) warnings.push(`${missing} of ${plan.usedFrames} driving frames have no face: each uses the nearest frame with a face`);
    rowOfFrame = outputRowSources(plan.usedFrames, plan.finalFrames).map((frame) => slot.get(nearest[frame]!)!);
  }
  const needed = new Set(rowOfFrame);
  const rows = new Map<number, Float32Array>();
  const byFrame = new Map<number, number[]>();
  for (const p of needed) {
    const f = pairs[p]!.frame;
    byFrame.set(f, [...(byFrame.get(f) ?? []), p]);
  }
  const batchSize = Math.max(1, Math.floor(options.encoderBatch ?? 16));
  if (!Number.isFinite(batchSize)) throw new Error(`encoderBatch must be a finite number, got ${options.encoderBatch}`);
  const faceSize = 3 * PDFGC_SIZE * PDFGC_SIZE;
  const batch = new Float32Array(Math.min(batchSize, needed.size) * faceSize);
  const batchRows: number[] = [];
  let done = 0;
  const flush = async (): Promise<void> => {
    if (batchRows.length === 0) return;
    options.signal?.throwIfAborted();
    const n = batchRows.length;
    const out = await timedAsync(options.timer, 'encoder', () => models.encoder.headEmo(n === batch.length / faceSize ? batch : batch.subarray(0, n * faceSize), n));
    batchRows.forEach((p, b) => rows.set(p, out.slice(b * HEAD_EMO_WIDTH, (b + 1) * HEAD_EMO_WIDTH)));
    batchRows.length = 0;
    done += n;
    progress?.({ stage: 'encode', done, total: needed.size });
  };
  for await (const [index, frame] of stream(new Set(byFrame.keys()))) {
    options.signal?.throwIfAborted();
    for (const p of byFrame.get(index)!) {
      const slot = batch.subarray(batchRows.length * faceSize, (batchRows.length + 1) * faceSize);
      timed(options.timer, 'warp', () => pdfgcInput(frame, pairs[p]!.landmarks, slot));
      batchRows.push(p);
      if (batchRows.length === batchSize) await flush();
    }
  }
  await flush();
  const headEmo = new Float32Array(plan.finalFrames * HEAD_EMO_WIDTH);
  rowOfFrame.forEach((p, i) => headEmo.set(rows.get(p)!, i * HEAD_EMO_WIDTH));
  return {
    headEmo,
    shape: [1, plan.finalFrames, HEAD_EMO_WIDTH],
    frames: plan.finalFrames,
    plan,
    faceFrames: track.frameIndices,
    rowFrames: rowOfFrame.map((p) => (compat ? p : pairs[p]!.frame)),
    landmarks: track.landmarks,
    stage1Rects: track.stage1,
    warnings,
  };
}
