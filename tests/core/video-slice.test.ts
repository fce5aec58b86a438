// "Video Slice": schema against ComfyUI's, and windows of a real clip (frames compared with ffmpeg's
// own decode, sound cut from the file, the saved result probed), in-memory sound, and bad windows.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { audioFromWaveform, materialize, type Audio, type Image, type Video } from '../../types/data.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { tempDir } from '../helpers/engine.ts';
import { frameRgb, makeClip, probe } from '../media/helpers.ts';
import { coreEngine, expectSchema, pixels, type CoreEngine } from './helpers.ts';

let core: CoreEngine;
let base: string;
let clip: string;

/** A ramp 0, 1/16000, 2/16000... held in memory: sample i is i / 16000 on both channels. */
const RampAudio: NodeDefinition = {
  type: 'TestRampAudio',
  inputs: { required: { seconds: { type: 'FLOAT', default: 2 } } },
  outputs: [{ type: 'AUDIO' }],
  execute: ({ seconds }) => {
    const n = Math.round(seconds * 16000);
    const data = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) data[i] = data[n + i] = i / 16000;
    return [audioFromWaveform({ data, shape: [1, 2, n] }, 16000)];
  },
};

beforeAll(async () => {
  base = tempDir();
  mkdirSync(join(base, 'input'));
  // 20 frames at 10 fps (testsrc: every frame differs) with a 2 s tone.
  clip = makeClip(join(base, 'input'), 'clip.mp4', { width: 64, height: 48, fps: '10', seconds: 2, tone: 440 });
  core = await coreEngine(base, [RampAudio]);
}, 30_000);

const slice = (start_time: number, duration: number, strict_duration = false, video: [string, number] = ['1', 0]) => ({
  class_type: 'Video Slice',
  inputs: { video, start_time, duration, strict_duration },
});
const load = { class_type: 'LoadVideo', inputs: { file: 'clip.mp4' } };

async function frames(video: Video): Promise<Buffer[]> {
  const data = (await materialize(video.images, { chunkFrames: 3 })).data;
  const size = video.width * video.height * 3;
  return Array.from({ length: video.frameCount }, (_, i) => Buffer.from(data.subarray(i * size, (i + 1) * size)));
}

describe('Video Slice', () => {
  it("has ComfyUI's class name and widgets", () => {
    expectSchema(core.engine, 'Video Slice', {
      required: {
        video: ['VIDEO'],
        start_time: ['FLOAT', { default: 0, min: -1e5, max: 1e5, step: 0.001, tooltip: expect.any(String) }],
        duration: ['FLOAT', { default: 0, min: 0, step: 0.001, tooltip: expect.any(String) }],
        strict_duration: ['BOOLEAN', { default: false, tooltip: expect.any(String) }],
      },
      output: ['VIDEO'],
      output_name: ['VIDEO'],
      display_name: 'Video Slice',
      category: 'image/video',
    });
  });

  it('keeps the frames starting inside the window and the sound of the window; saves as a 1 s clip', async () => {
    const [middle, tail] = (await core.run(
      {
        '1': load,
        '2': slice(0.5, 1),
        '3': slice(-0.5, 0),
        '4': { class_type: 'SaveVideo', inputs: { video: ['2', 0], filename_prefix: 'sliced', format: 'mp4', codec: 'h264' } },
      },
      [['2', 0], ['3', 0]],
    )) as [Video, Video];
    // 0.5 s at 10 fps is frame 5; 1 s later is frame 15, not included.
    expect(middle.frameCount).toBe(10);
    expect(middle.durationSeconds).toBeCloseTo(1, 9);
    const got = await frames(middle);
    expect(got[0]!.equals(frameRgb(clip, 5))).toBe(true);
    expect(got[9]!.equals(frameRgb(clip, 14))).toBe(true);
    expect(middle.audio!.file).toMatchObject({ startSeconds: 0.5, durationSeconds: 1 });
    // -0.5 s: the last half second, frames 15..19, and its sound.
    expect(tail.frameCount).toBe(5);
    expect((await frames(tail))[0]!.equals(frameRgb(clip, 15))).toBe(true);
    expect(tail.audio!.file).toMatchObject({ startSeconds: 1.5 });
    expect(tail.audio!.durationSeconds).toBeCloseTo(0.5, 6);
    const file = probe(join(base, 'output', 'sliced_00001_.mp4'));
    const video = file.streams.find((s) => s.codec_type === 'video')!;
    expect(Number(video.nb_read_frames)).toBe(10);
    expect(Number(file.streams.find((s) => s.codec_type === 'audio')!.duration)).toBeCloseTo(1, 1);
  });

  it('gives a shorter slice past the end unless strict_duration, and cuts sound held in memory by samples', async () => {
    const [short, cut] = (await core.run(
      {
        '1': load,
        '2': slice(1.5, 1),
        '5': pixels(2, 2, 20, (f) => [f, f, f]),
        '6': { class_type: 'TestRampAudio', inputs: { seconds: 2 } },
        '7': { class_type: 'CreateVideo', inputs: { images: ['5', 0], fps: 10, audio: ['6', 0] } },
        '8': slice(0.25, 1, false, ['7', 0]),
      },
      [['2', 0], ['8', 0]],
    )) as [Video, Video];
    expect(short.frameCount).toBe(5);
    // 0.25 s at 10 fps: frames 3..12 start inside [0.25, 1.25).
    expect(cut.frameCount).toBe(10);
    expect((await materialize(cut.images as Image)).data[0]).toBe(3);
    const waveform = await (cut.audio as Audio).waveform();
    // int(0.25 * 16000) = 4000 samples skipped, int(1 * 16000) kept, per channel.
    expect(waveform.shape).toEqual([1, 2, 16000]);
    expect(waveform.data[0]).toBe(Math.fround(4000 / 16000));
    expect(waveform.data[16000]).toBe(Math.fround(4000 / 16000));
    expect(waveform.data[15999]).toBe(Math.fround(19999 / 16000));
  });

  it('names the input when the window is impossible', async () => {
    const strict = await core.fail({ '1': load, '2': slice(1.5, 1, true), '3': { class_type: 'GetVideoComponents', inputs: { video: ['2', 0] } }, '4': { class_type: 'PreviewImage', inputs: { images: ['3', 0] } } });
    expect(strict.node_type).toBe('Video Slice');
    expect(strict.exception_message).toMatch(/^Video Slice: input "duration": 1 s from 1\.500 s is longer than what is left of the 2\.000 s video/);
    const late = await core.fail({ '1': load, '2': slice(5, 0), '3': { class_type: 'GetVideoComponents', inputs: { video: ['2', 0] } }, '4': { class_type: 'PreviewImage', inputs: { images: ['3', 0] } } });
    expect(late.exception_message).toMatch(/^Video Slice: input "start_time": the window from 5\.000 s holds no frame of the 2\.000 s video/);
  });
});
