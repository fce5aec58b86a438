// Wan VAE decode on the CPU at the golden's tiny widths: frames/s of the whole-sequence graph vs
// streaming one latent frame per call, and the real model's analytic FLOPs per frame.
// Run: node --import tsx bench/flashportrait-vae.bench.ts  (needs ../shared/golden/vae)
import { join } from 'node:path';
import { GOLDEN_ROOT } from '../tests/helpers/golden.ts';
import { createTensor } from '../server/ml/tensor.ts';
import { WAN_VAE_REAL, WanVae, videoFramesFor } from '../nodes/flashportrait/models/vae/index.ts';
import { wanDecoderFlopsPerFrame } from '../nodes/flashportrait/models/vae/flops.ts';

const LATENT_FRAMES = 21; // 81 video frames
const H = 8;
const W = 12; // 64 x 96 pixels
const REPEATS = 3;

const vae = WanVae.open(join(GOLDEN_ROOT, 'vae', 'Wan2.1_VAE.pth'), { log: () => {} });
const latents = createTensor('float32', [1, 16, LATENT_FRAMES, H, W], Float32Array.from({ length: 16 * LATENT_FRAMES * H * W }, (_, i) => Math.sin(i * 0.37)));
const frames = videoFramesFor(LATENT_FRAMES);

async function measure(strategy: 'whole' | 'streaming'): Promise<number> {
  await vae.decode(createTensor('float32', [1, 16, 2, H, W]), { strategy }); // session creation + warm-up
  let best = Infinity;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    await vae.decode(latents, { strategy });
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

console.log(`Wan VAE decode, tiny widths (dim ${vae.config.dim}), ${frames} frames at ${8 * H}x${8 * W}, CPU, best of ${REPEATS}`);
for (const strategy of ['whole', 'streaming'] as const) {
  const ms = await measure(strategy);
  console.log(`  ${strategy.padEnd(9)} ${ms.toFixed(0).padStart(6)} ms  ${(frames / (ms / 1000)).toFixed(1).padStart(7)} frames/s`);
}
for (const [h, w] of [[480, 832], [720, 1280]] as const) {
  const gflops = wanDecoderFlopsPerFrame(WAN_VAE_REAL, h, w) / 1e9;
  console.log(`real decoder (dim 96) at ${h}x${w}: ${gflops.toFixed(0)} GFLOPs per video frame (convs + attention, steady state)`);
}
await vae.release();
