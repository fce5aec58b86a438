// Media throughput and memory: LoadVideo -> FlashGraph_SaveVideo (SaveVideo with crf and preset) through the PromptRunner against the plain
// ffmpeg CLI doing the same transcode, and the peak RSS of `graph run` as clips get longer.
// Run: node --import tsx bench/media.bench.ts   (takes a few minutes on two cores)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry, createServices } from '../server/host.ts';
import { findMediaTools } from '../server/media/tools.ts';
import { PromptRunner } from '../server/runtime/runner.ts';
import { FolderStorage, folderLayout } from '../server/storage/folders.ts';

const tools = findMediaTools();
const base = mkdtempSync(join(tmpdir(), 'flashgraph-media-bench-'));
const input = join(base, 'input');
mkdirSync(input);

function makeClip(name: string, size: string, fps: number, seconds: number): string {
  execFileSync(tools.ffmpeg, [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}`, '-f', 'lavfi', '-i', 'sine=frequency=440',
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', join(input, name),
  ]);
  return join(input, name);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const storage = new FolderStorage(folderLayout({ base }));
const runner = new PromptRunner({ registry: createRegistry(), env: { storage, services: createServices() } });
await runner.start();

let runs = 0;

async function graphTranscode(file: string, preset: string): Promise<number> {
  const started = performance.now();
  const submitted = await runner.submit({
    prompt: {
      '1': { class_type: 'LoadVideo', inputs: { file } },
      '2': { class_type: 'FlashGraph_SaveVideo', inputs: { video: ['1', 0], filename_prefix: `bench/graph-${runs++}`, format: 'mp4', codec: 'h264', preset, crf: 23 } },
    },
  });
  if (!submitted.ok) throw new Error(JSON.stringify(submitted.nodeErrors));
  const entry = await runner.waitFor(submitted.promptId);
  if (entry.status.status_str !== 'success') throw new Error(JSON.stringify(entry.status.messages.at(-1)));
  return performance.now() - started;
}

function cliTranscode(path: string, preset: string): number {
  const started = performance.now();
  execFileSync(tools.ffmpeg, [
    '-v', 'error', '-y', '-i', path, '-map', '0:v:0', '-map', '0:a:0', '-c:v', 'libx264', '-preset', preset, '-crf', '23', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '192k', join(base, 'cli.mp4'),
  ]);
  return performance.now() - started;
}

console.log(`ffmpeg: ${tools.ffmpeg} (${tools.origin}); ${new Date().toISOString()}\n`);
console.log('| clip | frames | preset | ffmpeg CLI fps | FlashGraph fps | ratio (time) |');
console.log('|---|---|---|---|---|---|');
for (const [size, fps, seconds] of [['640x360', 30, 20], ['1280x720', 30, 10]] as const) {
  const name = `tp-${size}.mp4`;
  const path = makeClip(name, size, fps, seconds);
  const frames = fps * seconds;
  for (const preset of ['ultrafast', 'medium']) {
    const cli: number[] = [];
    const graph: number[] = [];
    // Interleaved, so background load hits both alike.
    for (let i = 0; i < 3; i++) {
      cli.push(cliTranscode(path, preset));
      graph.push(await graphTranscode(name, preset));
    }
    const [c, g] = [median(cli), median(graph)];
    console.log(`| ${size} ${fps} fps ${seconds} s | ${frames} | ${preset} | ${((frames / c) * 1000).toFixed(0)} | ${((frames / g) * 1000).toFixed(0)} | ${(g / c).toFixed(2)}x |`);
  }
}
await runner.stop();

const REPORT_PEAK_RSS = 'data:text/javascript,process.on("exit",()=>process.stderr.write("peak-rss-kb="+process.resourceUsage().maxRSS+"\\n"))';
console.log('\n| clip (640x360, 30 fps) | frames | peak RSS of `graph run` |');
console.log('|---|---|---|');
for (const seconds of [10, 40, 160]) {
  const name = `mem-${seconds}.mp4`;
  makeClip(name, '640x360', 30, seconds);
  const workflow = join(base, `mem-${seconds}.json`);
  writeFileSync(
    workflow,
    JSON.stringify({
      '1': { class_type: 'LoadVideo', inputs: { file: name } },
      '2': { class_type: 'FlashGraph_SaveVideo', inputs: { video: ['1', 0], filename_prefix: 'bench/mem', format: 'mp4', codec: 'h264', preset: 'ultrafast' } },
    }),
  );
  const run = spawnSync(process.execPath, ['--import', REPORT_PEAK_RSS, join(import.meta.dirname, '..', 'bin', 'graph.js'), 'run', workflow, '--base-directory', base, '--json'], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(run.stderr);
  const kb = Number(/peak-rss-kb=(\d+)/.exec(run.stderr)?.[1]);
  console.log(`| ${seconds} s | ${seconds * 30} | ${(kb / 1024).toFixed(0)} MB |`);
}
rmSync(base, { recursive: true, force: true });
