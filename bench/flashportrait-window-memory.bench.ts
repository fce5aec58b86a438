// Peak memory of the FlashPortrait sampling loop at a real size against the driving clip's length:
// the released defaults (context 51, overlap 30 latent frames; euler, 2 steps) at 480x832 (16 x 60
// x 104 latents) with networks that cost nothing (outputs of the real shapes, no weights), so that
// what is measured is what the loop itself holds: latents, merged result, window buffers, emotion
// tokens, solver state, the conditioning of one window, and a decode that reads the latents frame by
// frame. Each case is a child process; peak RSS is its VmHWM.
//   - file: the node's stores (temp/frame-store spill files), as FlashPortraitSampler runs;
//   - memory: the same stores in memory, which is where all of this lived before (for contrast).
// Run: node --import tsx bench/flashportrait-window-memory.bench.ts [--seconds 10,300] [--size 480x832]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FileRecordStore } from '../server/media/record-store.ts';
import type { FlashPortraitNetworks } from '../nodes/flashportrait/pipeline/networks.ts';
import { memoryRecords } from '../nodes/flashportrait/pipeline/record-store.ts';
import { HEAD_EMOTION_FEATURE_WIDTH, sampleFlashPortrait, usableDrivingFrames } from '../nodes/flashportrait/pipeline/sampler.ts';
import { NormalStream } from '../nodes/flashportrait/seeded-noise.ts';

const FPS = 25;
/** The portrait encoder's token width in the released model (emotion tokens are 97 x 2048 per latent frame). */
const TOKEN_WIDTH = 2048;

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10,300' }, size: { type: 'string', default: '480x832' }, child: { type: 'string' } } });
const [height, width] = values.size.split('x').map(Number) as [number, number];

/** Outputs of the real shapes at almost no cost: the loop's own memory is what remains. */
function freeNetworks(): FlashPortraitNetworks {
  return {
    async transformer(call) {
      const out = new Float32Array(call.x.length);
      for (let k = 0; k < out.length; k++) out[k] = call.x[k]! * 0.5;
      return out;
    },
    async vaeEncode(video) {
      return new Float32Array(16 * ((video.frames - 1) / 4 + 1) * (video.height / 8) * (video.width / 8));
    },
    async vaeDecode() {
      throw new Error('the node decodes chunk by chunk');
    },
    async vaeDecodeChunks(latents, onChunk) {
      // Reads every latent frame from the store, as the Wan VAE stream does; one small chunk each.
      let first = true;
      for await (const frame of latents.frames()) {
        const frames = first ? 1 : 4;
        first = false;
        await onChunk({ frames, height: 8, width: 8, data: new Float32Array(3 * frames * 64).fill(frame[0]!) });
      }
    },
    async portraitEncoder({ frameStart, frameEnd }) {
      return { tokens: new Float32Array((frameEnd - frameStart) * 24 * TOKEN_WIDTH), width: TOKEN_WIDTH };
    },
    async clipImage() { return 'clip'; },
    async textEncoder(prompt) { return prompt; },
  };
}

async function child(spec: string): Promise<void> {
  const [seconds, where] = spec.split(':') as [string, 'file' | 'memory'];
  const frames = usableDrivingFrames(Number(seconds) * FPS);
  const directory = mkdtempSync(join(tmpdir(), 'flashgraph-window-memory-'));
  const started = performance.now();
  try {
    const result = await sampleFlashPortrait({
      reference: { width, height, data: new Uint8Array(width * height * 3).fill(128) },
      headEmotionFeatures: new Float32Array(frames * HEAD_EMOTION_FEATURE_WIDTH),
      prompt: 'p', negativePrompt: 'n', latentChannels: 16,
      noise: new NormalStream(1),
      steps: 2, scheduler: 'euler', shift: 5, emoCfgScale: 4, textCfgScale: 1,
      contextSize: 51, contextOverlap: 30,
    }, freeNetworks(), { records: where === 'file' ? (name, length) => FileRecordStore.open(directory, length, name) : memoryRecords });
    let chunks = 0;
    await freeNetworks().vaeDecodeChunks!(result.latents, () => { chunks++; });
    await result.latents.close();
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024;
    process.stdout.write(JSON.stringify({ frames, latentFrames: result.latents.shape.frames, windows: result.plan.windows.length, chunks, peakMB: Math.round(hwm), seconds: (performance.now() - started) / 1000 }));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

if (values.child) {
  await child(values.child);
} else {
  console.log(`FlashPortrait sampling loop at ${height}x${width}, context 51 / overlap 30, euler 2 steps, networks that cost nothing (${new Date().toISOString().slice(0, 10)})`);
  console.log('clip   | frames | latent frames | windows | stores | peak RSS MB | run s');
  for (const seconds of values.seconds.split(',').map(Number)) {
    for (const where of ['file', 'memory']) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--size', values.size, '--child', `${seconds}:${where}`], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (run.status !== 0) throw new Error(`${seconds} s ${where}: exit ${run.status}\n${run.stdout}\n${run.stderr}`);
      const r = JSON.parse(run.stdout) as { frames: number; latentFrames: number; windows: number; peakMB: number; seconds: number };
      console.log(`${String(seconds).padEnd(6)} | ${String(r.frames).padStart(6)} | ${String(r.latentFrames).padStart(13)} | ${String(r.windows).padStart(7)} | ${where.padEnd(6)} | ${String(r.peakMB).padStart(11)} | ${r.seconds.toFixed(1).padStart(5)}`);
    }
  }
}
