// A node that PRODUCES 2 GB of frames (750 frames of 1280x720) through a FrameWriter with a 64 MB
// RAM budget, then CreateVideo -> FlashGraph_SaveVideo (SaveVideo with an x264 preset), in a separate host process whose peak RSS must stay
// far below the output size; the spill file is gone when that process has exited.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/golden.ts';
import { tempDir } from '../helpers/engine.ts';
import { probe } from './helpers.ts';

const REPORT_PEAK_RSS = 'data:text/javascript,process.on("exit",()=>process.stderr.write("peak-rss-kb="+process.resourceUsage().maxRSS+"\\n"))';
const WIDTH = 1280;
const HEIGHT = 720;
const FRAMES = 750;

const script = (base: string) => `
  import { statSync } from 'node:fs';
  import { createHost } from ${JSON.stringify(join(REPO_ROOT, 'server/host.ts'))};
  import { FrameWriter, frameStoreDirectory, spillFileOf } from ${JSON.stringify(join(REPO_ROOT, 'server/media/frame-store.ts'))};
  const W = ${WIDTH}, H = ${HEIGHT}, N = ${FRAMES}, CHUNK = 8;
  const Generate = {
    type: 'TestGenerateFrames',
    inputs: {},
    outputs: [{ type: 'IMAGE' }],
    async execute(_inputs, ctx) {
      // No count: frames are held up to the budget, then everything goes to disk.
      const writer = new FrameWriter({ width: W, height: H, directory: frameStoreDirectory(ctx), label: 'TestGenerateFrames', signal: ctx.signal });
      for (let start = 0; start < N; start += CHUNK) {
        const n = Math.min(CHUNK, N - start);
        const data = new Uint8Array(n * W * H * 3);
        for (let f = 0; f < n; f++) {
          for (let y = 0; y < H; y++) data.fill((start + f + y) & 255, ((f * H) + y) * W * 3, ((f * H) + y + 1) * W * 3);
        }
        await writer.write(data);
      }
      const image = await writer.finish();
      const file = spillFileOf(image);
      process.stderr.write('spill=' + JSON.stringify({ file, size: file ? statSync(file).size : 0 }) + '\\n');
      return [image];
    },
  };
  const host = await createHost({ folders: { base: ${JSON.stringify(base)} }, ephemeralHistory: true, nodes: [Generate] });
  const submitted = await host.runner.submit({ prompt: {
    '1': { class_type: 'TestGenerateFrames', inputs: {} },
    '2': { class_type: 'CreateVideo', inputs: { images: ['1', 0], fps: 25 } },
    '3': { class_type: 'FlashGraph_SaveVideo', inputs: { video: ['2', 0], filename_prefix: 'spilled', format: 'mp4', codec: 'h264', preset: 'ultrafast' } },
  } });
  if (!submitted.ok) throw new Error(JSON.stringify(submitted));
  const entry = await host.runner.waitFor(submitted.promptId);
  await host.runner.stop();
  process.stdout.write(JSON.stringify({ status: entry.status, outputs: entry.outputs }));
  process.exit(0);
`;

it('a node producing 2 GB of frames with a 64 MB RAM budget runs in bounded memory, and SaveVideo encodes every frame', () => {
  const started = Date.now();
  const base = tempDir('flashgraph-spill-');
  const run = spawnSync(process.execPath, ['--import', REPORT_PEAK_RSS, '--import', 'tsx/esm', '--input-type=module', '-e', script(base)], {
    encoding: 'utf8',
    cwd: REPO_ROOT,
    env: { ...process.env, FLASHGRAPH_FRAME_RAM_MB: '64' },
    timeout: 240_000,
  });
  expect(run.status, run.stderr.slice(-3000)).toBe(0);
  const result = JSON.parse(run.stdout);
  expect(result.status.status_str, JSON.stringify(result.status.messages)).toBe('success');
  const spill = JSON.parse(/spill=(.*)/.exec(run.stderr)![1]!);
  const outputBytes = FRAMES * WIDTH * HEIGHT * 3;
  expect(spill.size).toBe(outputBytes);
  expect(spill.file.startsWith(join(base, 'temp', 'frame-store'))).toBe(true);
  // Deleted at exit, with this process's folder.
  expect(existsSync(spill.file)).toBe(false);
  expect(readdirSync(join(base, 'temp', 'frame-store'))).toEqual([]);
  const saved = result.outputs['3'].images[0];
  const mp4 = join(base, 'output', saved.subfolder ?? '', saved.filename);
  const video = probe(mp4).streams.find((s) => s.codec_type === 'video')!;
  expect([video.width, video.height, Number(video.nb_read_frames)]).toEqual([WIDTH, HEIGHT, FRAMES]);
  const peakKb = Number(/peak-rss-kb=(\d+)/.exec(run.stderr)?.[1]);
  console.log(`${(outputBytes / 1e9).toFixed(2)} GB of frames through a 64 MB FrameWriter + SaveVideo: ${(Date.now() - started) / 1000} s, peak RSS ${Math.round(peakKb / 1024)} MB`);
  expect(peakKb).toBeGreaterThan(0);
  // Far below the 2.07 GB the frames take (the process itself, ffmpeg excluded, is ~200-300 MB).
  expect(peakKb).toBeLessThan(600 * 1024);
}, 300_000);
