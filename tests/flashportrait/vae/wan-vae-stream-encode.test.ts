// Streaming encode (the original's chunk loop: frame 0, then 4 frames per session call, per-conv
// caches carried in and out) against the whole-sequence graph and the golden fixtures, and the
// proof that its sessions never see more than one chunk of time.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareOutputs, readGoldenCase, expectPass } from '../../helpers/golden-io.ts';
import { goldenDir } from '../../helpers/golden.ts';
import { concatAxis, createTensor, sliceAxis } from '../../../server/ml/tensor.ts';
import type { Tensor } from '../../../server/ml/tensor.ts';
import { WanVae, buildWanEncoderStep, videoChunks } from '../../../nodes/flashportrait/models/vae/index.ts';
import { StepSessions } from '../../../nodes/flashportrait/models/vae/session-factory.ts';
import { caseTiling, videoSize } from './golden-vae.ts';

const TOL = 1e-4; // the golden README's fp32 tolerance
const SAME = 1e-5; // streaming vs whole, the decoder's streaming bound
const dir = goldenDir('vae');
const vae = dir ? WanVae.open(join(dir, 'Wan2.1_VAE.pth'), { log: () => {} }) : undefined;
afterAll(async () => { await vae?.release(); });

function ramp(frames: number, h: number, w: number): Tensor {
  return createTensor('float32', [1, 3, frames, h, w], Float32Array.from({ length: 3 * frames * h * w }, (_, i) => Math.sin(i * 0.731) * 0.9));
}

describe.skipIf(!dir)('Wan VAE streaming encode', () => {
  it('equals the whole-sequence encode for the first 1, 5 and 9 frames of the golden clip (every encoder output)', async () => {
    const video = readGoldenCase('vae', 'enc')!.inputs.video!;
    const size = videoSize(video);
    for (const frames of [1, 5, 9].filter((f) => f <= size.frames)) {
      const clip = sliceAxis(video, 2, 0, frames);
      const streamed = await vae!.encodeMoments(clip, { strategy: 'streaming' });
      expect(streamed.latent.shape).toEqual([1, 16, (frames - 1) / 4 + 1, size.height / 8, size.width / 8]);
      const whole = await vae!.encodeMoments(clip);
      console.info(`${frames} frames:`);
      expectPass(compareOutputs(
        { latent: streamed.latent, mu_raw: streamed.muRaw, logvar_raw: streamed.logvarRaw, encoder_features: streamed.features },
        { latent: whole.latent, mu_raw: whole.muRaw, logvar_raw: whole.logvarRaw, encoder_features: whole.features }, SAME));
    }
  });

  it('enc: every output of the golden clip, streamed', async () => {
    const c = readGoldenCase('vae', 'enc')!;
    const m = await vae!.encodeMoments(c.inputs.video!, { strategy: 'streaming' });
    expectPass(compareOutputs({ latent: m.latent, mu_raw: m.muRaw, logvar_raw: m.logvarRaw, encoder_features: m.features }, c.outputs, TOL));
  });

  it('enc_masked: the I2V conditioning video, streamed', async () => {
    const c = readGoldenCase('vae', 'enc_masked')!;
    expectPass(compareOutputs({ latent: await vae!.encode(c.inputs.video!, { strategy: 'streaming' }) }, c.outputs, TOL));
  });

  it('enc_tiled: tiled encode with a streamed encode per tile', async () => {
    const c = readGoldenCase('vae', 'enc_tiled')!;
    expectPass(compareOutputs({ latent: await vae!.encode(c.inputs.video!, { tiling: caseTiling(c), strategy: 'streaming' }) }, c.outputs, TOL));
  });

  it('encodeFrames: one latent frame per chunk from a lazy stream, equal to the golden latent', async () => {
    const c = readGoldenCase('vae', 'enc')!;
    async function* lazily(): AsyncGenerator<Tensor> { yield* videoChunks(c.inputs.video!); }
    const latents: Tensor[] = [];
    for await (const latent of vae!.encodeFrames(lazily())) latents.push(latent);
    const [, , latentFrames, h, w] = c.outputs.latent!.shape as number[];
    expect(latents.map((t) => t.shape)).toEqual(Array(latentFrames).fill([1, 16, 1, h, w]));
    latents.forEach((latent, t) => expectPass(compareOutputs({ [`latent${t}`]: latent }, { [`latent${t}`]: sliceAxis(c.outputs.latent!, 2, t, t + 1) }, TOL)));
  });

  it('a 201-frame clip (51 chunks made lazily) streams with flat resident memory and equals the whole encode', async () => {
    const video = ramp(201, 32, 48);
    async function* lazily(): AsyncGenerator<Tensor> { yield* videoChunks(video); }
    const latents: Tensor[] = [];
    const rss: number[] = [];
    for await (const latent of vae!.encodeFrames(lazily())) {
      latents.push(latent);
      rss.push(process.memoryUsage().rss);
    }
    expect(latents.length).toBe(51);
    expect(rss[rss.length - 1]! - rss[5]!).toBeLessThan(64 * 2 ** 20);
    const whole = await vae!.encode(video, { strategy: 'whole' });
    expectPass(compareOutputs({ latent: concatAxis(latents, 2) }, { latent: whole }, SAME));
  });

  it('refuses chunks of the wrong length or size', async () => {
    const drain = async (chunks: Tensor[]): Promise<void> => { for await (const _ of vae!.encodeFrames(chunks)) { /* run */ } };
    await expect(drain([ramp(4, 32, 48)])).rejects.toThrow(/frame 0 alone.*got 4 frames where 1 belong/);
    await expect(drain([ramp(1, 32, 48), ramp(5, 32, 48)])).rejects.toThrow(/got 5 frames where 4 belong/);
    await expect(drain([ramp(1, 32, 48), ramp(4, 40, 48)])).rejects.toThrow(/one size: 32x48, then 40x48/);
    expect(() => [...videoChunks(ramp(6, 32, 48))]).toThrow(/4k\+1 frames/);
  });

  it('never holds more than one chunk of time: fixed-length inputs, caches of 1-2 frames whose shapes do not change', async () => {
    const first = buildWanEncoderStep(vae!.weights, vae!.config, true);
    const next = buildWanEncoderStep(vae!.weights, vae!.config, false);
    const videoIn = (g: typeof first.graph) => g.graphInputs.find((v) => v.name === 'video')!.shape;
    expect(videoIn(first.graph)).toEqual([1, 3, 1, 'height', 'width']);
    expect(videoIn(next.graph)).toEqual([1, 3, 4, 'height', 'width']);
    for (const step of [first, next]) {
      const inputs = step.graph.graphInputs.filter((v) => v.name !== 'video');
      const slotNames = new Set(step.caches.map((s) => s.inputName));
      for (const v of inputs) {
        expect(slotNames.has(v.name), v.name).toBe(true);
        const slot = step.caches.find((s) => s.inputName === v.name)!;
        expect(v.shape).toEqual([1, slot.channels, slot.frames, `h_${slot.key}`, `w_${slot.key}`]);
        expect([1, 2]).toContain(slot.frames);
      }
      // Every cache is written by both graphs' counterparts: the first writes all the next one reads.
      expect(new Set(step.graph.graphOutputs.map((o) => o.name))).toEqual(new Set(['latent', 'mu_raw', 'logvar_raw', 'encoder_features', ...step.caches.map((s) => s.outputName)]));
    }
    expect(new Set(first.caches.map((s) => s.key))).toEqual(new Set(next.caches.map((s) => s.key)));
    // The causal convs keep 2 frames; only the two downsample3d time convs keep 1.
    expect(next.caches.filter((s) => s.frames === 1).map((s) => s.key)).toEqual(['encoder.downsamples.5.time_conv', 'encoder.downsamples.8.time_conv']);

    // Run 6 chunks (21 frames) by hand: each call's cache_out has its cache_in's shape, so any clip
    // length runs on the same tensors.
    const steps = new StepSessions((isFirst) => buildWanEncoderStep(vae!.weights, vae!.config, isFirst), { log: () => {} });
    const expected = new Map(steps.caches.map((s) => [s.outputName, [1, s.channels, s.frames, 32 * s.spatialScale, 48 * s.spatialScale]]));
    let calls = 0;
    for await (const out of steps.run('video', videoChunks(ramp(21, 32, 48)), () => [32, 48])) {
      calls++;
      expect(out.latent!.shape).toEqual([1, 16, 1, 4, 6]);
      const caches = Object.entries(out).filter(([name]) => name.startsWith('cache_out.'));
      expect(caches.length).toBe(expected.size);
      for (const [name, t] of caches) expect(t.shape, name).toEqual(expected.get(name));
    }
    expect(calls).toBe(6);
    await steps.release();
  });
});
