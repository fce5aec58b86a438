// Peak RSS of the FlashPortrait demo workflow (demo model set, workflows/flashportrait-demo.api.json)
// against the driving clip's length: each length is a fresh `graph run` child process, one at a
// time, its peak RSS (process.resourceUsage().maxRSS at exit) and wall time reported. Clips are the
// demo face made by ffmpeg at run time. Flat memory means the 5-minute run peaks within +10% of the
// 10-second one.
// Run: node --import tsx bench/flashportrait-demo-memory.bench.ts [--seconds 2,10,40,300]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeDemoDrivingClip, writeDemoMedia } from '../nodes/flashportrait/demo/demo-media.ts';
import { writeDemoModelSet } from '../nodes/flashportrait/demo/demo-models.ts';
import { findMediaTools } from '../server/media/tools.ts';
import type { ApiPrompt } from '../types/api.ts';

const REPORT_PEAK_RSS = 'data:text/javascript,process.on("exit",()=>process.stderr.write("peak-rss-kb="+process.resourceUsage().maxRSS+"\\n"))';
const FPS = 25;

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2,10,40,300' } } });
const lengths = values.seconds.split(',').map(Number);
const base = mkdtempSync(join(tmpdir(), 'flashgraph-demo-memory-'));
const tools = findMediaTools();
writeDemoModelSet(join(base, 'models'), 0);
writeDemoMedia(join(base, 'input'), tools);
const prompt = JSON.parse(readFileSync(new URL('../workflows/flashportrait-demo.api.json', import.meta.url), 'utf8')) as ApiPrompt;
const graph = new URL('../bin/graph.js', import.meta.url).pathname;

console.log(`FlashPortrait demo workflow, peak RSS by driving clip length (${new Date().toISOString().slice(0, 10)}, ${FPS} fps 256x256 clips)`);
console.log('clip      | frames | peak RSS MB | vs 10 s | run s');
let tenSeconds: number | undefined;
for (const seconds of lengths) {
  const file = `driving-${seconds}s.mp4`;
  writeDemoDrivingClip(join(base, 'input', file), Math.round(seconds * FPS), tools);
  const workflow = join(base, `workflow-${seconds}s.json`);
  const p = structuredClone(prompt);
  p['1']!.inputs.file = file;
  writeFileSync(workflow, JSON.stringify(p));
  const started = performance.now();
  const run = spawnSync(process.execPath, ['--import', REPORT_PEAK_RSS, graph, 'run', workflow, '--base-directory', base, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`graph run (${seconds} s clip) failed (${run.status ?? run.signal}):\n${run.stderr.slice(-3000)}\n${run.stdout.slice(-3000)}`);
  const status = (JSON.parse(run.stdout) as { status: string }).status;
  if (status !== 'success') throw new Error(`graph run (${seconds} s clip): ${status}`);
  const peakMb = Number(/peak-rss-kb=(\d+)/.exec(run.stderr)?.[1]) / 1024;
  if (seconds === 10) tenSeconds = peakMb;
  const ratio = tenSeconds === undefined ? '' : `${((100 * (peakMb - tenSeconds)) / tenSeconds).toFixed(1)}%`;
  console.log(`${`${seconds} s`.padEnd(9)} | ${String(Math.round(seconds * FPS)).padStart(6)} | ${peakMb.toFixed(0).padStart(11)} | ${ratio.padStart(7)} | ${wall.toFixed(1).padStart(5)}`);
  rmSync(join(base, 'input', file));
}
rmSync(base, { recursive: true, force: true });
