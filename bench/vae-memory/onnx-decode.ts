// FlashGraph's side of bench/flashportrait-vae-memory.bench.ts, run in a child process of its own:
// the Wan VAE decoder (real widths, the weights file given) decoding FRAMES latent frames of
// HEIGHT x WIDTH latents, streamed one latent frame per call as the pipeline does, with the
// product's session defaults. Prints one JSON line (peak RSS from /proc/self/status VmHWM, decode
// seconds) and writes the clamped video as raw float32 [3, 4F-3, 8H, 8W] to OUT.
// Run: node --import tsx bench/vae-memory/onnx-decode.ts WEIGHTS HEIGHT WIDTH FRAMES THREADS OUT
import { readFileSync, writeFileSync } from 'node:fs';
import { WAN_VAE_REAL, WanVae } from '../../nodes/flashportrait/models/vae/index.ts';
import { openWeights } from '../../server/ml/weights/index.ts';
import { benchLatents } from './latents.ts';

export function statusMb(field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/self/status`);
  return Number(match[1]) / 1024;
}

const [weights, height, width, frames, threads, out] = process.argv.slice(2);
if (out === undefined) throw new Error('usage: onnx-decode.ts WEIGHTS HEIGHT WIDTH FRAMES THREADS OUT');
const vae = new WanVae(openWeights(weights!), { config: WAN_VAE_REAL, intraOpNumThreads: Number(threads), log: () => {} });
const latents = benchLatents(Number(frames), Number(height), Number(width));
const started = performance.now();
const video = await vae.decode(latents, { strategy: 'streaming' });
const seconds = (performance.now() - started) / 1000;
const peak = statusMb('VmHWM');
writeFileSync(out, new Uint8Array((video.data as Float32Array).buffer, 0, video.data.byteLength));
console.log(JSON.stringify({ peer: 'flashgraph', threads: Number(threads), peakMB: Math.round(peak), decodeSeconds: Number(seconds.toFixed(2)), shape: video.shape }));
await vae.release();
