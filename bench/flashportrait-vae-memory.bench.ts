// Peak memory (and time) of the Wan VAE decoder, FlashGraph against the original PyTorch code in
// the same run: each peer decodes the same latents with the same seeded random weights of the real
// decoder's shapes (73.3 M parameters, 293 MB of float32), one child process per peer and size, one
// child at a time, peak RSS read from the child's /proc/<pid>/status VmHWM at the end of its decode.
//
// The peer is the original wan/modules/vae.py (Wan2.1), fetched separately and never committed:
//   WAN_VAE_PY=/tmp/wan/wan/modules/vae.py node --import tsx bench/flashportrait-vae-memory.bench.ts \
//     [--sizes 30x52,60x104,90x160] [--frames 1] [--threads 2] [--weights FILE]
// Sizes are latent sizes (30x52 -> one 240x416 frame, 60x104 -> 480x832, 90x160 -> 720x1280).
// --frames 1 decodes one latent frame (the original's first chunk, one video frame); --frames 2 adds a
// steady-state chunk (4 more video frames, full-length caches). It needs Debian's python3-torch with
// libopenblas0-pthread (/usr/bin/python3); the 720x1280 peers need about 6 GB each.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSafetensors } from '../server/ml/index.ts';
import { randomTensors } from './gpu/random-weights.ts';
import { WAN_VAE_REAL } from '../nodes/flashportrait/models/vae/index.ts';
import { wanDecoderParameterShapes } from '../nodes/flashportrait/models/vae/parameter-shapes.ts';

interface PeerResult {
  readonly peakMB: number;
  readonly decodeSeconds: number;
  readonly shape: readonly number[];
}

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '30x52,60x104' },
    frames: { type: 'string', default: '1' },
    threads: { type: 'string', default: '2' },
    weights: { type: 'string' },
  },
});
const vaePy = process.env.WAN_VAE_PY;
if (!vaePy || !existsSync(vaePy)) {
  throw new Error('set WAN_VAE_PY to the original wan/modules/vae.py (fetch github:Wan-Video/Wan2.1 and git archive it into a scratch folder)');
}
const sizes = values.sizes.split(',').map((s) => s.split('x').map(Number) as [number, number]);
const scratch = mkdtempSync(join(tmpdir(), 'flashgraph-vae-memory-'));
const weights = values.weights ?? join(scratch, 'vae-decoder.safetensors');
if (!existsSync(weights)) {
  writeSafetensors(weights, randomTensors(wanDecoderParameterShapes(WAN_VAE_REAL), 'float32', 2026), { generator: 'flashgraph bench/flashportrait-vae-memory', seed: '2026' });
}

function runPeer(command: string, args: readonly string[]): PeerResult {
  const run = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${run.status ?? run.signal}):\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as PeerResult;
}

function maxAbsDiff(a: string, b: string): number {
  const x = new Float32Array(readFileSync(a).buffer.slice(0));
  const y = new Float32Array(readFileSync(b).buffer.slice(0));
  if (x.length !== y.length) throw new Error(`the peers' videos differ in size: ${x.length} vs ${y.length} values`);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}

const frames = Number(values.frames);
console.log(`Wan VAE decoder, real widths (random weights), ${frames} latent frame${frames === 1 ? '' : 's'} (${4 * frames - 3} video frames), CPU, ${values.threads} threads, ${new Date().toISOString().slice(0, 10)}`);
console.log('frame size  | torch peak MB | ours peak MB | ratio | torch s | ours s | ratio | max |diff|');
for (const [h, w] of sizes) {
  const torchOut = join(scratch, `torch-${h}x${w}.f32`);
  const oursOut = join(scratch, `ours-${h}x${w}.f32`);
  const torch = runPeer('/usr/bin/python3', [new URL('./vae-memory/torch_decode.py', import.meta.url).pathname, vaePy, weights, String(h), String(w), String(frames), values.threads, torchOut]);
  const ours = runPeer(process.execPath, ['--import', 'tsx', new URL('./vae-memory/onnx-decode.ts', import.meta.url).pathname, weights, String(h), String(w), String(frames), values.threads, oursOut]);
  const label = `${8 * h}x${8 * w}`.padEnd(11);
  console.log(`${label} | ${String(torch.peakMB).padStart(13)} | ${String(ours.peakMB).padStart(12)} | ${(ours.peakMB / torch.peakMB).toFixed(2).padStart(5)} | ${torch.decodeSeconds.toFixed(1).padStart(7)} | ${ours.decodeSeconds.toFixed(1).padStart(6)} | ${(ours.decodeSeconds / torch.decodeSeconds).toFixed(2).padStart(5)} | ${maxAbsDiff(torchOut, oursOut).toExponential(2)}`);
  rmSync(torchOut);
  rmSync(oursOut);
}
if (values.weights === undefined) rmSync(scratch, { recursive: true });
