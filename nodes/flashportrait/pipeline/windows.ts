// Sliding context windows over latent frames.
//
// `releasedWindowTable` reproduces WanI2VLongPipeline's statements exactly, pathologies included
// (negative or zero `step`, wrapped windows, the blend's division by zero), so it can be compared
// with the golden table. `planWindows` is what FlashGraph runs: the same windows wherever the
// original works, and a clear error or a sane single window where it does not.

export interface WindowBlendInfo {
  readonly overlap_len?: number;
  readonly prev_frames_equal_cur_frames?: boolean;
  readonly error?: string;
}

export interface ReleasedWindowRow {
  readonly context_step: number;
  readonly windows: number[][];
  readonly num_windows: number;
  readonly emo_frame_ranges: [number, number][];
  readonly blend: WindowBlendInfo[];
  readonly all_windows_len_eq_context_size: boolean;
  readonly covers_all_frames: boolean;
  readonly has_wrapped_or_repeated_window: boolean;
}

const pyMod = (a: number, n: number): number => ((a % n) + n) % n;

/** The context_scheduler windows before the last one is re-anchored. */
function uniformWindows(length: number, contextSize: number, overlap: number): number[][] {
  if (length <= contextSize) return [Array.from({ length }, (_, i) => i)];
  const stride = contextSize - overlap;
  if (stride <= 0) throw new Error(`context_overlap ${overlap} must be smaller than context_size ${contextSize}`);
  const windows: number[][] = [];
  for (let start = 0; start < length - overlap; start += stride) {
    windows.push(Array.from({ length: contextSize }, (_, k) => (start + k) % length));
  }
  return windows;
}

/** Python's `range(start, stop, step)`. */
function pyRange(start: number, stop: number, step: number): number[] {
  if (step === 0) throw new Error('ValueError: range() arg 3 must not be zero');
  const out: number[] = [];
  if (step > 0) for (let v = start; v < stop; v += step) out.push(v);
  else for (let v = start; v > stop; v += step) out.push(v);
  return out;
}

/** Overlap of window `cur` with the window before it, as the blend computes it. */
export function windowOverlap(prev: readonly number[], cur: readonly number[]): number {
  const seen = new Set(prev);
  return new Set(cur.filter((f) => seen.has(f))).size;
}

/** The released pipeline's windows, emotion slices and blend bookkeeping (throws the Python error). */
export function releasedWindowTable(length: number, contextSize: number, overlap: number): ReleasedWindowRow {
  const windows = uniformWindows(length, contextSize, overlap);
  const step = Math.min(1, Math.ceil(Math.log2(length / contextSize)) + 1);
  windows[windows.length - 1] = pyRange(length - contextSize * step, length, step).map((e) => pyMod(e, length));
  const blend: WindowBlendInfo[] = [];
  for (let w = 1; w < windows.length; w++) {
    const prev = windows[w - 1]!;
    const cur = windows[w]!;
    const n = windowOverlap(prev, cur);
    if (n === 1) {
      blend.push({ error: 'ZeroDivisionError: division by zero' });
      continue;
    }
    const tail = prev.slice(prev.length - n);
    blend.push({ overlap_len: n, prev_frames_equal_cur_frames: tail.every((f, i) => f === cur[i]) });
  }
  const covered = new Set(windows.flat());
  return {
    context_step: step,
    windows,
    num_windows: windows.length,
    emo_frame_ranges: windows.map((w) => [4 * w[0]!, 4 * w[w.length - 1]! + 1]),
    blend,
    all_windows_len_eq_context_size: windows.every((w) => w.length === contextSize),
    covers_all_frames: Array.from({ length }, (_, i) => i).every((i) => covered.has(i)),
    has_wrapped_or_repeated_window: windows.some((w) => w.some((f, i) => i > 0 && f !== w[i - 1]! + 1)),
  };
}

export interface ContextWindow {
  /** Latent frame indices, consecutive and ascending. */
  readonly frames: readonly number[];
  /** Frames shared with the previous window (0 for the first): the blend length. */
  readonly overlap: number;
  /** Video-frame slice [start, end) of the driving features for this window. */
  readonly emotionFrames: readonly [number, number];
}

export interface WindowPlan {
  /** Frames per window: min(contextSize, latent frames). */
  readonly contextSize: number;
  readonly windows: readonly ContextWindow[];
}

/**
 * Windows for `latentFrames` latent frames. Equal to the released pipeline / node wherever those
 * work; a video shorter than a window gets one window of its own length (the node's clamp).
 */
export function planWindows(latentFrames: number, contextSize: number, contextOverlap: number): WindowPlan {
  for (const [name, v] of [['latent frame count', latentFrames], ['context_size', contextSize], ['context_overlap', contextOverlap]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer, got ${v}`);
  }
  if (latentFrames < 1) throw new Error('the video needs at least one latent frame');
  if (contextOverlap < 2) {
    throw new Error(`context_overlap must be at least 2 (got ${contextOverlap}): the cross-fade weights j/(overlap-1) need two frames`);
  }
  if (contextOverlap >= contextSize) {
    throw new Error(`context_overlap (${contextOverlap}) must be smaller than context_size (${contextSize}), or the windows never advance`);
  }
  const size = Math.min(contextSize, latentFrames);
  const frameLists = uniformWindows(latentFrames, size, contextOverlap);
  // Re-anchor the last window to end at the final frame (its overlap usually grows).
  frameLists[frameLists.length - 1] = Array.from({ length: size }, (_, k) => latentFrames - size + k);
  const windows = frameLists.map((frames, w) => ({
    frames,
    overlap: w === 0 ? 0 : windowOverlap(frameLists[w - 1]!, frames),
    emotionFrames: [4 * frames[0]!, 4 * frames[frames.length - 1]! + 1] as const,
  }));
  return { contextSize: size, windows };
}
