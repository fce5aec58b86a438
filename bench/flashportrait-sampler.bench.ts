// DiT calls and wall time of the plain windowed loop vs Adaptive Latent Prediction, with stand-in
// networks that cost a fixed time per call. Run: node --import tsx bench/flashportrait-sampler.bench.ts
import { ALP_PAPER_DEFAULTS } from '../nodes/flashportrait/pipeline/alp.ts';
import type { AlpOptions } from '../nodes/flashportrait/pipeline/alp.ts';
import type { FlashPortraitNetworks } from '../nodes/flashportrait/pipeline/networks.ts';
import { sampleFlashPortrait } from '../nodes/flashportrait/pipeline/sampler.ts';
import type { SamplingRequest } from '../nodes/flashportrait/pipeline/sampler.ts';

const COST_MS = 5;
const CHANNELS = 16;

function networks(counter: { calls: number }): FlashPortraitNetworks {
  return {
    async transformer(call) {
      counter.calls++;
      await new Promise((r) => setTimeout(r, COST_MS));
      // Flow velocity towards a fixed clean latent: v = (x - x0) / sigma.
      const sigma = Math.max(call.timestep / 1000, 1e-3);
      const out = new Float32Array(call.x.length);
      for (let k = 0; k < out.length; k++) out[k] = (call.x[k]! - 0.5 * Math.sin(k * 0.37) - call.ipScale * 0.05) / sigma;
      return out;
    },
    async vaeEncode(video) {
      return new Float32Array(CHANNELS * ((video.frames - 1) / 4 + 1) * (video.height / 8) * (video.width / 8));
    },
    async vaeDecode() { throw new Error('not used'); },
    async portraitEncoder({ frameStart, frameEnd }) { return { tokens: new Float32Array((frameEnd - frameStart) * 24 * 8), width: 8 }; },
    async clipImage() { return null; },
    async textEncoder(prompt) { return prompt; },
  };
}

function request(alp?: AlpOptions): SamplingRequest {
  const drivingFrames = 497; // 20 s at 25 fps -> 125 latent frames -> 5 windows of 51
  const latentFrames = (drivingFrames - 1) / 4 + 1;
  const size = CHANNELS * latentFrames * 4 * 4;
  return {
    reference: { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3) },
    headEmotionFeatures: new Float32Array(drivingFrames * 554),
    prompt: 'p', negativePrompt: 'n', latentChannels: CHANNELS,
    noise: Float32Array.from({ length: size }, (_, k) => Math.sin(k * 12.9898)),
    steps: 30, scheduler: 'euler', shift: 5, emoCfgScale: 4, textCfgScale: 1,
    contextSize: 51, contextOverlap: 30, alp,
  };
}

const rows: string[][] = [];
let reference: Float32Array | undefined;
for (const [label, alp] of [
  ['plain (30 steps)', undefined],
  ['ALP K=2 n=3 a=1.5', { ...ALP_PAPER_DEFAULTS, interval: 2 }],
  ['ALP K=5 n=3 a=1.5 (paper)', ALP_PAPER_DEFAULTS],
  ['ALP K=8 n=3 a=1.5', { ...ALP_PAPER_DEFAULTS, interval: 8 }],
] as const) {
  const counter = { calls: 0 };
  const start = performance.now();
  const result = await sampleFlashPortrait(request(alp), networks(counter));
  const ms = performance.now() - start;
  reference ??= Float32Array.from((await result.latents.materialize()).data);
  let diff = 0;
  for (let k = 0; k < reference.length; k++) diff = Math.max(diff, Math.abs((await result.latents.materialize()).data[k]! - reference[k]!));
  rows.push([label, String(counter.calls), ms.toFixed(0), diff.toExponential(2)]);
}
const header = ['variant', 'DiT calls', 'wall ms', 'max |latents - plain|'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
console.log(`5 windows x 2 CFG branches, ${COST_MS} ms per stand-in DiT call`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const r of rows) console.log(line(r));
