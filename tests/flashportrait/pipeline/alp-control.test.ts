import { describe, expect, it } from 'vitest';
import { ALP_PAPER_DEFAULTS, LatentForecaster } from '../../../nodes/flashportrait/pipeline/alp.ts';
import type { AlpOptions } from '../../../nodes/flashportrait/pipeline/alp.ts';
import { plannedDitCalls, sampleFlashPortrait } from '../../../nodes/flashportrait/pipeline/sampler.ts';
import { syntheticNetworks, syntheticRequest } from './synthetic.ts';

/**
 * Max forecast error over the K-1 skipped steps after `fullSteps` full steps, with the trajectory
 * anchored so the last full step sits at x = 0.6 whatever the spacing h (so shrinking h probes the
 * same point of the curve).
 */
function forecastError(f: (x: number) => number, h: number, options: AlpOptions, fullSteps: number): number {
  const K = options.interval;
  const last = (fullSteps - 1) * K;
  const at = (step: number): number => f(0.6 + (step - last) * h);
  const forecaster = new LatentForecaster({ ...options, alpha: 0 }, [1]);
  for (let j = 0; j < fullSteps; j++) forecaster.record(j * K, [Float32Array.of(at(j * K))]);
  let worst = 0;
  const out = [new Float32Array(1)];
  for (let k = 1; k < K; k++) {
    forecaster.forecast(last + k, out);
    worst = Math.max(worst, Math.abs(out[0]![0]! - at(last + k)));
  }
  return worst;
}

describe('Adaptive Latent Prediction', () => {
  // exp has no vanishing derivative near the anchor, so every order is in its asymptotic regime;
  // float32 storage (~1e-7) stays far below the errors measured.
  const smooth = Math.exp;

  it('newton forecast: error falls with order, and halving the spacing divides it by ~2^(n+1)', () => {
    const errors = [0, 1, 2, 3].map((order) => forecastError(smooth, 0.01, { interval: 5, order, alpha: 0, forecast: 'newton' }, 4));
    for (let n = 1; n < 4; n++) expect(errors[n]!).toBeLessThan(errors[n - 1]!);
    for (const order of [0, 1, 2]) {
      const coarse = forecastError(smooth, 0.02, { interval: 5, order, alpha: 0, forecast: 'newton' }, 4);
      const fine = forecastError(smooth, 0.01, { interval: 5, order, alpha: 0, forecast: 'newton' }, 4);
      const rate = Math.log2(coarse / fine);
      expect(rate).toBeGreaterThan(order + 1 - 0.5);
      expect(rate).toBeLessThan(order + 1 + 0.7);
    }
  });

  it("taylor forecast (the paper's formula): error falls with order (tenfold from 0 to 1) it is second-order accurate", () => {
    const errors = [0, 1, 2, 3].map((order) => forecastError(smooth, 0.01, { interval: 5, order, alpha: 0, forecast: 'taylor' }, 4));
    expect(errors[1]!).toBeLessThan(errors[0]! / 10);
    for (let n = 2; n < 4; n++) expect(errors[n]!).toBeLessThan(errors[n - 1]!);
    const rate = Math.log2(forecastError(smooth, 0.02, { interval: 5, order: 3, alpha: 0 }, 4) / forecastError(smooth, 0.01, { interval: 5, order: 3, alpha: 0 }, 4));
    expect(rate).toBeGreaterThan(1.5);
    expect(rate).toBeLessThan(2.7);
  });

  it('variation-rate scaling damps the extrapolation when the latest change is above average', () => {
    const forecaster = new LatentForecaster({ interval: 2, order: 1, alpha: 1.5 }, [1]);
    forecaster.record(0, [Float32Array.of(0)]);
    forecaster.record(2, [Float32Array.of(1)]);
    forecaster.record(4, [Float32Array.of(4)]); // rates 0.5 then 1.5: s = (1.5 / 1)^1.5
    const out = [new Float32Array(1)];
    forecaster.forecast(5, out);
    expect(out[0]![0]!).toBeCloseTo(4 + (3 * 0.5) / 1.5 ** 1.5, 5);
  });

  it('cross-layer ratio damps the layer with above-average differences', () => {
    const forecaster = new LatentForecaster({ interval: 1, order: 1, alpha: 0 }, [1, 1]);
    forecaster.record(0, [Float32Array.of(0), Float32Array.of(0)]);
    forecaster.record(1, [Float32Array.of(3), Float32Array.of(1)]);
    const out = [new Float32Array(1), new Float32Array(1)];
    forecaster.forecast(2, out);
    // mean |Δ| = 2: r = 1.5 and 0.5
    expect(out[0]![0]!).toBeCloseTo(3 + 3 / Math.sqrt(1.5), 5);
    expect(out[1]![0]!).toBeCloseTo(1 + 1 / Math.sqrt(0.5), 5);
  });

  it('K = 1 on the loop equals the plain loop exactly', async () => {
    const plainNet = syntheticNetworks({ channels: 4 });
    const alpNet = syntheticNetworks({ channels: 4 });
    const plain = await sampleFlashPortrait(syntheticRequest({ drivingFrames: 47, steps: 8, textCfgScale: 2 }), plainNet);
    const alp = await sampleFlashPortrait(syntheticRequest({ drivingFrames: 47, steps: 8, textCfgScale: 2, alp: { ...ALP_PAPER_DEFAULTS, interval: 1 } }), alpNet);
    expect(Array.from((await alp.latents.materialize()).data)).toEqual(Array.from((await plain.latents.materialize()).data));
    expect(alpNet.calls).toBe(plainNet.calls);
  });

  it('the number of DiT calls equals the schedule prediction, and the result stays close to the plain loop', async () => {
    for (const interval of [2, 3, 5]) {
      const net = syntheticNetworks({ channels: 4 });
      const result = await sampleFlashPortrait(syntheticRequest({ drivingFrames: 47, steps: 12, alp: { ...ALP_PAPER_DEFAULTS, interval } }), net);
      const expected = plannedDitCalls(12, 4, 2, { ...ALP_PAPER_DEFAULTS, interval });
      expect(expected).toBe(Math.ceil(12 / interval) * 4 * 2);
      expect(net.calls).toBe(expected);
      expect(result.ditCalls).toBe(expected);
      expect((await result.latents.materialize()).data.every(Number.isFinite)).toBe(true);
    }
  });
});

describe('progress, abort and preview', () => {
  it('onProgress once per DiT call up to steps x windows x branches; preview bytes of the first latent frame per step', async () => {
    const net = syntheticNetworks({ channels: 16 });
    const progress: [number, number][] = [];
    const previews: number[] = [];
    await sampleFlashPortrait(syntheticRequest({ drivingFrames: 47, steps: 3, latentChannels: 16 }), net, {
      onProgress: (v, m) => progress.push([v, m]),
      // The node shows the first latent frame only: the preview costs one frame, whatever the clip.
      onPreview: (p) => { previews.push(p.step); expect([p.frames, p.rgb.length]).toEqual([1, 2 * 2 * 3]); },
    });
    expect(progress).toEqual(Array.from({ length: 24 }, (_, i) => [i + 1, 24]));
    expect(previews).toEqual([0, 1, 2]);
  });

  it('an aborted signal stops before the next DiT call', async () => {
    const net = syntheticNetworks({ channels: 4 });
    const controller = new AbortController();
    await expect(sampleFlashPortrait(syntheticRequest({ drivingFrames: 47, steps: 3 }), net, {
      onProgress: (v) => { if (v === 5) controller.abort(new Error('stop requested')); },
      signal: controller.signal,
    })).rejects.toThrow('stop requested');
    expect(net.calls).toBe(5);
  });
});
