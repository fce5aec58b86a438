import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiPrompt } from '../../types/api.ts';
import { startEngine, tempDir, type TestEngine } from '../helpers/engine.ts';
import { executionError, frameRgb, makeClip, probe, psnr, runPrompt } from './helpers.ts';

let base: string;
let input: string;
let engine: TestEngine;

beforeAll(async () => {
  base = tempDir();
  input = join(base, 'input');
  mkdirSync(input);
  makeClip(input, 'h264.mp4', { width: 160, height: 120, fps: '25', seconds: 2, tone: 440 });
  makeClip(input, 'ntsc.webm', { width: 128, height: 96, fps: '30000/1001', seconds: 1.5, codec: 'libvpx-vp9', tone: 880 });
  makeClip(input, 'ramp.mp4', { width: 160, height: 120, fps: '25', seconds: 2, tone: 440, source: 'color', extraArgs: ['-vf', 'geq=lum=N*5+10:cb=128:cr=128'] });
  makeClip(input, 'mpeg4.avi', { width: 64, height: 64, fps: '12', seconds: 2, codec: 'mpeg4' });
  engine = await startEngine([], base);
}, 60_000);

function outputPath(entry: { outputs: Record<string, Record<string, unknown[]>> }, node: string): string {
  const ref = entry.outputs[node]!.images![0] as { filename: string; subfolder: string };
  return join(base, 'output', ref.subfolder, ref.filename);
}

/**
 * Load then save. FlashGraph_SaveVideo (SaveVideo's code with a quality setting, webm and vp9)
 * unless `core`; FlashGraph_LoadVideo when load options are given.
 */
function saveVideo(source: string, prefix: string, format = 'auto', codec = 'auto', extra: Record<string, unknown> = {}, core = false): ApiPrompt {
  const loader = Object.keys(extra).length > 0 ? 'FlashGraph_LoadVideo' : 'LoadVideo';
  return {
    '1': { class_type: loader, inputs: { file: source, ...extra } },
    '2': core
      ? { class_type: 'SaveVideo', inputs: { video: ['1', 0], filename_prefix: prefix, format, codec } }
      : { class_type: 'FlashGraph_SaveVideo', inputs: { video: ['1', 0], filename_prefix: prefix, format, codec, crf: 12 } },
  };
}

const videoStream = (path: string) => probe(path).streams.find((s) => s.codec_type === 'video')!;
const audioStream = (path: string) => probe(path).streams.find((s) => s.codec_type === 'audio');

describe('LoadVideo -> SaveVideo round trip', () => {
  it.each([
    { file: 'h264.mp4', format: 'mp4', codec: 'h264', frames: 50, fps: '25/1', size: [160, 120], audio: 2 },
    { file: 'ntsc.webm', format: 'webm', codec: 'vp9', frames: 45, fps: '30000/1001', size: [128, 96], audio: 1.5 },
    { file: 'mpeg4.avi', format: 'mp4', codec: 'auto', frames: 24, fps: '12/1', size: [64, 64], audio: 0 },
  ])('$file as $format/$codec keeps frames, rate, size, audio and pixels', async (c) => {
    const entry = await runPrompt(engine, saveVideo(c.file, `rt/${c.file}`, c.format, c.codec));
    expect(executionError(entry)).toBeUndefined();
    expect(entry.outputs['2']!.animated).toEqual([true]);
    const out = outputPath(entry, '2');
    expect(out.endsWith(`.${c.format}`)).toBe(true);
    const v = videoStream(out);
    expect(v.codec_name).toBe(c.codec === 'auto' ? 'h264' : c.codec);
    expect(Number(v.nb_read_frames)).toBe(c.frames);
    expect(v.avg_frame_rate).toBe(c.fps);
    expect([v.width, v.height]).toEqual(c.size);
    const a = audioStream(out);
    if (c.audio) expect(Number(a?.duration ?? probe(out).format.duration)).toBeCloseTo(c.audio, 1);
    else expect(a).toBeUndefined();
    for (const index of [0, Math.floor(c.frames / 2), c.frames - 1]) {
      expect(psnr(frameRgb(join(input, c.file), index), frameRgb(out, index))).toBeGreaterThan(30);
    }
  });

  it('stores the prompt and workflow in the container tags', async () => {
    const prompt = saveVideo('mpeg4.avi', 'tags/x', 'auto', 'auto', {}, true);
    const entry = await runPrompt(engine, prompt, { extra_pnginfo: { workflow: { nodes: [{ id: 1 }] } } });
    // auto/auto copies the untouched MPEG-4 Part 2 stream into the mp4, as ComfyUI's
    // VideoFromFile.save_to reuses the streams (docs/media.md, "SaveVideo: copy...").
    expect(videoStream(outputPath(entry, '2')).codec_name).toBe('mpeg4');
    const tags = probe(outputPath(entry, '2')).format.tags!;
    expect(JSON.parse(tags.prompt!)['2'].class_type).toBe('SaveVideo');
    expect(JSON.parse(tags.workflow!)).toEqual({ nodes: [{ id: 1 }] });
  });
});

describe('FlashGraph_LoadVideo options and the component nodes', () => {
  it('skips, thins, caps and resizes frames, and carries the audio through CreateVideo', async () => {
    const entry = await runPrompt(engine, {
      '1': { class_type: 'FlashGraph_LoadVideo', inputs: { file: 'ramp.mp4', skip_first_frames: 5, select_every_nth: 2, frame_load_cap: 15, custom_width: 80 } },
      '2': { class_type: 'GetVideoComponents', inputs: { video: ['1', 0] } },
      '3': { class_type: 'ImageScale', inputs: { image: ['2', 0], upscale_method: 'bilinear', width: 120, height: 0, crop: 'disabled' } },
      '4': { class_type: 'CreateVideo', inputs: { images: ['3', 0], fps: ['2', 2], audio: ['2', 1] } },
      '5': { class_type: 'FlashGraph_SaveVideo', inputs: { video: ['4', 0], filename_prefix: 'extras/x', format: 'mp4', codec: 'h264', crf: 10 } },
    });
    expect(executionError(entry)).toBeUndefined();
    const out = outputPath(entry, '5');
    const v = videoStream(out);
    expect(Number(v.nb_read_frames)).toBe(15);
    expect(v.avg_frame_rate).toBe('25/2');
    expect([v.width, v.height]).toEqual([120, 90]);
    // 15 frames at 12.5 fps = 1.2 s of the source's audio.
    expect(Number(audioStream(out)!.duration)).toBeCloseTo(1.2, 1);
    // Each source frame has its own grey level: output frame j must show source frame 5 + 2j.
    const mean = (rgb: Uint8Array) => rgb.reduce((sum, v) => sum + v, 0) / rgb.length;
    for (const j of [0, 3, 14]) {
      expect(Math.abs(mean(frameRgb(out, j)) - mean(frameRgb(join(input, 'ramp.mp4'), 5 + 2 * j)))).toBeLessThan(2);
    }
  });

  it('resamples with force_rate and keeps the duration', async () => {
    const entry = await runPrompt(engine, saveVideo('h264.mp4', 'rate/x', 'mp4', 'h264', { force_rate: 10 }));
    const v = videoStream(outputPath(entry, '2'));
    expect(v.avg_frame_rate).toBe('10/1');
    expect(Number(v.nb_read_frames)).toBe(20);
  });

  it('re-reads a cached LoadVideo when only the saver changes', async () => {
    await runPrompt(engine, saveVideo('mpeg4.avi', 'cache/a'));
    const second = await runPrompt(engine, saveVideo('mpeg4.avi', 'cache/b'));
    const cached = second.status.messages.find(([t]) => t === 'execution_cached')![1].nodes as string[];
    expect(cached).toContain('1');
    expect(Number(videoStream(outputPath(second, '2')).nb_read_frames)).toBe(24);
  });
});

describe('interruption', () => {
  it('kills the ffmpeg processes and removes the partial file', async () => {
    makeClip(input, 'long.mp4', { width: 320, height: 240, fps: '30', seconds: 20 });
    const prompt = saveVideo('long.mp4', 'interrupted/x', 'mp4', 'h264', {});
    (prompt['2']!.inputs as Record<string, unknown>).preset = 'veryslow';
    const submitted = await engine.runner.submit({ prompt });
    if (!submitted.ok) throw new Error('rejected');
    const progressed = new Promise<void>((resolve) => {
      const off = engine.runner.on((e) => {
        if (e.kind === 'execution' && e.event.type === 'progress' && e.event.data.prompt_id === submitted.promptId) {
          off();
          resolve();
        }
      });
    });
    await progressed;
    expect(childFfmpegs().length).toBeGreaterThan(0);
    engine.runner.interrupt();
    const entry = await engine.runner.waitFor(submitted.promptId);
    expect(entry.status.messages.some(([t]) => t === 'execution_interrupted')).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(childFfmpegs()).toEqual([]);
    const folder = join(base, 'output', 'interrupted');
    expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]);
  }, 60_000);
});

/** ffmpeg processes whose parent is this test process. */
function childFfmpegs(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return stat.includes('(ffmpeg)') && Number(fields[1]) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}
