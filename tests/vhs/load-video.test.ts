// VHS_LoadVideo through the engine: frame counts and pixels of each frame-selection option
// against ffmpeg's own decode, VHS's load formats, the audio and video_info outputs.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { materialize, type Audio, type Image } from '../../types/data.ts';
import { execFileSync } from 'node:child_process';
import { executionError, frameRgb, psnr, runPrompt, tools } from '../media/helpers.ts';

/** Frame 0 centre-cropped to a square and scaled to 60x60 by ffmpeg itself. */
const execCrop = (path: string) =>
  execFileSync(tools.ffmpeg, ['-v', 'error', '-i', path, '-vf', 'crop=120:120:20:0,scale=60:60', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
import { loadInputs, recorder, vhsEngine, type VhsFixture } from './helpers.ts';

let f: VhsFixture;
const rec = recorder();

beforeAll(async () => {
  f = await vhsEngine([rec.node]);
}, 60_000);

/** Runs VHS_LoadVideo (+ VHS_VideoInfo) and records its outputs. */
async function load(video: string, extra: Record<string, unknown> = {}, node = 'VHS_LoadVideo') {
  const entry = await runPrompt(f.engine, {
    '1': { class_type: node, inputs: loadInputs(video, extra) },
    '2': { class_type: 'VhsTestRecord', inputs: { value: ['1', 0] } },
    '3': { class_type: 'VhsTestRecord', inputs: { value: ['1', 1] } },
    '4': { class_type: 'VhsTestRecord', inputs: { value: ['1', 2] } },
    '5': { class_type: 'VhsTestRecord', inputs: { value: ['1', 3] } },
    '6': { class_type: 'VHS_VideoInfo', inputs: { video_info: ['1', 3] } },
    '7': { class_type: 'VhsTestRecord', inputs: { value: ['6', 6] } },
  });
  return { entry, image: rec.values['2'] as Image, count: rec.values['3'] as number, audio: rec.values['4'] as Audio | null, info: rec.values['5'] as Record<string, number>, loadedCount: rec.values['7'] };
}

/** Output frame j is exactly source frame `index` (as ffmpeg decodes it), for each [j, index]. */
async function expectFrames(image: Image, pairs: [number, number][], file = 'clip.mp4') {
  const pixels = await materialize(image);
  const bytes = image.width * image.height * 3;
  for (const [j, index] of pairs) {
    const ours = pixels.data.subarray(j * bytes, (j + 1) * bytes);
    expect(Buffer.compare(Buffer.from(ours), frameRgb(join(f.input, file), index)), `frame ${j} is source frame ${index}`).toBe(0);
  }
}

describe('VHS_LoadVideo frame selection', () => {
  it('loads every frame as ffmpeg decodes it, with frame_count, audio and video_info', async () => {
    const r = await load('clip.mp4');
    expect(executionError(r.entry)).toBeUndefined();
    expect([r.image.count, r.image.width, r.image.height]).toEqual([50, 160, 120]);
    expect(r.count).toBe(50);
    expect(r.loadedCount).toBe(50);
    expect(r.audio?.durationSeconds).toBeCloseTo(2, 1);
    expect(r.info).toEqual({
      source_fps: 25,
      source_frame_count: 50,
      source_duration: 2,
      source_width: 160,
      source_height: 120,
      loaded_fps: 25,
      loaded_frame_count: 50,
      loaded_duration: 2,
      loaded_width: 160,
      loaded_height: 120,
    });
    await expectFrames(r.image, [[0, 0], [1, 1], [24, 24], [49, 49]]);
  });

  it('frame_load_cap keeps the first n frames', async () => {
    const r = await load('clip.mp4', { frame_load_cap: 10 });
    expect(r.count).toBe(10);
    expect(r.audio?.durationSeconds).toBeCloseTo(0.4, 2);
    await expectFrames(r.image, [[0, 0], [5, 5], [9, 9]]);
  });

  it('skip_first_frames drops the first frames', async () => {
    const r = await load('clip.mp4', { skip_first_frames: 5 });
    expect(r.count).toBe(45);
    await expectFrames(r.image, [[0, 5], [1, 6], [44, 49]]);
  });

  it('select_every_nth keeps one frame in n and divides the rate', async () => {
    const r = await load('clip.mp4', { select_every_nth: 3 });
    expect(r.count).toBe(17);
    expect(r.info.loaded_fps).toBeCloseTo(25 / 3, 6);
    await expectFrames(r.image, [[0, 0], [1, 3], [16, 48]]);
  });

  it('force_rate resamples to the new rate (the frame on screen at each time)', async () => {
    const r = await load('clip.mp4', { force_rate: 10 });
    expect(r.count).toBe(20);
    expect(r.info.loaded_fps).toBe(10);
    expect(r.info.loaded_duration).toBeCloseTo(2, 6);
    // Output frame j shows time j/10 s: source frame floor(j * 2.5).
    const pixels = await materialize(r.image);
    const bytes = 160 * 120 * 3;
    for (const j of [0, 1, 7, 19]) {
      expect(Buffer.compare(Buffer.from(pixels.data.subarray(j * bytes, (j + 1) * bytes)), frameRgb(join(f.input, 'clip.mp4'), Math.floor(j * 2.5)))).toBe(0);
    }
  });

  it('combines the options in VHS order: rate, skip, every nth, cap', async () => {
    const r = await load('clip.mp4', { force_rate: 10, skip_first_frames: 2, select_every_nth: 2, frame_load_cap: 5 });
    expect(r.count).toBe(5);
    expect(r.info.loaded_fps).toBe(5);
    const pixels = await materialize(r.image);
    const bytes = 160 * 120 * 3;
    for (const j of [0, 4]) {
      const base = 2 + 2 * j;
      expect(Buffer.compare(Buffer.from(pixels.data.subarray(j * bytes, (j + 1) * bytes)), frameRgb(join(f.input, 'clip.mp4'), Math.floor(base * 2.5)))).toBe(0);
    }
  });

  it('custom_width keeps the aspect; frames match an ffmpeg scale', async () => {
    const r = await load('clip.mp4', { custom_width: 80, frame_load_cap: 3 });
    expect([r.image.width, r.image.height]).toEqual([80, 60]);
    expect(r.info.loaded_width).toBe(80);
    expect(r.info.source_width).toBe(160);
    const pixels = await materialize(r.image);
    expect(psnr(pixels.data.subarray(0, 80 * 60 * 3), frameRgb(join(f.input, 'clip.mp4'), 0, { width: 80, height: 60 }))).toBeGreaterThan(25);
  });

  it('custom_width and custom_height together set both sides, cropping the centre as VHS does', async () => {
    const r = await load('clip.mp4', { custom_width: 60, custom_height: 60, frame_load_cap: 1 });
    expect([r.image.width, r.image.height, r.count]).toEqual([60, 60, 1]);
    // 160x120 to a square: the centre 120x120 is kept, then scaled (not squeezed).
    const pixels = await materialize(r.image);
    const expected = frameRgb(join(f.input, 'clip.mp4'), 0, { width: 60, height: 60 });
    const cropped = execCrop(join(f.input, 'clip.mp4'));
    expect(psnr(pixels.data, cropped)).toBeGreaterThan(24);
    expect(psnr(pixels.data, cropped)).toBeGreaterThan(psnr(pixels.data, expected) + 3);
  });
});

describe('VHS_LoadVideo load formats', () => {
  it('AnimateDiff (the widget default) rounds both sides to multiples of 8', async () => {
    const r = await load('odd.mkv', { format: 'AnimateDiff' });
    expect([r.image.width, r.image.height]).toEqual([104, 72]);
    expect(r.info.source_width).toBe(101);
    expect(r.audio).toBeNull();
  });

  it('None keeps the size of an odd-sized NTSC clip and its exact frames', async () => {
    const r = await load('odd.mkv');
    expect([r.image.width, r.image.height, r.count]).toEqual([101, 75, 30]);
    expect(r.info.source_fps).toBeCloseTo(29.97, 2);
    await expectFrames(r.image, [[0, 0], [29, 29]], 'odd.mkv');
  });

  it('Wan cuts the frame count to 4k+1 and rounds to multiples of 8', async () => {
    const r = await load('clip.mp4', { format: 'Wan' });
    expect(r.count).toBe(49);
    expect([r.image.width, r.image.height]).toEqual([160, 120]);
  });
});

describe('VHS_LoadVideoPath', () => {
  it('loads a path relative to the input folder, or absolute inside it', async () => {
    const rel = await load('clip.mp4', { frame_load_cap: 4 }, 'VHS_LoadVideoPath');
    expect(rel.count).toBe(4);
    const abs = await load(`"${join(f.input, 'clip.mp4')}"`, { frame_load_cap: 2 }, 'VHS_LoadVideoPath');
    expect(abs.count).toBe(2);
  });

  it('refuses a path outside the served folders, naming node and input', async () => {
    const submitted = await f.engine.runner.submit({ prompt: { '1': { class_type: 'VHS_LoadVideoPath', inputs: loadInputs('/etc/passwd') }, '2': { class_type: 'VhsTestRecord', inputs: { value: ['1', 1] } } } });
    expect(submitted.ok).toBe(false);
    expect(JSON.stringify(submitted.nodeErrors)).toContain('outside the input, output and temp folders');
    expect(JSON.stringify(submitted.nodeErrors)).toContain('VHS_LoadVideoPath');
  });
});
