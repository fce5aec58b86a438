// Landmark smoothing: one One-Euro filter per facial group whose speed parameter follows the
// group's motion relative to the face size. Arithmetic is float32 like the original's numpy code.
import { LANDMARK_COUNT } from './landmarks.ts';

interface Group {
  readonly start: number;
  readonly end: number;
  /** Points whose motion decides the group's speed. */
  readonly judgedStart: number;
  readonly judgedEnd: number;
  readonly stableLimit: number;
  readonly v0: number;
  readonly v1: number;
}

const FAST_LIMIT = 0.02;
const group = (start: number, end: number, stableLimit: number, v0: number, v1: number, judged?: [number, number]): Group =>
  ({ start, end, judgedStart: judged?.[0] ?? start, judgedEnd: judged?.[1] ?? end, stableLimit, v0, v1 });

// Index ranges are half-open.
const GROUPS: readonly Group[] = [
  group(0, 33, 0.005, 0.05, 0.3, [9, 24]), // face contour: only the chin part is judged
  group(33, 48, 0.003, 0.03, 0.7), // nose
  group(48, 74, 0.003, 0.02, 0.5), // eyebrows
  group(74, 96, 0.003, 0.03, 0.7), // left eye
  group(96, 118, 0.003, 0.03, 0.7), // right eye
  group(118, 182, 0.003, 0.05, 0.7), // mouth
  group(182, 202, 0.003, 0.03, 0.7), // left pupil
  group(202, 222, 0.003, 0.03, 0.7), // right pupil
];

const f = Math.fround;

class GroupFilter {
  private dxPrev: Float32Array;
  constructor(private xPrev: Float32Array) {
    this.dxPrev = new Float32Array(xPrev.length);
  }

  /** One step with elapsed "time" = beta = v (the original's parameterisation). */
  step(x: Float32Array, v: number, compat: boolean): Float32Array {
    if (v === 0 && !compat) {
      // Zero motion: no time elapses. The original divides by zero here and turns the group into
      // NaN for the rest of the clip (README §9.3); keeping the previous output is the limit v -> 0.
      return this.xPrev.slice();
    }
    const r = 2 * Math.PI * v;
    const ad = r / (r + 1);
    const fad = f(ad); const fOneMinusAd = f(1 - ad);
    const te = f(v); const beta = f(v); const twoPi = f(2 * Math.PI);
    const out = new Float32Array(x.length);
    const dxHat = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const dx = f(f(x[i]! - this.xPrev[i]!) / te);
      const dh = f(f(fad * dx) + f(fOneMinusAd * this.dxPrev[i]!));
      const cutoff = f(1 + f(beta * Math.abs(dh)));
      const rr = f(f(twoPi * cutoff) * te);
      const a = f(rr / f(rr + 1));
      out[i] = f(f(a * x[i]!) + f(f(1 - a) * this.xPrev[i]!));
      dxHat[i] = dh;
    }
    this.xPrev = out;
    this.dxPrev = dxHat;
    return out;
  }
}

export interface SmootherOptions {
  /** Reproduce the original's NaN on zero motion (golden compatibility only). */
  readonly compat?: boolean;
}

export class LandmarkSmoother {
  private previous: Float32Array | undefined;
  private readonly filters: Array<GroupFilter | undefined> = GROUPS.map(() => undefined);
  /** Mean relative displacement per group at the last step (diagnostics). */
  lastMeanMotion: number[] = [];

  constructor(private readonly options: SmootherOptions = {}) {}

  /** Smooths 222 interleaved x,y points; `faceSize` normalises the motion (the face's scale in px). */
  smooth(points: Float32Array, faceSize: number): Float32Array {
    if (points.length !== LANDMARK_COUNT * 2) throw new Error(`smoother: expected ${LANDMARK_COUNT} points, got ${points.length / 2}`);
    if (!this.previous) {
      this.previous = points.slice();
      GROUPS.forEach((g, k) => { this.filters[k] = new GroupFilter(points.slice(g.start * 2, g.end * 2)); });
      return points.slice();
    }
    const prev = this.previous;
    const size = f(faceSize);
    const out = new Float32Array(points.length);
    this.lastMeanMotion = GROUPS.map((g, k) => {
      let sum = 0;
      for (let i = g.judgedStart; i < g.judgedEnd; i++) {
        const dx = f(points[i * 2]! - prev[i * 2]!); const dy = f(points[i * 2 + 1]! - prev[i * 2 + 1]!);
        sum += f(f(Math.sqrt(f(f(dx * dx) + f(dy * dy)))) / size);
      }
      const m = f(sum / (g.judgedEnd - g.judgedStart));
      const v = m < g.stableLimit ? (g.v0 * m) / g.stableLimit
        : m < FAST_LIMIT ? g.v0 + ((g.v1 - g.v0) * (m - g.stableLimit)) / (FAST_LIMIT - g.stableLimit)
        : g.v1;
      out.set(this.filters[k]!.step(points.slice(g.start * 2, g.end * 2), v, this.options.compat ?? false), g.start * 2);
      return m;
    });
    this.previous = out;
    return out.slice();
  }
}
