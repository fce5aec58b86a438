// VHS_LoadVideoFFmpeg / VHS_LoadVideoFFmpegPath against ffmpeg's own decode with VHS's arguments
// (output -ss start_time, fps filter, -frames:v cap): frames, the MASK (alpha or 64x64 zeros),
// audio and video_info; path confinement.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { materialize, type Audio, type Image, type Mask } from '../../types/data.ts';
import type { VhsVideoInfo } from '../../nodes/vhs/load-video.ts';
import { executionError, runPrompt, tools } from '../media/helpers.ts';
import { recorder, vhsEngine, type VhsFixture } from './helpers.ts';

let f: VhsFixture;
const rec = recorder();

beforeAll(async () => {
  f = await vhsEngine([rec.node]);
  // 64x48 at 10 fps, lossless RGBA PNG frames whose alpha is 4 * x.
  execFileSync(tools.ffmpeg, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10', '-t', '1', '-vf', "format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='4*X'", '-c:v', 'png', '-pix_fmt', 'rgba', join(f.input, 'alpha.mov')]);
  const rgba = Buffer.alloc(10 * 6 * 4);
  for (let p = 0; p < 60; p++) rgba.set([p * 4, 255 - p * 4, 7, p * 4 + 3], p * 4);
  await sharp(rgba, { raw: { width: 10, height: 6, channels: 4 } }).png().toFile(join(f.input, 'still.png'));
  mkdirSync(join(f.base, 'elsewhere'));
  execFileSync('cp', [join(f.input, 'clip.mp4'), join(f.base, 'elsewhere', 'clip.mp4')]);
}, 60_000);

/** What ffmpeg gives with VHS's FFmpeg-loader arguments, as RGB (or alpha) bytes. */
function ffmpegDecode(path: string, o: { start?: number; rate?: number; cap?: number; alpha?: boolean }): Buffer {
  const args = ['-v', 'error', '-an', '-i', path];
  if (o.start) args.push('-ss', String(o.start));
  const filters = [o.rate ? `fps=fps=${o.rate}` : '', o.alpha ? 'alphaextract' : ''].filter(Boolean);
  if (filters.length) args.push('-vf', filters.join(','));
  if (o.cap) args.push('-frames:v', String(o.cap));
  args.push('-f', 'rawvideo', '-pix_fmt', o.alpha ? 'gray' : 'rgb24', '-');
  return execFileSync(tools.ffmpeg, args, { maxBuffer: 1 << 28 });
}

function inputs(video: string, extra: Record<string, unknown> = {}) {
  return { video, force_rate: 0, custom_width: 0, custom_height: 0, frame_load_cap: 0, start_time: 0, format: 'None', ...extra };
}

async function load(node: string, args: Record<string, unknown>) {
  const entry = await runPrompt(f.engine, {
    l: { class_type: node, inputs: args },
    r0: { class_type: 'VhsTestRecord', inputs: { value: ['l', 0] } },
    r1: { class_type: 'VhsTestRecord', inputs: { value: ['l', 1] } },
    r2: { class_type: 'VhsTestRecord', inputs: { value: ['l', 2] } },
    r3: { class_type: 'VhsTestRecord', inputs: { value: ['l', 3] } },
  });
  return { entry, image: rec.values.r0 as Image, mask: rec.values.r1 as Mask, audio: rec.values.r2 as Audio | null, info: rec.values.r3 as VhsVideoInfo };
}

describe('VHS_LoadVideoFFmpeg', () => {
  it('starts at start_time and caps, as ffmpeg -ss does; 64x64 zero masks without alpha', async () => {
    const { entry, image, mask, audio, info } = await load('VHS_LoadVideoFFmpeg', inputs('clip.mp4', { start_time: 0.5, frame_load_cap: 5 }));
    expect(executionError(entry)).toBeUndefined();
    const expected = ffmpegDecode(join(f.input, 'clip.mp4'), { start: 0.5, cap: 5 });
    expect([image.count, image.width, image.height]).toEqual([5, 160, 120]);
    expect(Buffer.from((await materialize(image)).data).equals(expected)).toBe(true);
    expect([mask.count, mask.width, mask.height]).toEqual([5, 64, 64]);
    expect(mask.data.every((v) => v === 0)).toBe(true);
    expect(audio?.durationSeconds).toBeCloseTo(0.2, 2);
    expect(info.loaded_frame_count).toBe(5);
    expect(info.loaded_fps).toBe(25);
    expect(info.source_fps).toBe(25);
    expect(info.source_duration).toBeCloseTo(2, 1);
  });

  it('applies force_rate before the start_time cut', async () => {
    const { image, info } = await load('VHS_LoadVideoFFmpeg', inputs('clip.mp4', { start_time: 0.75, force_rate: 10, frame_load_cap: 4 }));
    const expected = ffmpegDecode(join(f.input, 'clip.mp4'), { start: 0.75, rate: 10, cap: 4 });
    expect(image.count).toBe(4);
    expect(Buffer.from((await materialize(image)).data).equals(expected)).toBe(true);
    expect(info.loaded_fps).toBe(10);
    expect(info.loaded_duration).toBeCloseTo(0.4, 9);
  });

  it('a custom size crops the centre to the new aspect and scales, with the filters VHS writes', async () => {
    const { image, info } = await load('VHS_LoadVideoFFmpeg', inputs('clip.mp4', { custom_width: 80, custom_height: 80, frame_load_cap: 3 }));
    // VHS's ffmpeg arguments for 160x120 -> 80x80 (Python writes the aspect as 1.0).
    const expected = execFileSync(tools.ffmpeg, ['-v', 'error', '-an', '-i', join(f.input, 'clip.mp4'), '-vf', 'crop=if(gt(1.0\\,a)\\,iw\\,ih*1.0):if(gt(1.0\\,a)\\,iw/1.0\\,ih),scale=80:80', '-frames:v', '3', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 28 });
    expect([image.count, image.width, image.height]).toEqual([3, 80, 80]);
    expect(Buffer.from((await materialize(image)).data).equals(expected)).toBe(true);
    expect([info.loaded_width, info.loaded_height, info.source_width, info.source_height]).toEqual([80, 80, 160, 120]);
  });

  it('gives MASK = 1 - alpha for a video with alpha', async () => {
    const { entry, image, mask } = await load('VHS_LoadVideoFFmpeg', inputs('alpha.mov', { start_time: 0.3 }));
    expect(executionError(entry)).toBeUndefined();
    const rgb = ffmpegDecode(join(f.input, 'alpha.mov'), { start: 0.3 });
    const alpha = ffmpegDecode(join(f.input, 'alpha.mov'), { start: 0.3, alpha: true });
    expect(image.count).toBe(rgb.length / (64 * 48 * 3));
    expect(Buffer.from((await materialize(image)).data).equals(rgb)).toBe(true);
    expect([mask.count, mask.width, mask.height]).toEqual([image.count, 64, 48]);
    expect(Array.from(mask.data.subarray(0, 4))).toEqual([1, 1 - 4 / 255, 1 - 8 / 255, 1 - 12 / 255].map(Math.fround));
    expect(mask.data.every((v, i) => v === Math.fround(1 - alpha[i]! / 255))).toBe(true);
  });

  it('a start_time past the end is an error naming the node and input', async () => {
    const { entry } = await load('VHS_LoadVideoFFmpeg', inputs('clip.mp4', { start_time: 5 }));
    const error = executionError(entry)!;
    expect(error.node_type).toBe('VHS_LoadVideoFFmpeg');
    expect(String(error.exception_message)).toContain('VHS_LoadVideoFFmpeg: input "video": clip.mp4: No frames generated');
  });
});

describe('VHS_LoadVideoFFmpegPath', () => {
  it('loads by path and refuses files outside input/output/temp', async () => {
    const { entry, image } = await load('VHS_LoadVideoFFmpegPath', inputs(join(f.input, 'clip.mp4'), { frame_load_cap: 2 }));
    expect(executionError(entry)).toBeUndefined();
    expect(image.count).toBe(2);
    const submitted = await f.engine.runner.submit({
      prompt: { l: { class_type: 'VHS_LoadVideoFFmpegPath', inputs: inputs(join(f.base, 'elsewhere', 'clip.mp4')) }, r: { class_type: 'VhsTestRecord', inputs: { value: ['l', 0] } } },
    });
    expect(submitted.ok).toBe(false);
    expect(JSON.stringify(submitted.nodeErrors)).toContain('outside the input, output and temp folders');
  });
});

describe('VHS_LoadImagePath', () => {
  it('loads an image with its alpha as MASK = 1 - alpha', async () => {
    const entry = await runPrompt(f.engine, {
      l: { class_type: 'VHS_LoadImagePath', inputs: { image: 'still.png', custom_width: 0, custom_height: 0 } },
      r0: { class_type: 'VhsTestRecord', inputs: { value: ['l', 0] } },
      r1: { class_type: 'VhsTestRecord', inputs: { value: ['l', 1] } },
    });
    expect(executionError(entry)).toBeUndefined();
    const image = rec.values.r0 as Image;
    const mask = rec.values.r1 as Mask;
    expect([image.count, image.width, image.height]).toEqual([1, 10, 6]);
    const rgb = (await materialize(image)).data;
    expect(Array.from(rgb.subarray(0, 6))).toEqual([0, 255, 7, 4, 251, 7]);
    expect([mask.count, mask.width, mask.height]).toEqual([1, 10, 6]);
    expect(Array.from(mask.data.subarray(0, 2))).toEqual([1 - 3 / 255, 1 - 7 / 255].map(Math.fround));
  });

  it('refuses paths outside input/output/temp, naming the image input', async () => {
    const submitted = await f.engine.runner.submit({
      prompt: { l: { class_type: 'VHS_LoadImagePath', inputs: { image: '../elsewhere/x.png', custom_width: 0, custom_height: 0 } }, r: { class_type: 'VhsTestRecord', inputs: { value: ['l', 0] } } },
    });
    expect(submitted.ok).toBe(false);
    expect(JSON.stringify(submitted.nodeErrors)).toContain('image is not a valid path');
  });
});
