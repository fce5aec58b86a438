// A 201-frame decode at the tiny widths: streaming one latent frame per call gives the whole pass's
// frames while holding only the carried caches (resident memory stays flat after warm-up).
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareOutputs } from '../../helpers/golden-io.ts';
import { goldenDir } from '../../helpers/golden.ts';
import { createTensor, sliceAxis } from '../../../server/ml/tensor.ts';
import type { Tensor } from '../../../server/ml/tensor.ts';
import { WanVae, videoFramesFor } from '../../../nodes/flashportrait/models/vae/index.ts';

const dir = goldenDir('vae');
const vae = dir ? WanVae.open(join(dir, 'Wan2.1_VAE.pth'), { log: () => {} }) : undefined;
afterAll(async () => { await vae?.release(); });

const LATENT_FRAMES = 51; // 201 video frames, FlashPortrait's default clip
const H = 4;
const W = 6;

function gaussianLatents(seed: number): Tensor {
  let s = seed >>> 0;
  const uniform = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s + 0.5) / 2 ** 32; };
  const data = new Float32Array(16 * LATENT_FRAMES * H * W);
  for (let i = 0; i < data.length; i++) data[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return createTensor('float32', [1, 16, LATENT_FRAMES, H, W], data);
}

describe.skipIf(!dir)('Wan VAE streaming decode of a 201-frame clip (tiny widths)', () => {
  it('equals the whole-sequence decode frame for frame, with flat resident memory', async () => {
    const latents = gaussianLatents(7);
    async function* lazily(): AsyncGenerator<Tensor> {
      for (let t = 0; t < LATENT_FRAMES; t++) yield sliceAxis(latents, 2, t, t + 1);
    }
    const frames: Tensor[] = [];
    const rss: number[] = [];
    for await (const chunk of vae!.decodeFrames(lazily())) {
      frames.push(chunk);
      rss.push(process.memoryUsage().rss);
    }
    expect(frames.reduce((n, f) => n + f.shape[2]!, 0)).toBe(videoFramesFor(LATENT_FRAMES));
    expect(videoFramesFor(LATENT_FRAMES)).toBe(201);
    // After a few warm-up steps the process grows only by the frames kept here (~74 KB per step).
    const growth = rss[rss.length - 1]! - rss[5]!;
    expect(growth).toBeLessThan(64 * 2 ** 20);

    const whole = await vae!.decode(latents, { strategy: 'whole' });
    let at = 0;
    for (const chunk of frames) {
      const n = chunk.shape[2]!;
      const report = compareOutputs({ frames: chunk }, { frames: sliceAxis(whole, 2, at, at + n) }, 1e-5);
      expect(report.pass, `video frames ${at}..${at + n - 1}: ${report.text}`).toBe(true);
      at += n;
    }
  });
});
