// How many driving frames are analysed and how many head_emo rows the node returns. The original
// node's arithmetic is kept (golden `frame_count`); what it got wrong is reported or rejected here.

/** Largest n <= count with n % 4 == 1 (the Wan VAE's 4k+1 frame rule); 0 for 0 frames. */
export function findReplacement(count: number): number {
  if (count <= 0) return 0;
  return count - ((count - 1) % 4);
}

/** Python's `//` on integers. */
function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

export interface FramePlanOptions {
  /**
   * Reproduce the original exactly: overlap >= context size is accepted (stride 0 divides by zero
   * only when there are more frames than the context; negative strides use floor division).
   */
  readonly compat?: boolean;
}

export interface FramePlan {
  readonly inputFrames: number;
  /** Frames analysed: the first findReplacement(inputFrames). */
  readonly usedFrames: number;
  readonly stride: number;
  /** Rows of head_emo returned (the node's `total_frames`). */
  readonly finalFrames: number;
  /** Human-readable notes for the caller to surface, e.g. when rows are padded past the input. */
  readonly warnings: readonly string[];
}

export class FramePlanError extends Error {}

export function planFrames(inputFrames: number, contextSize: number, contextOverlap: number, options: FramePlanOptions = {}): FramePlan {
  if (!Number.isInteger(inputFrames) || inputFrames < 0) throw new FramePlanError(`frame count must be a non-negative integer, got ${inputFrames}`);
  if (!Number.isInteger(contextSize) || contextSize < 1) throw new FramePlanError(`context_size must be a positive integer, got ${contextSize}`);
  if (!Number.isInteger(contextOverlap) || contextOverlap < 0) throw new FramePlanError(`context_overlap must be a non-negative integer, got ${contextOverlap}`);
  const usedFrames = findReplacement(inputFrames);
  const stride = contextSize - contextOverlap;
  if (usedFrames === 0) throw new FramePlanError('the driving video has no frames');
  if (!options.compat && stride <= 0) {
    throw new FramePlanError(`context_overlap (${contextOverlap}) must be smaller than context_size (${contextSize}): the sliding windows would not advance`);
  }
  if (stride === 0 && usedFrames > contextSize) {
    throw new FramePlanError(`context_overlap (${contextOverlap}) equals context_size (${contextSize}): division by zero in the window arithmetic`);
  }
  const finalFrames = usedFrames > contextSize ? contextSize + floorDiv(usedFrames - contextSize, stride) * stride : contextSize;
  const warnings: string[] = [];
  if (usedFrames < inputFrames) warnings.push(`using the first ${usedFrames} of ${inputFrames} driving frames (4k+1 frames are needed)`);
  if (finalFrames > usedFrames) warnings.push(`the driving video has ${usedFrames} usable frames, fewer than the ${finalFrames} the windows need: the last feature row is repeated ${finalFrames - usedFrames} times`);
  else if (finalFrames < usedFrames) warnings.push(`the last ${usedFrames - finalFrames} driving frames do not fill a whole window and are dropped`);
  return { inputFrames, usedFrames, stride, finalFrames, warnings };
}

/**
 * Which feature row each output row copies: rows in order, then the last row repeated, truncated to
 * `finalFrames` (the original pads with copies of its last row).
 */
export function outputRowSources(featureRows: number, finalFrames: number): number[] {
  if (featureRows < 1) throw new FramePlanError('no feature rows to pad');
  return Array.from({ length: finalFrames }, (_, i) => Math.min(i, featureRows - 1));
}
