// VHS_VideoCombine through the engine: each format checked with ffprobe (or sharp for the animated
// images), loop and pingpong frame counts, audio muxing, the ui.gifs entry, the Filenames output,
// save_output, metadata, and errors that name the node and input.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { executionError, probe, runPrompt } from '../media/helpers.ts';
import { tools } from '../media/helpers.ts';
import { execFileSync } from 'node:child_process';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { loadInputs, recorder, vhsEngine, type VhsFixture } from './helpers.ts';

let f: VhsFixture;
const rec = recorder();
const hasEncoder = (name: string) => execFileSync(tools.ffmpeg, ['-hide_banner', '-encoders'], { encoding: 'utf8' }).includes(` ${name} `);

beforeAll(async () => {
  const source = (type: string, output: string): NodeDefinition => ({ type, outputs: [{ type: output }], execute: () => [{}] });
  f = await vhsEngine([rec.node, source('VhsTestVae', 'VAE'), source('VhsTestBatch', 'VHS_BatchManager')]);
}, 60_000);

interface Gif {
  filename: string;
  subfolder: string;
  type: string;
  format: string;
  frame_rate: number;
  workflow: string;
  fullpath: string;
}

async function combine(format: string, o: { frames?: number; loop?: number; pingpong?: boolean; audio?: boolean; saveOutput?: boolean; video?: string; widgets?: Record<string, unknown>; prefix?: string } = {}) {
  const entry = await runPrompt(
    f.engine,
    {
      '1': { class_type: 'VHS_LoadVideo', inputs: loadInputs(o.video ?? 'clip.mp4', { frame_load_cap: o.frames ?? 10 }) },
      '2': {
        class_type: 'VHS_VideoCombine',
        inputs: {
          images: ['1', 0],
          ...(o.audio && { audio: ['1', 2] }),
          frame_rate: 8,
          loop_count: o.loop ?? 0,
          filename_prefix: o.prefix ?? `vhs/${format.replace('/', '-')}`,
          format,
          pingpong: o.pingpong ?? false,
          save_output: o.saveOutput ?? true,
          ...o.widgets,
        },
      },
      '3': { class_type: 'VhsTestRecord', inputs: { value: ['2', 0] } },
    },
    { extra_pnginfo: { workflow: { nodes: [], extra: {} } } },
  );
  const gif = (entry.outputs['2']?.gifs?.[0] ?? undefined) as Gif | undefined;
  return { entry, gif, filenames: rec.values['3'] as [boolean, string[]] };
}

const stream = (path: string, type: string) => probe(path).streams.find((s) => s.codec_type === type);

describe('VHS_VideoCombine formats', () => {
  it.each([
    { format: 'video/h264-mp4', codec: 'h264', ext: 'mp4', pix: 'yuv420p' },
    { format: 'video/h265-mp4', codec: 'hevc', ext: 'mp4', pix: 'yuv420p10le', encoder: 'libx265' },
    { format: 'video/webm', codec: 'vp9', ext: 'webm', pix: 'yuv420p' },
    { format: 'video/ProRes', codec: 'prores', ext: 'mov', pix: 'yuv422p10le' },
    { format: 'video/ffmpeg-gif', codec: 'gif', ext: 'gif', pix: 'bgra' },
  ])('$format: codec, frame count, rate, size and the ui.gifs entry', async (c) => {
    if (c.encoder && !hasEncoder(c.encoder)) return;
    const { entry, gif, filenames } = await combine(c.format);
    expect(executionError(entry)).toBeUndefined();
    expect(gif).toMatchObject({ subfolder: 'vhs', type: 'output', format: c.format, frame_rate: 8 });
    expect(gif!.filename).toMatch(new RegExp(`^${c.format.replace('/', '-')}_\\d{5}\\.${c.ext}$`));
    expect(gif!.workflow).toBe(gif!.filename.replace(/\.\w+$/, '.png'));
    expect(gif!.fullpath).toBe(join(f.base, 'output', 'vhs', gif!.filename));
    const v = stream(gif!.fullpath, 'video')!;
    expect(v.codec_name).toBe(c.codec);
    expect(Number(v.nb_read_frames)).toBe(10);
    // GIF delays are whole centiseconds (1/8 s is stored as 12 or 13).
    if (c.codec !== 'gif') expect(v.avg_frame_rate).toBe('8/1');
    expect([v.width, v.height]).toEqual([160, 120]);
    expect((v as { pix_fmt?: string }).pix_fmt).toBe(c.pix);
    expect(stream(gif!.fullpath, 'audio')).toBeUndefined();
    // Filenames: [save_output, [workflow png, video]]; the png holds the workflow.
    expect(filenames).toEqual([true, [join(f.base, 'output', 'vhs', gif!.workflow), gif!.fullpath]]);
    const png = readFileSync(filenames[1][0]!);
    expect(png.includes(Buffer.from('workflow'))).toBe(true);
  });

  it('image/gif: an animated GIF with the loop count in the file (no repeated frames)', async () => {
    const { gif } = await combine('image/gif', { loop: 3 });
    const meta = await sharp(gif!.fullpath, { animated: true }).metadata();
    expect(meta.format).toBe('gif');
    expect(meta.pages).toBe(10);
    // The NETSCAPE block holds the repeat count as VHS (Pillow) writes it; libvips reports plays (+1).
    const file = readFileSync(gif!.fullpath);
    const at = file.indexOf('NETSCAPE2.0');
    expect(file.readUInt16LE(at + 13)).toBe(3);
    expect(meta.loop).toBe(4);
    expect([120, 130]).toContain(meta.delay?.[0]); // 1/8 s in whole centiseconds
    expect([meta.width, meta.pageHeight]).toEqual([160, 120]);
  });

  it('image/webp: lossless by default, pingpong frames, infinite loop', async () => {
    const { gif } = await combine('image/webp', { pingpong: true });
    const meta = await sharp(gif!.fullpath, { animated: true }).metadata();
    expect(meta.format).toBe('webp');
    expect(meta.pages).toBe(18);
    expect(meta.loop).toBe(0);
    expect(meta.delay?.[0]).toBe(125);
  });

  it('format widgets from the prompt: pix_fmt and crf of h264-mp4', async () => {
    const { gif } = await combine('video/h264-mp4', { widgets: { pix_fmt: 'yuv420p10le', crf: 30 } });
    expect((stream(gif!.fullpath, 'video') as { pix_fmt?: string }).pix_fmt).toBe('yuv420p10le');
  });

  it('ProRes profile 4444 encodes 4:4:4', async () => {
    const { gif } = await combine('video/ProRes', { widgets: { profile: '4444' } });
    expect((stream(gif!.fullpath, 'video') as { pix_fmt?: string }).pix_fmt).toMatch(/^yuv444p1[02]le$/); // the decoder reports 4444 as 12-bit
  });
});

describe('VHS_VideoCombine loop, pingpong, audio, padding, metadata', () => {
  it('loop_count repeats the frames of a video (n * (loop + 1))', async () => {
    const { gif } = await combine('video/h264-mp4', { loop: 2 });
    expect(Number(stream(gif!.fullpath, 'video')!.nb_read_frames)).toBe(30);
  });

  it('pingpong plays forward then back without repeating the ends (2n - 2), then loops', async () => {
    const { gif } = await combine('video/h264-mp4', { pingpong: true, loop: 1 });
    expect(Number(stream(gif!.fullpath, 'video')!.nb_read_frames)).toBe(36);
  });

  it('audio is muxed into a "-audio" file, padded to the video length', async () => {
    const { entry, gif, filenames } = await combine('video/h264-mp4', { audio: true, frames: 16 });
    expect(executionError(entry)).toBeUndefined();
    expect(gif!.filename).toMatch(/-audio\.mp4$/);
    expect(filenames[1]).toHaveLength(3);
    const a = stream(gif!.fullpath, 'audio')!;
    expect(a.codec_name).toBe('aac');
    expect(Number(probe(gif!.fullpath).format.duration)).toBeCloseTo(2, 1);
    expect(stream(filenames[1][1]!, 'audio')).toBeUndefined();
  });

  it('webm takes vorbis audio', async () => {
    const { gif } = await combine('video/webm', { audio: true, frames: 16 });
    expect(stream(gif!.fullpath, 'audio')!.codec_name).toBe('vorbis');
  });

  it.each([
    { trim: false, min: 1.9, max: 2.1 },
    // -shortest with a copied video stream stops at the next packet boundaries (as in VHS).
    { trim: true, min: 0.45, max: 1.1 },
  ])('a 0.5 s sound from VHS_LoadAudioUpload with trim_to_audio $trim: $min..$max s', async (c) => {
    const entry = await runPrompt(f.engine, {
      '1': { class_type: 'VHS_LoadVideo', inputs: loadInputs('clip.mp4', { frame_load_cap: 16 }) },
      '4': { class_type: 'VHS_LoadAudioUpload', inputs: { audio: 'clip.mp4', start_time: 0.25, duration: 0.5 } },
      '2': { class_type: 'VHS_VideoCombine', inputs: { images: ['1', 0], audio: ['4', 0], frame_rate: 8, loop_count: 0, filename_prefix: `trim/${c.trim}`, format: 'video/h264-mp4', pingpong: false, save_output: true, trim_to_audio: c.trim } },
      '5': { class_type: 'VhsTestRecord', inputs: { value: ['4', 1] } },
    });
    expect(executionError(entry)).toBeUndefined();
    expect(rec.values['5']).toBeCloseTo(0.5, 3);
    const gif = entry.outputs['2']!.gifs![0] as Gif;
    const seconds = Number(probe(gif.fullpath).format.duration);
    expect(seconds).toBeGreaterThanOrEqual(c.min);
    expect(seconds).toBeLessThanOrEqual(c.max);
  });

  it('odd frame sizes are padded to even by repeating the edge', async () => {
    const { gif } = await combine('video/h264-mp4', { video: 'odd.mkv' });
    const v = stream(gif!.fullpath, 'video')!;
    expect([v.width, v.height]).toEqual([102, 76]);
  });

  it('save_metadata puts the prompt and workflow in the container tags', async () => {
    const { gif } = await combine('video/h264-mp4');
    const tags = probe(gif!.fullpath).format.tags ?? {};
    expect(JSON.parse(tags.prompt!)['2'].class_type).toBe('VHS_VideoCombine');
    expect(JSON.parse(tags.workflow!)).toEqual({ nodes: [], extra: {} });
    const { gif: bare } = await combine('video/h264-mp4', { widgets: { save_metadata: false } });
    expect(probe(bare!.fullpath).format.tags?.prompt).toBeUndefined();
  });

  it('save_output false writes to the temp folder', async () => {
    const { gif, filenames } = await combine('video/h264-mp4', { saveOutput: false, prefix: 'preview' });
    expect(gif!.type).toBe('temp');
    expect(gif!.fullpath).toBe(join(f.base, 'temp', gif!.filename));
    expect(existsSync(gif!.fullpath)).toBe(true);
    expect(filenames[0]).toBe(false);
  });

  it('counts on from the files already there, VHS style (<prefix>_00002.mp4)', async () => {
    const first = await combine('video/h264-mp4', { prefix: 'count/x' });
    // (Another frame count, so the second run is not answered from the cache.)
    const second = await combine('video/h264-mp4', { prefix: 'count/x', frames: 5 });
    expect([first.gif!.filename, second.gif!.filename]).toEqual(['x_00001.mp4', 'x_00002.mp4']);
  });
});

describe('VHS_VideoCombine errors', () => {
  it('an unknown format is refused before running, naming the input', async () => {
    const submitted = await f.engine.runner.submit({
      prompt: {
        '1': { class_type: 'VHS_LoadVideo', inputs: loadInputs('clip.mp4') },
        '2': { class_type: 'VHS_VideoCombine', inputs: { images: ['1', 0], frame_rate: 8, loop_count: 0, filename_prefix: 'x', format: 'video/nope', pingpong: false, save_output: true } },
      },
    });
    expect(submitted.ok).toBe(false);
    const errors = JSON.stringify(submitted.nodeErrors);
    expect(errors).toContain('format');
    expect(errors).toContain('video/nope');
    expect(errors).toContain('VHS_VideoCombine');
  });

  it('a missing video file is refused, naming VHS_LoadVideo and its video input', async () => {
    const submitted = await f.engine.runner.submit({
      prompt: {
        '1': { class_type: 'VHS_LoadVideo', inputs: loadInputs('missing.mp4') },
        '2': { class_type: 'VHS_VideoCombine', inputs: { images: ['1', 0], frame_rate: 8, loop_count: 0, filename_prefix: 'x', format: 'image/gif', pingpong: false, save_output: true } },
      },
    });
    expect(submitted.ok).toBe(false);
    const errors = JSON.stringify(submitted.nodeErrors);
    expect(errors).toContain('Invalid video file: missing.mp4');
    expect(errors).toContain('"input_name":"video"');
  });

  it('an ffmpeg failure names the node and format and leaves no partial files', async () => {
    // SVT-AV1 takes crf 1..63; VHS's widget allows up to 100.
    if (!hasEncoder('libsvtav1')) return;
    const { entry } = await combine('video/av1-webm', { widgets: { crf: 100 }, prefix: 'broken/x' });
    const message = String(executionError(entry)?.exception_message);
    expect(message).toContain('VHS_VideoCombine: input "format": writing x_00001.webm as video/av1-webm failed');
    expect(readdirSync(join(f.base, 'output', 'broken'))).toEqual([]);
  });

  it('a bad format widget value fails with the node and widget named', async () => {
    const { entry } = await combine('video/h264-mp4', { widgets: { pix_fmt: 'rgb48' } });
    expect(executionError(entry)?.exception_message).toContain('VHS_VideoCombine: input "pix_fmt": pix_fmt must be one of yuv420p, yuv420p10le');
  });

  it.each([
    { input: 'vae', source: 'VhsTestVae', reason: 'decoding latents inside Video Combine is not supported' },
    { input: 'meta_batch', source: 'VhsTestBatch', reason: 'expected the output of a Meta Batch Manager (VHS_BatchManager)' },
  ])('a connected $input that VHS_VideoCombine cannot use is refused with the node, input and reason', async (c) => {
    const entry = await runPrompt(f.engine, {
      '1': { class_type: 'VHS_LoadVideo', inputs: loadInputs('clip.mp4', { frame_load_cap: 2 }) },
      '9': { class_type: c.source, inputs: {} },
      '2': { class_type: 'VHS_VideoCombine', inputs: { images: ['1', 0], [c.input]: ['9', 0], frame_rate: 8, loop_count: 0, filename_prefix: 'x', format: 'image/gif', pingpong: false, save_output: true } },
    });
    expect(executionError(entry)?.exception_message).toContain(`VHS_VideoCombine: input "${c.input}": ${c.reason}`);
  });
});
