// A 5-minute 720p clip through LoadVideo -> ImageScale -> FlashGraph_SaveVideo (SaveVideo with an x264 preset) in a separate `graph run`
// process, whose peak RSS must stay far below what holding the frames would take (8 GB at 10 fps).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/golden.ts';
import { tempDir } from '../helpers/engine.ts';
import { makeClip, probe } from './helpers.ts';

const REPORT_PEAK_RSS = 'data:text/javascript,process.on("exit",()=>process.stderr.write("peak-rss-kb="+process.resourceUsage().maxRSS+"\\n"))';

it('streams 5 minutes of 720p video with bounded memory', () => {
  const started = Date.now();
  const base = tempDir();
  const input = join(base, 'input');
  mkdirSync(input);
  // 10 fps keeps the test near a minute on two cores; the length and frame size are the point.
  makeClip(input, 'long.mp4', { width: 1280, height: 720, fps: '10', seconds: 300, tone: 440, source: 'color=c=0x3366aa' });
  const generated = Date.now();
  const workflow = join(base, 'long.json');
  writeFileSync(
    workflow,
    JSON.stringify({
      '1': { class_type: 'LoadVideo', inputs: { file: 'long.mp4' } },
      '2': { class_type: 'GetVideoComponents', inputs: { video: ['1', 0] } },
      '3': { class_type: 'ImageScale', inputs: { image: ['2', 0], upscale_method: 'bilinear', width: 640, height: 360, crop: 'disabled' } },
      '4': { class_type: 'CreateVideo', inputs: { images: ['3', 0], fps: ['2', 2], audio: ['2', 1] } },
      '5': { class_type: 'FlashGraph_SaveVideo', inputs: { video: ['4', 0], filename_prefix: 'long', format: 'mp4', codec: 'h264', preset: 'ultrafast' } },
    }),
  );
  const run = spawnSync(process.execPath, ['--import', REPORT_PEAK_RSS, join(REPO_ROOT, 'bin', 'graph.js'), 'run', workflow, '--base-directory', base, '--json'], {
    encoding: 'utf8',
    timeout: 240_000,
  });
  expect(run.status, run.stderr).toBe(0);
  const result = JSON.parse(run.stdout);
  expect(result.status).toBe('success');
  const peakKb = Number(/peak-rss-kb=(\d+)/.exec(run.stderr)?.[1]);
  const out = probe(result.files[0]);
  const video = out.streams.find((s) => s.codec_type === 'video')!;
  expect([video.width, video.height, Number(video.nb_read_frames)]).toEqual([640, 360, 3000]);
  expect(Number(out.streams.find((s) => s.codec_type === 'audio')!.duration)).toBeCloseTo(300, 0);
  console.log(`5 min 720p @ 10 fps: generate ${(generated - started) / 1000} s, run ${(Date.now() - generated) / 1000} s, peak RSS ${Math.round(peakKb / 1024)} MB`);
  expect(peakKb).toBeGreaterThan(0);
  expect(peakKb).toBeLessThan(1024 * 1024);
}, 300_000);
