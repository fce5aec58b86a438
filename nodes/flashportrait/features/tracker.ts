// Multi-face tracking over consecutive frames (the original FaceModel): detected faces start new
// tracks, tracked faces are re-aligned from their previous landmarks and smoothed; small faces,
// unlikely faces and the smaller of two overlapping tracks are dropped.
import type { Detection } from './detector.ts';
import type { Alignment, AlignStart, Box } from './landmarks.ts';
import { LandmarkSmoother } from './smoother.ts';
import type { PixelImage } from './warp.ts';

const MIN_PROB = 1e-4;
const MIN_FACE = 96;
const OVERLAP_IOU = 0.12;
// Landmarks 0 and 32 are the jaw end points: their distance is the face width.
const JAW_LEFT = 0;
const JAW_RIGHT = 32;

/** Frames are RGB (the IMAGE's order); each model reorders channels itself where it needs BGR. */
export interface FaceDetectorLike {
  detect(frame: PixelImage): Promise<Detection[]>;
}

export interface FaceAlignerLike {
  align(frame: PixelImage, start: AlignStart): Promise<Alignment>;
}

export interface TrackedFace {
  /** Landmark bounding box (float32), or the seed box/rect before the first alignment. */
  rect: Box;
  /** The seed is a float rect (a previous pass's landmark box) rather than an integer detector box. */
  readonly seedIsRect: boolean;
  /** Smoothed landmarks of the last frame (interleaved x,y), null until first aligned. */
  points: Float32Array | null;
  /** Face scale used to normalise landmark motion. */
  faceSize: number;
  readonly smoother: LandmarkSmoother;
  /** 'tracked' once it has survived a frame. */
  kind: 'new' | 'tracked';
  prob: number;
}

export interface TrackerStep {
  readonly faces: readonly TrackedFace[];
  readonly detectorRan: boolean;
  readonly usedSeed: boolean;
}

export function rectArea(r: Box): number {
  return (r[2] - r[0]) * (r[3] - r[1]);
}

/** Intersection over union without the +1 pixel convention; 0 when disjoint. */
export function rectIou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (rectArea(a) + rectArea(b) - inter);
}

function landmarkRect(points: Float32Array): Box {
  let x1 = Infinity; let y1 = Infinity; let x2 = -Infinity; let y2 = -Infinity;
  for (let i = 0; i < points.length; i += 2) {
    x1 = Math.min(x1, points[i]!); x2 = Math.max(x2, points[i]!);
    y1 = Math.min(y1, points[i + 1]!); y2 = Math.max(y2, points[i + 1]!);
  }
  return [x1, y1, x2, y2];
}

export interface FaceTrackerOptions {
  /** Reproduce the original's NaN on zero motion (golden compatibility only). */
  readonly compatSmoother?: boolean;
}

export class FaceTracker {
  private faces: TrackedFace[] = [];

  constructor(private readonly detector: FaceDetectorLike, private readonly aligner: FaceAlignerLike, private readonly options: FaceTrackerOptions = {}) {}

  reset(): void { this.faces = []; }

  private fresh(rect: Box, seedIsRect: boolean): TrackedFace {
    return { rect, seedIsRect, points: null, faceSize: Math.hypot(rect[2] - rect[0], rect[3] - rect[1]), smoother: new LandmarkSmoother({ compat: this.options.compatSmoother }), kind: 'new', prob: 0 };
  }

  /**
   * One frame. `seed` (a rect from an earlier pass) starts the track when nothing is tracked;
   * otherwise, as in the original, the detector runs and every detection competes with the tracks.
   */
  async step(frame: PixelImage, seed?: Box): Promise<TrackerStep> {
    for (const f of this.faces) f.kind = 'tracked';
    let detectorRan = false; let usedSeed = false;
    if (this.faces.length === 0 && seed) {
      this.faces.push(this.fresh(seed, true));
      usedSeed = true;
    } else {
      detectorRan = true;
      for (const d of await this.detector.detect(frame)) this.faces.push(this.fresh(d.box, false));
    }
    const drop = new Set<TrackedFace>();
    for (const face of this.faces) {
      const start: AlignStart = face.points ? { points: face.points } : face.seedIsRect ? { rect: face.rect } : { box: face.rect };
      const a = await this.aligner.align(frame, start);
      face.prob = a.prob;
      if (a.prob < MIN_PROB) { drop.add(face); continue; }
      const smoothed = face.smoother.smooth(a.points, face.faceSize);
      face.points = smoothed;
      face.rect = landmarkRect(smoothed);
      const f = Math.fround;
      const jaw = f(Math.hypot(f(smoothed[JAW_LEFT * 2]! - smoothed[JAW_RIGHT * 2]!), f(smoothed[JAW_LEFT * 2 + 1]! - smoothed[JAW_RIGHT * 2 + 1]!)));
      const pitch = Math.abs(f(a.euler[0]! * f(180 / Math.PI))); const yaw = Math.abs(f(a.euler[1]! * f(180 / Math.PI)));
      face.faceSize = jaw * (1 + (pitch + 0.6 * yaw) / 18);
      if (face.rect[2] - face.rect[0] < MIN_FACE || face.rect[3] - face.rect[1] < MIN_FACE) drop.add(face);
    }
    // The original's pairwise suppression: i's own mark is only looked at before its inner loop.
    const n = this.faces.length;
    if (n > 1) {
      for (let i = 0; i < n; i++) {
        const fi = this.faces[i]!;
        if (drop.has(fi)) continue;
        for (let j = 0; j < n; j++) {
          const fj = this.faces[j]!;
          if (j === i || drop.has(fj)) continue;
          if (rectIou(fi.rect, fj.rect) > OVERLAP_IOU) drop.add(rectArea(fi.rect) < rectArea(fj.rect) ? fi : fj);
        }
      }
    }
    this.faces = this.faces.filter((f) => !drop.has(f));
    // Snapshots: the live objects keep changing on later frames.
    return { faces: this.faces.map((f) => ({ ...f })), detectorRan, usedSeed };
  }
}

/** The survivor with the largest landmark box (first of equals). */
export function largestFace(faces: readonly TrackedFace[]): TrackedFace | undefined {
  let best: TrackedFace | undefined;
  for (const f of faces) if (!best || rectArea(f.rect) > rectArea(best.rect)) best = f;
  return best;
}
