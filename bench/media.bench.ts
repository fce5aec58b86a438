// Media against the ffmpeg CLI on the same settings, measured in the same run: `graph run` of
// LoadVideo -> GetVideoComponents -> CreateVideo -> SaveVideo on a 720p clip (60 s by default,
// generated here with ffmpeg), with and without AAC sound, beside the ffmpeg command that does the
// same job. Each run is a child process in a process group of its own: wall time from spawn to
// exit, and peak RSS as the largest sum of the RSS of every process of the run (Node and its
// ffmpegs, sampled every 20 ms from /proc); "largest process" is the peak RSS of the biggest single
// process of the run (what `/usr/bin/time` reports for a process tree); CPU is the user + system
// time of the whole tree (from /usr/bin/time when installed), which background load barely moves.
//
// Run: node --import tsx bench/media.bench.ts   (about 15 min on two cores at 60 s)
// Env: MEDIA_BENCH_SECONDS (clip length, 60), MEDIA_BENCH_REPEAT (runs per row, 1; the median is
// shown), MEDIA_BENCH_BASELINE (another checkout's bin/graph.js, run beside ours as a third column),
// MEDIA_BENCH_JOBS (some of "encode,decoded,stream").
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findMediaTools } from '../server/media/tools.ts';

const tools = findMediaTools();
const SECONDS = Number(process.env.MEDIA_BENCH_SECONDS ?? 60);
const REPEAT = Math.max(1, Number(process.env.MEDIA_BENCH_REPEAT ?? 1));
const BASELINE = process.env.MEDIA_BENCH_BASELINE;
const FPS = 30;
const FRAMES = SECONDS * FPS;
const GRAPH = join(import.meta.dirname, '..', 'bin', 'graph.js');

const base = mkdtempSync(join(tmpdir(), 'flashgraph-media-bench-'));
const input = join(base, 'input');
mkdirSync(input);

function makeClip(name: string, audio: boolean, seconds = SECONDS): void {
  const sound = audio ? ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'] : [];
  execFileSync(tools.ffmpeg, [
    '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=${FPS}`, ...sound, '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', ...(audio ? ['-c:a', 'aac', '-b:a', '128k'] : []), join(input, name),
  ]);
}

/** RSS of a process and all its descendants, in bytes: their sum and the largest (0 once gone). */
function treeRss(root: number): { sum: number; largest: number } {
  let total = 0;
  let largest = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    try {
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
      total += rss;
      largest = Math.max(largest, rss);
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ')) if (child.trim()) pending.push(Number(child));
      }
    } catch {
      // gone meanwhile
    }
  }
  return { sum: total, largest };
}

interface Measure {
  seconds: number;
  peakBytes: number;
  largestBytes: number;
  /** User + system seconds of the process and every descendant it waited for (NaN without /usr/bin/time). */
  cpuSeconds: number;
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Runs a command as its own process group; wall time and the peak RSS of its process tree. */
async function measure(command: string, args: string[]): Promise<Measure> {
  const started = performance.now();
  const child = TIME
    ? spawn(TIME, ['-f', 'bench-cpu %U %S', command, ...args], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(command, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  let peakBytes = 0;
  let largestBytes = 0;
  const sampler = setInterval(() => {
    const rss = treeRss(child.pid!);
    peakBytes = Math.max(peakBytes, rss.sum);
    largestBytes = Math.max(largestBytes, rss.largest);
  }, 20);
  const [code] = (await once(child, 'close')) as [number];
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${code}): ${stderr.slice(-2000)}`);
  const cpu = /bench-cpu ([\d.]+) ([\d.]+)/.exec(stderr);
  return { seconds, peakBytes, largestBytes, cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN };
}

interface Case {
  name: string;
  load: Record<string, unknown>;
  save: Record<string, unknown>;
  /** The ffmpeg CLI's output options for the same job. */
  cli: (audio: boolean) => string[];
}

const encode = ['-c:v', 'libx264', '-preset', 'medium', '-crf', '23', '-pix_fmt', 'yuv420p'];
const aac = (audio: boolean) => (audio ? ['-c:a', 'aac', '-b:a', '192k'] : []);
const allCases: Case[] = [
  {
    name: 'encode: FlashGraph_SaveVideo mp4/h264 crf 23, medium (one ffmpeg reads the file)',
    load: {},
    save: { format: 'mp4', codec: 'h264', crf: 23, preset: 'medium' },
    cli: (audio) => [...encode, ...aac(audio)],
  },
  {
    // frame_load_cap below the frame count: the VIDEO is no longer the file's stream, frames are
    // decoded (to yuv420p, never RGB) and piped through Node into the encoder.
    name: `decoded frames: FlashGraph_LoadVideo frame_load_cap ${FRAMES - 1}, then the same encode`,
    load: { frame_load_cap: FRAMES - 1 },
    save: { format: 'mp4', codec: 'h264', crf: 23, preset: 'medium' },
    cli: (audio) => ['-frames:v', String(FRAMES - 1), '-t', ((FRAMES - 1) / FPS).toFixed(6), ...encode, ...aac(audio)],
  },
  { name: 'stream copy: SaveVideo auto/auto', load: {}, save: { format: 'auto', codec: 'auto' }, cli: () => ['-c', 'copy'] },
];
const jobs = (process.env.MEDIA_BENCH_JOBS ?? 'encode,decoded,stream').split(',').map((j) => j.trim());
const cases = allCases.filter((c) => jobs.some((j) => c.name.startsWith(j)));

let counter = 0;
function workflow(file: string, c: Case): string {
  const path = join(base, `workflow-${counter++}.json`);
  const prompt = {
    '1': { class_type: Object.keys(c.load).length > 0 ? 'FlashGraph_LoadVideo' : 'LoadVideo', inputs: { file, ...c.load } },
    '2': { class_type: 'GetVideoComponents', inputs: { video: ['1', 0] } },
    '3': { class_type: 'CreateVideo', inputs: { images: ['2', 0], fps: ['2', 2], audio: ['2', 1] } },
    '4': { class_type: 'crf' in c.save ? 'FlashGraph_SaveVideo' : 'SaveVideo', inputs: { video: ['3', 0], filename_prefix: `bench/run-${counter}`, ...c.save } },
  };
  writeFileSync(path, JSON.stringify(prompt));
  return path;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;

console.log(`# FlashGraph media vs the ffmpeg CLI, ${new Date().toISOString()}`);
console.log(`${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ffmpeg ${tools.ffmpeg} (${tools.origin}), ${SECONDS} s 1280x720 ${FPS} fps testsrc2 clip (x264 veryfast), median of ${REPEAT}\n`);
// Warm-up: the first `graph run` of a checkout compiles its TypeScript; no row should pay for that.
makeClip('warm.mp4', true, 1);
for (const graph of BASELINE ? [GRAPH, BASELINE] : [GRAPH]) await measure(process.execPath, [graph, 'run', workflow('warm.mp4', allCases.at(-1)!), '--base-directory', base]);

const ratioColumns = 'ratio time | ratio CPU | ratio RSS | ratio largest process';
const header = `| job | sound | ffmpeg CLI | FlashGraph | ${ratioColumns} |${BASELINE ? ` baseline | baseline ${ratioColumns.replaceAll(' | ', ' | baseline ')} |` : ''}`;
console.log(header);
console.log(header.replace(/[^|]+/g, '---'));
for (const audio of [true, false]) {
  const file = audio ? 'clip-aac.mp4' : 'clip-silent.mp4';
  makeClip(file, audio);
  for (const c of cases) {
    const runs: Record<'cli' | 'graph' | 'baseline', Measure[]> = { cli: [], graph: [], baseline: [] };
    // Interleaved, so that background load hits each alike.
    for (let i = 0; i < REPEAT; i++) {
      runs.cli.push(await measure(tools.ffmpeg, ['-v', 'error', '-y', '-i', join(input, file), ...c.cli(audio), join(base, 'cli.mp4')]));
      runs.graph.push(await measure(process.execPath, [GRAPH, 'run', workflow(file, c), '--base-directory', base, '--json']));
      if (BASELINE) runs.baseline.push(await measure(process.execPath, [BASELINE, 'run', workflow(file, c), '--base-directory', base, '--json']));
    }
    const cell = (ms: Measure[]) => ({
      seconds: median(ms.map((m) => m.seconds)),
      cpu: median(ms.map((m) => m.cpuSeconds)),
      peak: median(ms.map((m) => m.peakBytes)),
      largest: median(ms.map((m) => m.largestBytes)),
    });
    const describe = (m: ReturnType<typeof cell>) => `${m.seconds.toFixed(2)} s (CPU ${m.cpu.toFixed(1)} s), ${mb(m.peak)}`;
    const cli = cell(runs.cli);
    const columns = [c.name, audio ? 'AAC' : 'none', describe(cli)];
    for (const which of BASELINE ? (['graph', 'baseline'] as const) : (['graph'] as const)) {
      const ours = cell(runs[which]);
      columns.push(
        `${describe(ours)} (largest ${mb(ours.largest)})`,
        `${(ours.seconds / cli.seconds).toFixed(2)}x`,
        `${(ours.cpu / cli.cpu).toFixed(2)}x`,
        `${(ours.peak / cli.peak).toFixed(2)}x`,
        `${(ours.largest / cli.largest).toFixed(2)}x`,
      );
    }
    console.log(`| ${columns.join(' | ')} |`);
    rmSync(join(base, 'output'), { recursive: true, force: true });
  }
}
rmSync(base, { recursive: true, force: true });
