// Frame-count and resize arithmetic of the node and the upstream scripts (golden `tables`).
import { latentFramesFor, MIN_DRIVING_FRAMES } from './sampler.ts';

/** Largest n <= frames with n % 4 == 1 (the feature extractor's find_replacement). */
export function largest4kPlus1(frames: number): number {
  let n = frames;
  while (n > 1 && n % 4 !== 1) n--;
  return n;
}

/** The node's rounding of the driving-feature count to 4k+1. */
export function nodeVideoFrames(headEmotionFrames: number): number {
  return (headEmotionFrames - 1) % 4 === 0 ? headEmotionFrames : Math.floor((headEmotionFrames - 1) / 4) * 4 + 1;
}

export interface NodeFrames {
  readonly numFrames: number;
  readonly latentFrames: number;
  readonly effectiveContextSize: number;
  /** Whether the RELEASED node runs (one window only, and at least 2 latent frames). */
  readonly releasedNodeRuns: boolean;
  readonly outputFrames: number;
}

export function nodeFrames(headEmotionFrames: number, contextSize: number): NodeFrames {
  const numFrames = nodeVideoFrames(headEmotionFrames);
  const latentFrames = latentFramesFor(numFrames);
  return {
    numFrames,
    latentFrames,
    effectiveContextSize: Math.max(1, Math.min(contextSize, latentFrames)),
    releasedNodeRuns: latentFrames <= contextSize && headEmotionFrames >= MIN_DRIVING_FRAMES,
    outputFrames: numFrames - 1,
  };
}

export interface DrivingFrameCounts {
  readonly usableFrames: number;
  /** The extractor node's length rule: cs + k(cs-ov) frames, padded by repeating the last frame. */
  readonly extractorFrames: number;
  readonly extractorPadding: number;
  readonly samplerFrames: number;
  readonly samplerLatentFrames: number;
  readonly upstreamLatentFrames: number;
  /** The ComfyUI repo's infer.py: same length rule, truncation only. */
  readonly comfyInferFeatureFrames: number;
}

/** What happens to a raw driving-video frame count (cs / ov are latent settings applied to video frames, as in the original). */
export function drivingFrameCounts(rawFrames: number, contextSize: number, contextOverlap: number): DrivingFrameCounts {
  const usable = largest4kPlus1(rawFrames);
  const stride = contextSize - contextOverlap;
  const extractor = usable > contextSize ? contextSize + Math.floor((usable - contextSize) / stride) * stride : contextSize;
  const samplerFrames = nodeVideoFrames(extractor);
  return {
    usableFrames: usable,
    extractorFrames: extractor,
    extractorPadding: Math.max(0, extractor - usable),
    samplerFrames,
    samplerLatentFrames: latentFramesFor(samplerFrames),
    upstreamLatentFrames: latentFramesFor(usable),
    comfyInferFeatureFrames: Math.min(usable, extractor),
  };
}

export interface ResizeResult {
  readonly width: number;
  readonly height: number;
}

/** The node: scale the long side to max_size, truncate, floor to 16 (double arithmetic). */
export function nodeReferenceSize(width: number, height: number, maxSize: number): ResizeResult {
  const scale = maxSize / Math.max(width, height);
  return { width: Math.floor(Math.trunc(width * scale) / 16) * 16, height: Math.floor(Math.trunc(height * scale) / 16) * 16 };
}

/** infer.py / fast_infer.py: the same scale, rounded UP to 16. */
export function upstreamReferenceSize(width: number, height: number, maxSize: number): ResizeResult {
  const scale = maxSize / Math.max(width, height);
  return { width: Math.ceil(Math.trunc(width * scale) / 16) * 16, height: Math.ceil(Math.trunc(height * scale) / 16) * 16 };
}
