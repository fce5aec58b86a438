// Landmarks for a driving video in the original's two passes: pass 1 finds which frames hold a
// face (and its box); pass 2 re-tracks only those frames, seeded with pass 1's box, and keeps the
// smoothed landmarks of the largest face.
import type { Box } from './landmarks.ts';
import { FaceTracker, largestFace } from './tracker.ts';
import type { FaceAlignerLike, FaceDetectorLike, TrackerStep } from './tracker.ts';
import type { PixelImage } from './warp.ts';

/**
 * Frames in order as RGB images (the IMAGE's own bytes, no conversion); `only` restricts which
 * indices are produced (others are skipped). A frame is only used until the next one is requested.
 */
export type FrameStream = (only?: ReadonlySet<number>) => AsyncIterable<readonly [number, PixelImage]>;

export interface FaceTrackResult {
  /** Frames whose face survived pass 2, ascending. */
  readonly frameIndices: readonly number[];
  /** Smoothed 222-point landmarks (interleaved x,y) per entry of frameIndices. */
  readonly landmarks: readonly Float32Array[];
  /** Pass-1 rect per frame that had a face in pass 1. */
  readonly stage1: ReadonlyMap<number, Box>;
  /** Per-frame tracker log of both passes (for diagnostics). */
  readonly log: { readonly stage1: TrackerStep[]; readonly stage2: TrackerStep[] };
}

export interface FaceTrackOptions {
  readonly signal?: AbortSignal;
  /** Called after each frame of each pass; `total` is the number of frames that pass visits. */
  readonly onFrame?: (pass: 1 | 2, done: number, total: number | undefined) => void;
  readonly compatSmoother?: boolean;
}

export async function trackFaces(frames: FrameStream, detector: FaceDetectorLike, aligner: FaceAlignerLike, options: FaceTrackOptions = {}): Promise<FaceTrackResult> {
  const tracker = new FaceTracker(detector, aligner, { compatSmoother: options.compatSmoother });
  const stage1 = new Map<number, Box>();
  const log = { stage1: [] as TrackerStep[], stage2: [] as TrackerStep[] };
  let done = 0;
  for await (const [index, frame] of frames()) {
    options.signal?.throwIfAborted();
    const step = await tracker.step(frame);
    log.stage1.push(step);
    const face = largestFace(step.faces);
    if (face) stage1.set(index, [...face.rect] as unknown as Box);
    options.onFrame?.(1, ++done, undefined);
  }
  tracker.reset();
  const frameIndices: number[] = [];
  const landmarks: Float32Array[] = [];
  done = 0;
  for await (const [index, frame] of frames(new Set(stage1.keys()))) {
    options.signal?.throwIfAborted();
    const step = await tracker.step(frame, stage1.get(index));
    log.stage2.push(step);
    const face = largestFace(step.faces);
    if (face?.points) {
      frameIndices.push(index);
      landmarks.push(face.points.slice());
    }
    options.onFrame?.(2, ++done, stage1.size);
  }
  return { frameIndices, landmarks, stage1, log };
}
