// No process outlives what started it: `graph run` leaves nothing in its process group, a finished
// prompt leaves no ffmpeg behind, and a reader that stops early has its ffmpeg gone (not only
// signalled) by the time it goes on.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodes as vhsNodes } from '../../nodes/vhs/index.ts';
import { ffmpegCommand, readCommandOutput } from '../../server/media/ffmpeg.ts';
import type { ApiPrompt } from '../../types/api.ts';
import { REPO_ROOT } from '../helpers/golden.ts';
import { startEngine, tempDir } from '../helpers/engine.ts';
import { executionError, makeClip, runPrompt, tools } from './helpers.ts';

/** pid, parent pid, process group and command name of every process, from /proc. */
function processes(): { pid: number; ppid: number; pgrp: number; comm: string }[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return [{ pid: Number(pid), ppid: Number(ppid), pgrp: Number(pgrp), comm }];
      } catch {
        return [];
      }
    });
}

/** This process's children that are ffmpeg or ffprobe (zombies included). */
const mediaChildren = () => processes().filter((p) => p.ppid === process.pid && /^ff(mpeg|probe)$/.test(p.comm));

let base: string;

/** Every media path at once: a stream copy, a yuv decode piped into an encoder, VHS's early stop after the first frame. */
const mediaPrompt = (): ApiPrompt => ({
  '1': { class_type: 'LoadVideo', inputs: { file: 'clip.mp4' } },
  '2': { class_type: 'SaveVideo', inputs: { video: ['1', 0], filename_prefix: 'left/copy', format: 'auto', codec: 'auto' } },
  '3': { class_type: 'LoadVideo', inputs: { file: 'clip.mp4', frame_load_cap: 4 } },
  '4': { class_type: 'SaveVideo', inputs: { video: ['3', 0], filename_prefix: 'left/encoded', format: 'mp4', codec: 'h264', preset: 'ultrafast' } },
  '5': { class_type: 'VHS_LoadVideo', inputs: { video: 'clip.mp4', force_rate: 0, custom_width: 0, custom_height: 0, frame_load_cap: 4, skip_first_frames: 0, select_every_nth: 1, format: 'None' } },
  '6': { class_type: 'VHS_VideoCombine', inputs: { images: ['5', 0], frame_rate: 8, loop_count: 0, filename_prefix: 'left/vhs', format: 'image/gif', pingpong: false, save_output: true } },
});

beforeAll(() => {
  base = tempDir();
  mkdirSync(join(base, 'input'));
  makeClip(join(base, 'input'), 'clip.mp4', { width: 64, height: 48, fps: '10', seconds: 1, tone: 440 });
});

describe('no process outlives its work', () => {
  it('`graph run` on a media workflow leaves no process in its process group', async () => {
    // A node pack no run has compiled yet makes the TypeScript loader start its esbuild service,
    // the process that used to outlive `graph run`.
    const pack = join(base, 'custom_nodes', `fresh-${randomBytes(4).toString('hex')}`);
    mkdirSync(pack, { recursive: true });
    writeFileSync(join(pack, 'package.json'), JSON.stringify({ name: 'fresh', type: 'module', main: 'index.ts' }));
    writeFileSync(join(pack, 'index.ts'), `// ${randomBytes(8).toString('hex')}\nexport const nodes: unknown[] = [];\n`);
    const workflow = join(base, 'media.json');
    writeFileSync(workflow, JSON.stringify(mediaPrompt()));
    // detached: the run leads a process group of its own, as a shell job would.
    const run = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'graph.js'), 'run', workflow, '--base-directory', base, '--json'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    run.stdout.on('data', (d: Buffer) => (stdout += d));
    run.stderr.on('data', (d: Buffer) => (stderr += d));
    const [code] = (await once(run, 'close')) as [number];
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout).status).toBe('success');
    expect(processes().filter((p) => p.pgrp === run.pid)).toEqual([]);
  }, 120_000);

  it('a prompt in a long-lived host leaves no ffmpeg child once it has finished', async () => {
    const engine = await startEngine(vhsNodes, base);
    const entry = await runPrompt(engine, mediaPrompt());
    expect(executionError(entry)).toBeUndefined();
    expect(mediaChildren()).toEqual([]);
    await engine.runner.stop();
  }, 60_000);

  it('a reader that stops after the first frame finds its ffmpeg gone, not only killed', async () => {
    // An endless source: ffmpeg is surely still writing when the reader stops.
    const command = ffmpegCommand(tools).input('testsrc=size=320x240:rate=25').inputFormat('lavfi').outputOptions(['-pix_fmt', 'rgb24']).format('rawvideo');
    let chunks = 0;
    for await (const data of readCommandOutput(command)) {
      expect(data.length).toBeGreaterThan(0);
      chunks++;
      break;
    }
    expect(chunks).toBe(1);
    expect(mediaChildren()).toEqual([]);
  });
});
