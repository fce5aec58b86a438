// Adaptive Latent Prediction (FlashPortrait paper, not in the released code; see
// shared/specs/adaptive-latent-prediction.md). The DiT runs fully every `interval` (K) steps; the
// steps in between are forecast from finite differences of the fully computed features, up to
// `order` (n), with two adaptive scalings: the temporal variation rate s = (sigma/sigma_avg)^alpha
// and the cross-layer derivative-magnitude ratio r (per layer and order).

import { freshBuffers } from './schedulers/types.ts';
import type { BufferAllocator } from './schedulers/types.ts';

export interface AlpOptions {
  /** K: a full DiT evaluation every K steps (1 = no prediction). */
  readonly interval: number;
  /** n: highest finite-difference order. */
  readonly order: number;
  /** Exponent of the variation-rate scaling (0 disables it). */
  readonly alpha: number;
  /**
   * 'taylor' (the paper): term i is Δⁱ·(k/K)ⁱ/i!, i.e. Δⁱ/Kⁱ taken as the i-th derivative at the last
   * full step; accurate to O(h²) whatever n. 'newton': the backward-difference (Newton) polynomial
   * through the last n+1 full steps, exact for polynomials of degree <= n, error O(h^(n+1)).
   */
  readonly forecast?: 'taylor' | 'newton';
  /** Apply the cross-layer ratio scaling (only meaningful with several layers). */
  readonly layerRatio?: boolean;
}

/** The paper's defaults (K = 5, n = 3, alpha = 1.5). */
export const ALP_PAPER_DEFAULTS: AlpOptions = { interval: 5, order: 3, alpha: 1.5, forecast: 'taylor', layerRatio: true };

export function validateAlp(options: AlpOptions): void {
  if (!Number.isInteger(options.interval) || options.interval < 1) throw new Error(`ALP interval K must be an integer >= 1, got ${options.interval}`);
  if (!Number.isInteger(options.order) || options.order < 0) throw new Error(`ALP order n must be an integer >= 0, got ${options.order}`);
  if (!(options.alpha >= 0)) throw new Error(`ALP alpha must be >= 0, got ${options.alpha}`);
}

/** Whether step `step` runs the DiT. Full steps are 0, K, 2K, … so differences are evenly spaced. */
export function isFullStep(step: number, interval: number): boolean {
  return step % interval === 0;
}

/** DiT evaluations per trajectory (one window, one CFG branch) over `steps` steps. */
export function fullStepCount(steps: number, interval: number): number {
  return Math.ceil(steps / interval);
}

/** Coefficient of the order-i difference for a forecast `fraction` = k/K of an interval ahead. */
function termCoefficient(kind: 'taylor' | 'newton', i: number, fraction: number): number {
  let c = 1;
  for (let j = 0; j < i; j++) c *= (kind === 'taylor' ? fraction : fraction + j) / (j + 1);
  return c;
}

function meanAbs(a: Float32Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += Math.abs(a[k]!);
  return a.length === 0 ? 0 : s / a.length;
}

/**
 * The forecast state of one trajectory (one window and CFG branch) over one or more feature
 * tensors ("layers"). Memory: (n + 1) buffers per layer.
 */
export class LatentForecaster {
  /** differences[l][i] = ∇ⁱ f_l at the last full step (backward differences with spacing K). */
  private readonly differences: Float32Array[][];
  private fullSteps = 0;
  private lastFullStep = -1;
  private variationSum = 0;
  private variationCount = 0;
  private variationNow = 0;
  private readonly kind: 'taylor' | 'newton';

  constructor(private readonly options: AlpOptions, layerSizes: readonly number[], alloc: BufferAllocator = freshBuffers) {
    validateAlp(options);
    this.kind = options.forecast ?? 'taylor';
    this.differences = layerSizes.map((size) => Array.from({ length: options.order + 1 }, () => alloc(size)));
  }

  /** Highest difference order available now. */
  get availableOrder(): number {
    return Math.min(this.options.order, this.fullSteps - 1);
  }

  /** Records the features of a full step (steps must be K apart). */
  record(step: number, layers: readonly Float32Array[]): void {
    if (this.lastFullStep >= 0 && step - this.lastFullStep !== this.options.interval) {
      throw new Error(`ALP full steps must be ${this.options.interval} apart (got ${this.lastFullStep} then ${step})`);
    }
    const depth = Math.min(this.options.order, this.fullSteps);
    layers.forEach((f, l) => {
      const diffs = this.differences[l]!;
      if (f.length !== diffs[0]!.length) throw new Error(`ALP layer ${l}: ${f.length} values, expected ${diffs[0]!.length}`);
      for (let k = 0; k < f.length; k++) {
        // new ∇⁰ = f; new ∇ⁱ = new ∇ⁱ⁻¹ - old ∇ⁱ⁻¹
        let carry = f[k]!;
        for (let i = 0; i <= depth; i++) {
          const old = diffs[i]![k]!;
          diffs[i]![k] = carry;
          carry -= old;
        }
      }
    });
    this.fullSteps++;
    this.lastFullStep = step;
    if (this.availableOrder >= 1) {
      // Variation rate: mean |df/dstep| over all layers at this full step.
      let total = 0;
      for (const diffs of this.differences) total += meanAbs(diffs[1]!);
      this.variationNow = total / this.differences.length / this.options.interval;
      this.variationSum += this.variationNow;
      this.variationCount++;
    }
  }

  /** s = (sigma / sigma_avg)^alpha; 1 until a variation rate exists. */
  variationScale(): number {
    if (this.variationCount === 0 || this.options.alpha === 0) return 1;
    const average = this.variationSum / this.variationCount;
    if (!(average > 0)) return 1;
    return (this.variationNow / average) ** this.options.alpha;
  }

  /**
   * Per layer and order, the damping 1/sqrt(r) with r = E|∇ⁱf_l| / mean over layers. The spec's
   * prose (layers with above-average derivatives get their extrapolation reduced) is what is
   * implemented; with one layer r = 1.
   */
  private layerScale(layer: number, order: number): number {
    if (!(this.options.layerRatio ?? true) || this.differences.length < 2) return 1;
    const magnitudes = this.differences.map((d) => meanAbs(d[order]!));
    const average = magnitudes.reduce((a, b) => a + b, 0) / magnitudes.length;
    if (!(average > 0) || !(magnitudes[layer]! > 0)) return 1;
    return 1 / Math.sqrt(magnitudes[layer]! / average);
  }

  /** Writes the forecast of the features at `step` (> last full step) into `out`. */
  forecast(step: number, out: readonly Float32Array[]): void {
    if (this.fullSteps === 0) throw new Error('ALP cannot forecast before a full step');
    const ahead = step - this.lastFullStep;
    if (ahead <= 0) throw new Error(`ALP forecast for step ${step} is not after the last full step ${this.lastFullStep}`);
    const fraction = ahead / this.options.interval;
    const order = this.availableOrder;
    const s = this.variationScale();
    out.forEach((target, l) => {
      const diffs = this.differences[l]!;
      target.set(diffs[0]!);
      for (let i = 1; i <= order; i++) {
        const c = (termCoefficient(this.kind, i, fraction) * this.layerScale(l, i)) / s;
        const d = diffs[i]!;
        for (let k = 0; k < target.length; k++) target[k] = Math.fround(target[k]! + c * d[k]!);
      }
    });
  }
}
