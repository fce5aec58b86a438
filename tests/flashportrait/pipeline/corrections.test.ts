// Where the released code breaks, FlashGraph must be right (sampler README "pitfalls", ERRATA).
import { describe, expect, it } from 'vitest';
import { runFlashPortraitNode } from '../../../nodes/flashportrait/pipeline/node.ts';
import { sampleFlashPortrait } from '../../../nodes/flashportrait/pipeline/sampler.ts';
import { createScheduler } from '../../../nodes/flashportrait/pipeline/schedulers/index.ts';
import { crossFadeWindow } from '../../../nodes/flashportrait/pipeline/blend.ts';
import { LatentVideo } from '../../../nodes/flashportrait/pipeline/latent-video.ts';
import { syntheticNetworks, syntheticRequest } from './synthetic.ts';

describe('corrected behaviour where the original breaks', () => {
  for (const scheduler of ['unipc', 'dpmpp'] as const) {
    it(`${scheduler}: multi-window runs keep per-window history and stay finite (the original gives NaN)`, async () => {
      const net = syntheticNetworks({ channels: 4 });
      const result = await sampleFlashPortrait(syntheticRequest({ drivingFrames: 47, scheduler, steps: 6 }), net);
      expect(result.plan.windows.length).toBe(4);
      expect((await result.latents.materialize()).data.every(Number.isFinite)).toBe(true);
      // Denoised towards the synthetic clean latent (|target| <= 0.55), far from the unit-scale noise.
      expect(Math.max(...Array.from((await result.latents.materialize()).data, Math.abs))).toBeLessThan(0.7);
    });

    it(`${scheduler}: a single window behaves exactly like the bare solver`, async () => {
      const net = syntheticNetworks({ channels: 4 });
      const request = syntheticRequest({ drivingFrames: 9, scheduler, steps: 5 });
      const records: { noisePred: Float32Array; stepped: Float32Array }[] = [];
      await sampleFlashPortrait(request, net, { onWindowStep: (r) => records.push({ noisePred: Float32Array.from(r.noisePred), stepped: r.stepped }) });
      const solver = createScheduler({ name: scheduler, steps: 5, shift: 5 }).createSolver((request.noise as Float32Array).length);
      let x = Float32Array.from(request.noise as Float32Array);
      records.forEach((r, step) => {
        const next = new Float32Array(x.length);
        solver.step(step, r.noisePred, x, next);
        expect(Array.from(r.stepped)).toEqual(Array.from(next));
        x = next;
      });
      expect(records).toHaveLength(5);
    });
  }

  it('videos longer than one window work through the node (the released node crashes with 31 frames, cs 5)', async () => {
    const net = syntheticNetworks({ channels: 4 });
    const out = await runFlashPortraitNode({
      image: { height: 16, width: 16, data: new Float32Array(16 * 16 * 3).fill(0.5) },
      headEmotionFeatures: new Float32Array(31 * 554),
      noise: (shape) => new Float32Array(shape.channels * shape.frames * shape.height * shape.width).fill(0.1),
      latentChannels: 4, steps: 2, shift: 5, emoCfgScale: 4, textCfgScale: 1, maxSize: 16, contextSize: 5, contextOverlap: 2,
    }, net);
    expect(out.sampling.plan.windows.map((w) => w.frames)).toEqual([[0, 1, 2, 3, 4], [3, 4, 5, 6, 7]]);
    expect(out.frames).toBe(28);
    expect(net.calls).toBe(2 * 2 * 2);
  });

  it('short videos (fewer latent frames than a window) run as one window of their own length', async () => {
    const net = syntheticNetworks({ channels: 4 });
    const result = await sampleFlashPortrait(syntheticRequest({ drivingFrames: 9, contextSize: 51, contextOverlap: 30, steps: 3 }), net);
    expect(result.plan.windows.map((w) => w.frames)).toEqual([[0, 1, 2]]);
    expect((await result.latents.materialize()).data.every(Number.isFinite)).toBe(true);
  });

  it('clear errors: overlap < 2, overlap >= context size, fewer than 5 driving frames', async () => {
    const net = syntheticNetworks({ channels: 4 });
    await expect(sampleFlashPortrait(syntheticRequest({ drivingFrames: 47, contextOverlap: 1 }), net)).rejects.toThrow(/context_overlap must be at least 2/);
    await expect(sampleFlashPortrait(syntheticRequest({ drivingFrames: 47, contextOverlap: 5 }), net)).rejects.toThrow(/smaller than context_size/);
    await expect(sampleFlashPortrait(syntheticRequest({ drivingFrames: 4 }), net)).rejects.toThrow(/at least 5 driving frames/);
    expect(net.calls).toBe(0);
  });

  it('blending has no precision-dependent dtype step: float32 in, float32 out, endpoints take one window', () => {
    const video = new LatentVideo({ channels: 1, frames: 4, height: 1, width: 1 }, Float32Array.from([10, 20, 30, 40]));
    const stepped = Float32Array.from([1, 2, 3]);
    // The video's frames 1 and 2 (the window's overlap) are what earlier windows wrote there.
    crossFadeWindow(stepped, 3, 2, video.data.subarray(1, 3), 1);
    expect(Array.from(stepped)).toEqual([20, 2, 3]);
  });

  it('a negative branch works even when guidance_scale would have left the negative prompt undefined', async () => {
    const net = syntheticNetworks({ channels: 4 });
    const seen: string[] = [];
    const wrapped = { ...net, async transformer(call: Parameters<typeof net.transformer>[0]) { seen.push(`${call.branch}:${String(call.text)}`); return net.transformer(call); } };
    await sampleFlashPortrait(syntheticRequest({ drivingFrames: 9, emoCfgScale: 4, textCfgScale: 2.5, steps: 1 }), wrapped);
    expect(seen).toEqual(['posi:p', 'no_emo:p', 'no_cond:n']);
  });
});
