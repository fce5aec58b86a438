// The two tables the original computes in float64 before casting: the timestep sinusoid and the
// 3-D rotary angles. They are made here on the host, in float64, and fed to the graph in float32:
// float32 angles (t up to 1000, positions up to ~80) would drift by ~1e-5 rad and show in the output.
import { createTensor } from '../../../../server/ml/index.ts';
import type { Tensor } from '../../../../server/ml/index.ts';
import { headDim, ropePairSplit } from './config.ts';
import type { DitConfig } from './config.ts';

/** [1, freqDim]: cos(t*w_j) then sin(t*w_j), w_j = 10000^(-j/half) (cos first, as Wan does). */
export function timestepSinusoid(t: number, freqDim: number): Tensor {
  const half = freqDim / 2;
  const out = new Float32Array(freqDim);
  for (let j = 0; j < half; j++) {
    const angle = t * Math.pow(10000, -j / half);
    out[j] = Math.cos(angle);
    out[half + j] = Math.sin(angle);
  }
  return createTensor('float32', [1, freqDim], out);
}

export interface RopeTables {
  /** [L, headDim/2] each, token order (f, h, w) row-major. */
  readonly cos: Tensor;
  readonly sin: Tensor;
}

/**
 * Angles per token and complex pair for a window of f x h x w patches (positions restart at 0 in
 * each window). Each axis group has its own frequency ladder built with the group's own width:
 * angle = p / 10000^(2j / width), width = 2 * (pairs of the group).
 */
export function ropeTables(c: DitConfig, f: number, h: number, w: number): RopeTables {
  const pairs = headDim(c) / 2;
  const [pf, ph, pw] = ropePairSplit(c);
  const ladder = (n: number): Float64Array => Float64Array.from({ length: n }, (_, j) => 1 / Math.pow(10000, (2 * j) / (2 * n)));
  const groups: ReadonlyArray<{ freqs: Float64Array; axis: 0 | 1 | 2 }> = [
    { freqs: ladder(pf), axis: 0 },
    { freqs: ladder(ph), axis: 1 },
    { freqs: ladder(pw), axis: 2 },
  ];
  const L = f * h * w;
  const cos = new Float32Array(L * pairs);
  const sin = new Float32Array(L * pairs);
  for (let fi = 0; fi < f; fi++) for (let hi = 0; hi < h; hi++) for (let wi = 0; wi < w; wi++) {
    const token = (fi * h + hi) * w + wi;
    const pos = [fi, hi, wi] as const;
    let pair = 0;
    for (const g of groups) {
      for (const freq of g.freqs) {
        const angle = pos[g.axis] * freq;
        cos[token * pairs + pair] = Math.cos(angle);
        sin[token * pairs + pair] = Math.sin(angle);
        pair++;
      }
    }
  }
  return { cos: createTensor('float32', [L, pairs], cos), sin: createTensor('float32', [L, pairs], sin) };
}
