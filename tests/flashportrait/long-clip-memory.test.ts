// The FlashPortrait demo workflow on a driving clip with many windows, in a `graph run` child whose
// peak RSS must stay under a fixed bound. Windows of 17 latent frames overlapping by 16 make one
// window per latent frame, so a 6.4-second clip (41 latent frames, 25 windows) holds as many windows'
// state as a 20-second clip at the default windows: before the sampler spilled its per-window
// emotion tokens (17 x 97 x 2048 floats, 13.5 MB each) it kept all of them, 337 MB here (measured
// on the 2-core machine: 800 MB before, 560 MB after).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { writeDemoDrivingClip, writeDemoMedia } from '../../nodes/flashportrait/demo/demo-media.ts';
import { writeDemoModelSet } from '../../nodes/flashportrait/demo/demo-models.ts';
import { findMediaTools } from '../../server/media/tools.ts';
import type { ApiPrompt } from '../../types/api.ts';
import { REPO_ROOT } from '../helpers/golden.ts';
import { tempDir } from '../helpers/engine.ts';

const REPORT_PEAK_RSS = 'data:text/javascript,process.on("exit",()=>process.stderr.write("peak-rss-kb="+process.resourceUsage().maxRSS+"\\n"))';
const DRIVING_FRAMES = 161; // 6.4 s at 25 fps: 41 latent frames
const PEAK_BOUND_MB = 660;

it('a many-window FlashPortrait run stays under a fixed memory bound', () => {
  const base = tempDir('flashgraph-long-clip-');
  const tools = findMediaTools();
  writeDemoModelSet(join(base, 'models'), 0);
  writeDemoMedia(join(base, 'input'), tools);
  writeDemoDrivingClip(join(base, 'input', 'long.mp4'), DRIVING_FRAMES, tools);
  const prompt = JSON.parse(readFileSync(join(REPO_ROOT, 'workflows', 'flashportrait-demo.api.json'), 'utf8')) as ApiPrompt;
  prompt['1']!.inputs.file = 'long.mp4';
  Object.assign(prompt['6']!.inputs, { steps: 1, context_size: 17, context_overlap: 16 });
  const workflow = join(base, 'long.json');
  writeFileSync(workflow, JSON.stringify(prompt));
  const run = spawnSync(process.execPath, ['--import', REPORT_PEAK_RSS, join(REPO_ROOT, 'bin', 'graph.js'), 'run', workflow, '--base-directory', base, '--json'], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 1 << 24,
  });
  expect(run.status, run.stderr.slice(-2000)).toBe(0);
  expect(JSON.parse(run.stdout).status).toBe('success');
  const peakMb = Number(/peak-rss-kb=(\d+)/.exec(run.stderr)?.[1]) / 1024;
  console.log(`FlashPortrait demo, ${DRIVING_FRAMES} driving frames, windows 17/16: peak RSS ${peakMb.toFixed(0)} MB`);
  expect(peakMb).toBeGreaterThan(0);
  expect(peakMb).toBeLessThan(PEAK_BOUND_MB);
}, 150_000);
