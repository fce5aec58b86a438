// FlashPortrait DiT: ms per transformer call on the tiny golden model (fused vs plain attention,
// CPU), and the FLOPs one call costs at the real size (720x1280, 81 frames = 21 latent frames).
// Run: node --import tsx bench/flashportrait-dit.bench.ts
import { join } from 'node:path';
import { GOLDEN_ROOT } from '../tests/helpers/golden.ts';
import { readGoldenCase } from '../tests/helpers/golden-io.ts';
import { benchDitConfig } from './gpu/plan.ts';
import { ditFlops } from '../nodes/flashportrait/models/dit/flops.ts';
import { DitModel } from '../nodes/flashportrait/models/dit/model.ts';
import { loadDitWeights } from '../nodes/flashportrait/models/dit/weights.ts';
import { windowCall } from '../tests/flashportrait/dit/window-call.ts';

const WARMUP = 5;
const RUNS = 50;

const real = benchDitConfig('real');
const flops = ditFlops(real, { frames: 21, height: 90, width: 160 });
console.log(`real config, 720x1280 x 21 latent frames (75,600 tokens): ${(flops / 1e15).toFixed(2)} PFLOP per transformer call`);

const golden = readGoldenCase('dit', 'window');
if (!golden) {
  console.log('golden fixtures absent: tiny-model timing skipped');
} else {
  const weights = loadDitWeights(join(GOLDEN_ROOT, 'dit/Wan2.1-I2V-14B-720P'), join(GOLDEN_ROOT, 'dit/FlashPortrait/transformer.pt'));
  const call = windowCall(golden.inputs);
  for (const impl of ['fused', 'plain'] as const) {
    const model = await DitModel.create(weights, { impl, session: { provider: 'cpu', log: () => {} } });
    for (let k = 0; k < WARMUP; k++) await model.predict(call);
    const times: number[] = [];
    for (let k = 0; k < RUNS; k++) {
      const t0 = performance.now();
      await model.predict(call);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`tiny DiT (2 layers, dim 64, 18 tokens), ${impl}: median ${times[RUNS >> 1]!.toFixed(3)} ms, p90 ${times[Math.floor(RUNS * 0.9)]!.toFixed(3)} ms per call (CPU)`);
    await model.release();
  }
}
