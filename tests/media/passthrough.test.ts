// An untouched VIDEO reaches SaveVideo undecoded: its streams are copied when ComfyUI would copy
// them (same packets, checked with ffmpeg's streamhash), or one ffmpeg re-encodes from the file;
// frames that must be decoded travel in the decoder's pixel format unless a node reads pixels.
// ffmpeg and ffprobe are wrapped by scripts that log every call, so each test sees what ran.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiPrompt, HistoryEntry } from '../../types/api.ts';
import { NATIVE_PIXEL_FORMATS, rawFrameBytes } from '../../server/media/pixel-formats.ts';
import { startEngine, tempDir, type TestEngine } from '../helpers/engine.ts';
import { executionError, frameRgb, makeClip, probe, psnr, runPrompt, tools } from './helpers.ts';

let base: string;
let input: string;
let log: string;
let engine: TestEngine;

beforeAll(async () => {
  base = tempDir();
  input = join(base, 'input');
  mkdirSync(input);
  makeClip(input, 'talk.mp4', { width: 160, height: 120, fps: '25', seconds: 2, tone: 440, extraArgs: ['-metadata', 'title=source title', '-metadata', 'comment=from the camera'] });
  makeClip(input, 'ntsc.webm', { width: 128, height: 96, fps: '30000/1001', seconds: 1.5, codec: 'libvpx-vp9', tone: 880 });
  makeClip(input, 'odd.webm', { width: 63, height: 47, fps: '10', seconds: 1, codec: 'libvpx-vp9' });
  // Every ffmpeg and ffprobe the engine starts is logged, one line of arguments per call.
  log = join(base, 'calls.log');
  const wrappers = join(base, 'bin');
  mkdirSync(wrappers);
  for (const [name, real] of [['ffmpeg', tools.ffmpeg], ['ffprobe', tools.ffprobe]] as const) {
    const path = join(wrappers, name);
    writeFileSync(path, `#!/bin/sh\necho "${name} $*" >> '${log}'\nexec '${real}' "$@"\n`);
    chmodSync(path, 0o755);
  }
  process.env.FLASHGRAPH_FFMPEG = join(wrappers, 'ffmpeg');
  process.env.FLASHGRAPH_FFPROBE = join(wrappers, 'ffprobe');
  engine = await startEngine([], base);
}, 60_000);

beforeEach(() => writeFileSync(log, ''));

/** The ffmpeg runs logged since the test began, without fluent-ffmpeg's capability queries. */
const ffmpegRuns = () =>
  readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('ffmpeg ') && !/^ffmpeg -(formats|encoders|codecs|filters)$/.test(line));

/** SHA-256 of every packet of the file's video or audio streams (ffmpeg's streamhash muxer). */
function streamHash(path: string, kind: 'v' | 'a'): string {
  const out = execFileSync(tools.ffmpeg, ['-v', 'error', '-i', path, '-map', `0:${kind}`, '-c', 'copy', '-f', 'streamhash', '-hash', 'sha256', '-'], { encoding: 'utf8' });
  // "0,v,SHA256=..." -> "v,SHA256=...": stream numbers may differ between files.
  return out.trim().replace(/^\d+,/gm, '');
}

function outputPath(entry: HistoryEntry, node: string): string {
  const ref = entry.outputs[node]!.images![0] as { filename: string; subfolder: string };
  return join(base, 'output', ref.subfolder, ref.filename);
}

async function save(prompt: ApiPrompt, node = '9'): Promise<string> {
  const entry = await runPrompt(engine, prompt, { extra_pnginfo: { workflow: { nodes: [{ id: 9 }] } } });
  expect(executionError(entry)).toBeUndefined();
  return outputPath(entry, node);
}

// ComfyUI's SaveVideo offers mp4/h264 only; webm, vp9, crf and preset are FlashGraph_SaveVideo's.
const saver = (video: [string, number], format = 'auto', codec = 'auto', extra: Record<string, unknown> = {}) => ({
  class_type: format === 'webm' || codec === 'vp9' || Object.keys(extra).length > 0 ? 'FlashGraph_SaveVideo' : 'SaveVideo',
  inputs: { video, filename_prefix: 'pass/x', format, codec, ...extra },
});

const streams = (path: string) => probe(path).streams;

describe('SaveVideo copies the streams of an untouched video, as ComfyUI does', () => {
  // ComfyUI: comfy_api/latest/_input_impl/video_types.py (Comfy-Org/ComfyUI a125cd84), lines
  // 196-199: VideoFromFile.save_to reuses the streams unless the format asked for is not the
  // source container or the codec asked for is not the source codec; lines 215-226 keep the
  // source's container tags under the new ones.
  it.each([
    ['auto', 'auto'],
    ['mp4', 'h264'],
  ])('LoadVideo -> SaveVideo %s/%s keeps the packets of both streams, with no decode', async (format, codec) => {
    const out = await save({ '1': { class_type: 'LoadVideo', inputs: { file: 'talk.mp4' } }, '9': saver(['1', 0], format, codec) });
    const source = join(input, 'talk.mp4');
    expect(out.endsWith('.mp4')).toBe(true);
    expect(streamHash(out, 'v')).toBe(streamHash(source, 'v'));
    expect(streamHash(out, 'a')).toBe(streamHash(source, 'a'));
    // One ffmpeg ran: the copy. Nothing was decoded to raw frames or samples.
    const runs = ffmpegRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toContain('-c:v copy -c:a copy');
    const tags = probe(out).format.tags!;
    expect(JSON.parse(tags.prompt!)['9'].class_type).toBe('SaveVideo');
    expect(JSON.parse(tags.workflow!)).toEqual({ nodes: [{ id: 9 }] });
    expect([tags.title, tags.comment]).toEqual(['source title', 'from the camera']);
  });

  it('GetVideoComponents -> CreateVideo with the untouched components re-muxes too', async () => {
    const out = await save({
      '1': { class_type: 'LoadVideo', inputs: { file: 'talk.mp4' } },
      '2': { class_type: 'GetVideoComponents', inputs: { video: ['1', 0] } },
      '3': { class_type: 'CreateVideo', inputs: { images: ['2', 0], fps: ['2', 2], audio: ['2', 1] } },
      '9': saver(['3', 0]),
    });
    const source = join(input, 'talk.mp4');
    expect(streamHash(out, 'v')).toBe(streamHash(source, 'v'));
    expect(streamHash(out, 'a')).toBe(streamHash(source, 'a'));
    expect(ffmpegRuns()).toHaveLength(1);
  });

  it('a VP9 webm saved as webm/vp9 keeps its VP9 and Opus packets', async () => {
    const out = await save({ '1': { class_type: 'LoadVideo', inputs: { file: 'ntsc.webm' } }, '9': saver(['1', 0], 'webm', 'vp9') });
    const source = join(input, 'ntsc.webm');
    expect(out.endsWith('.webm')).toBe(true);
    expect(streamHash(out, 'v')).toBe(streamHash(source, 'v'));
    expect(streamHash(out, 'a')).toBe(streamHash(source, 'a'));
  });

  it('on auto, VP9 goes into the mp4 as it is and Opus, which our mp4 does not take, is encoded to AAC', async () => {
    const out = await save({ '1': { class_type: 'LoadVideo', inputs: { file: 'ntsc.webm' } }, '9': saver(['1', 0]) });
    expect(out.endsWith('.mp4')).toBe(true);
    expect(streamHash(out, 'v')).toBe(streamHash(join(input, 'ntsc.webm'), 'v'));
    expect(streams(out).map((s) => s.codec_name)).toEqual(['vp9', 'aac']);
    expect(ffmpegRuns()[0]).toContain('-c:v copy -c:a aac');
  });
});

describe('re-encoding', () => {
  it('a crf asks for an encode: one ffmpeg reads the file, every frame kept at its rate', async () => {
    const out = await save({ '1': { class_type: 'LoadVideo', inputs: { file: 'ntsc.webm' } }, '9': saver(['1', 0], 'mp4', 'h264', { crf: 14, preset: 'ultrafast' }) });
    const runs = ffmpegRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toContain(`-i ${join(input, 'ntsc.webm')}`);
    expect(runs[0]).toContain('libx264');
    expect(runs[0]).not.toContain('rawvideo');
    const video = streams(out).find((s) => s.codec_type === 'video')!;
    expect([video.codec_name, video.avg_frame_rate, Number(video.nb_read_frames)]).toEqual(['h264', '30000/1001', 45]);
    for (const index of [0, 22, 44]) expect(psnr(frameRgb(join(input, 'ntsc.webm'), index), frameRgb(out, index))).toBeGreaterThan(30);
  });

  it('a new frame rate decodes, in the source pixel format, never in RGB', async () => {
    const out = await save({
      '1': { class_type: 'LoadVideo', inputs: { file: 'talk.mp4' } },
      '2': { class_type: 'GetVideoComponents', inputs: { video: ['1', 0] } },
      '3': { class_type: 'CreateVideo', inputs: { images: ['2', 0], fps: 10, audio: ['2', 1] } },
      '9': saver(['3', 0], 'auto', 'auto', { preset: 'ultrafast' }),
    });
    const runs = ffmpegRuns();
    expect(runs.some((r) => r.includes('-pix_fmt yuv420p -f rawvideo'))).toBe(true);
    expect(runs.join('\n')).not.toContain('rgb24');
    const video = streams(out).find((s) => s.codec_type === 'video')!;
    expect([video.avg_frame_rate, Number(video.nb_read_frames)]).toEqual(['10/1', 50]);
    for (const index of [0, 49]) expect(psnr(frameRgb(join(input, 'talk.mp4'), index), frameRgb(out, index))).toBeGreaterThan(30);
  });

  it('selected frames of an odd-sized clip travel as yuv420p (rounded-up chroma) and are cropped to even sides for H.264', async () => {
    const out = await save({ '1': { class_type: 'FlashGraph_LoadVideo', inputs: { file: 'odd.webm', skip_first_frames: 2, frame_load_cap: 5 } }, '9': saver(['1', 0], 'mp4', 'h264', { crf: 10 }) });
    expect(ffmpegRuns().join('\n')).not.toContain('rgb24');
    const video = streams(out).find((s) => s.codec_type === 'video')!;
    expect([video.width, video.height, Number(video.nb_read_frames)]).toEqual([62, 46, 5]);
    // The reference is cropped before its conversion to RGB, as ffmpeg converts odd widths apart.
    const sourceFrame = (index: number) =>
      execFileSync(tools.ffmpeg, ['-v', 'error', '-i', join(input, 'odd.webm'), '-vf', `select=eq(n\\,${index}),crop=62:46:0:0`, '-vsync', 'passthrough', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
    for (const j of [0, 4]) expect(psnr(sourceFrame(2 + j), frameRgb(out, j))).toBeGreaterThan(30);
  });

  it('a Video Slice is cut in the decoder format: the output starts at the first frame of the window', async () => {
    const out = await save({
      '1': { class_type: 'LoadVideo', inputs: { file: 'talk.mp4' } },
      '2': { class_type: 'Video Slice', inputs: { video: ['1', 0], start_time: 0.8, duration: 0.4, strict_duration: false } },
      '9': saver(['2', 0], 'mp4', 'h264', { crf: 12, preset: 'ultrafast' }),
    });
    expect(ffmpegRuns().join('\n')).not.toContain('rgb24');
    const video = streams(out).find((s) => s.codec_type === 'video')!;
    expect(Number(video.nb_read_frames)).toBe(10);
    // 0.8 s at 25 fps is frame 20; the window holds frames 20..29.
    for (const j of [0, 9]) expect(psnr(frameRgb(join(input, 'talk.mp4'), 20 + j), frameRgb(out, j))).toBeGreaterThan(30);
  });

  it('a node that reads pixels gets RGB; the saver beside it still takes the undecoded file', async () => {
    const out = await save({
      '1': { class_type: 'LoadVideo', inputs: { file: 'talk.mp4' } },
      '2': { class_type: 'GetVideoComponents', inputs: { video: ['1', 0] } },
      '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'pass/frames' } },
      '9': saver(['1', 0]),
    });
    const runs = ffmpegRuns();
    expect(runs.filter((r) => r.includes('-pix_fmt rgb24'))).toHaveLength(1);
    expect(runs.filter((r) => r.includes('-c:v copy'))).toHaveLength(1);
    expect(streamHash(out, 'v')).toBe(streamHash(join(input, 'talk.mp4'), 'v'));
  });
});

it('raw frame sizes of the pixel formats frames travel in are what ffmpeg writes (odd sides round chroma up)', () => {
  for (const pixFmt of NATIVE_PIXEL_FORMATS) {
    const frame = execFileSync(tools.ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=63x47:rate=1', '-frames:v', '1', '-pix_fmt', pixFmt, '-f', 'rawvideo', '-']);
    expect(rawFrameBytes(pixFmt, 63, 47), pixFmt).toBe(frame.length);
  }
  expect(rawFrameBytes('yuva420p', 64, 48)).toBeUndefined();
});
