// Wan VAE on the CPU at the golden's tiny widths: frames/s of the whole-sequence graphs vs the
// streaming ones (encode: frame 0, then 4 frames per call; decode: one latent frame per call), and
// the real decoder's analytic FLOPs per frame.
// Run: node --import tsx bench/flashportrait-vae.bench.ts  (needs ../shared/golden/vae)
import { join } from 'node:path';
import { GOLDEN_ROOT } from '../tests/helpers/golden.ts';
import { createTensor } from '../server/ml/tensor.ts';
import { WAN_VAE_REAL, WanVae, videoFramesFor } from '../nodes/flashportrait/models/vae/index.ts';
import type { VaeStrategy } from '../nodes/flashportrait/models/vae/index.ts';
import { wanDecoderFlopsPerFrame } from '../nodes/flashportrait/models/vae/flops.ts';

const LATENT_FRAMES = 21; // 81 video frames
const H = 8;
const W = 12; // 64 x 96 pixels
const REPEATS = 3;

const vae = WanVae.open(join(GOLDEN_ROOT, 'vae', 'Wan2.1_VAE.pth'), { log: () => {} });
const frames = videoFramesFor(LATENT_FRAMES);
const wave = (n: number, f: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * f));
const latents = createTensor('float32', [1, 16, LATENT_FRAMES, H, W], wave(16 * LATENT_FRAMES * H * W, 0.37));
const video = createTensor('float32', [1, 3, frames, 8 * H, 8 * W], wave(3 * frames * 64 * H * W, 0.11));

async function best(warmUp: () => Promise<unknown>, run: () => Promise<unknown>): Promise<number> {
  await warmUp(); // session creation
  let ms = Infinity;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    await run();
    ms = Math.min(ms, performance.now() - t0);
  }
  return ms;
}

function report(what: string, strategy: VaeStrategy, ms: number, runs: number): void {
  console.log(`  ${what} ${strategy.padEnd(9)} ${ms.toFixed(0).padStart(6)} ms  ${(frames / (ms / 1000)).toFixed(1).padStart(7)} frames/s  (${runs} session run${runs === 1 ? '' : 's'})`);
}

console.log(`Wan VAE, tiny widths (dim ${vae.config.dim}), ${frames} frames at ${8 * H}x${8 * W}, CPU, best of ${REPEATS}`);
for (const strategy of ['whole', 'streaming'] as const) {
  const ms = await best(() => vae.encode(createTensor('float32', [1, 3, 5, 8 * H, 8 * W]), { strategy }), () => vae.encode(video, { strategy }));
  report('encode', strategy, ms, strategy === 'whole' ? 1 : LATENT_FRAMES);
}
for (const strategy of ['whole', 'streaming'] as const) {
  const ms = await best(() => vae.decode(createTensor('float32', [1, 16, 2, H, W]), { strategy }), () => vae.decode(latents, { strategy }));
  report('decode', strategy, ms, strategy === 'whole' ? 1 : LATENT_FRAMES);
}
for (const [h, w] of [[480, 832], [720, 1280]] as const) {
  const gflops = wanDecoderFlopsPerFrame(WAN_VAE_REAL, h, w) / 1e9;
  console.log(`real decoder (dim 96) at ${h}x${w}: ${gflops.toFixed(0)} GFLOPs per video frame (convs + attention, steady state)`);
}
await vae.release();
