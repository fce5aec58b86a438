import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { audioFromWaveform, type Audio } from '../../types/data.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { startEngine, tempDir, type TestEngine } from '../helpers/engine.ts';
import { captureNode, executionError, makeClip, probe, runPrompt, tools } from './helpers.ts';

let base: string;
let engine: TestEngine;
const capture = captureNode();

/** Two seconds of a 1 kHz square-ish tone held in memory (not backed by a file). */
const SynthAudio: NodeDefinition = {
  type: 'TestSynthAudio',
  inputs: { required: { seconds: { type: 'FLOAT', default: 2 } } },
  outputs: [{ type: 'AUDIO' }],
  execute: ({ seconds }) => {
    const rate = 16000;
    const n = Math.round(seconds * rate);
    const data = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      data[i] = 0.5 * Math.sin((2 * Math.PI * 1000 * i) / rate);
      data[n + i] = 0.25;
    }
    return [audioFromWaveform({ data, shape: [1, 2, n] }, rate)];
  },
};

beforeAll(async () => {
  base = tempDir();
  const input = join(base, 'input');
  mkdirSync(input);
  execFileSync(tools.ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=22050', '-t', '1.5', '-af', 'volume=0.5', join(input, 'tone.wav')]);
  makeClip(input, 'clip.mp4', { width: 64, height: 48, fps: '10', seconds: 2, tone: 660 });
  makeClip(input, 'silent.mp4', { width: 32, height: 24, fps: '10', seconds: 1 });
  engine = await startEngine([capture.node, SynthAudio], base);
}, 30_000);

describe('LoadAudio and SaveAudio', () => {
  it('loads a wav as a float waveform and saves FLAC with metadata', async () => {
    capture.values.length = 0;
    const entry = await runPrompt(
      engine,
      {
        '1': { class_type: 'LoadAudio', inputs: { audio: 'tone.wav' } },
        '2': { class_type: 'SaveAudio', inputs: { audio: ['1', 0], filename_prefix: 'audio/ComfyUI' } },
        '3': { class_type: 'TestCapture', inputs: { value: ['1', 0] } },
      },
      { extra_pnginfo: { workflow: { id: 7 } } },
    );
    expect(executionError(entry)).toBeUndefined();
    expect(entry.outputs['2']).toEqual({ audio: [{ filename: 'ComfyUI_00001_.flac', subfolder: 'audio', type: 'output' }] });
    const info = probe(join(base, 'output', 'audio', 'ComfyUI_00001_.flac'));
    expect(info.streams[0]).toMatchObject({ codec_name: 'flac', sample_rate: '22050' });
    expect(Number(info.format.duration)).toBeCloseTo(1.5, 2);
    const tags = Object.fromEntries(Object.entries(info.format.tags ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    expect(JSON.parse(tags.workflow!)).toEqual({ id: 7 });

    const audio = capture.values[0] as Audio;
    const waveform = await audio.waveform();
    expect(waveform.shape).toEqual([1, 1, 33075]);
    const peak = waveform.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    // lavfi's sine has amplitude 1/8; the volume filter halved it.
    expect(peak).toBeGreaterThan(0.06);
    expect(peak).toBeLessThan(0.065);
  });

  it('takes the audio track of a video file', async () => {
    const entry = await runPrompt(engine, {
      '1': { class_type: 'LoadAudio', inputs: { audio: 'clip.mp4' } },
      '2': { class_type: 'SaveAudio', inputs: { audio: ['1', 0], filename_prefix: 'fromvideo' } },
    });
    expect(executionError(entry)).toBeUndefined();
    expect(Number(probe(join(base, 'output', 'fromvideo_00001_.flac')).format.duration)).toBeCloseTo(2, 1);
  });

  it('writes audio held in memory, and muxes it into a video trimmed to the video length', async () => {
    const saved = await runPrompt(engine, {
      '1': { class_type: 'TestSynthAudio', inputs: { seconds: 3 } },
      '2': { class_type: 'SaveAudio', inputs: { audio: ['1', 0], filename_prefix: 'synth' } },
      '4': { class_type: 'LoadVideo', inputs: { file: 'clip.mp4' } },
      '5': { class_type: 'GetVideoComponents', inputs: { video: ['4', 0] } },
      '6': { class_type: 'CreateVideo', inputs: { images: ['5', 0], fps: 10, audio: ['1', 0] } },
      '7': { class_type: 'FlashGraph_SaveVideo', inputs: { video: ['6', 0], filename_prefix: 'synth', format: 'webm', codec: 'vp9' } },
    });
    expect(executionError(saved)).toBeUndefined();
    const file = (node: string, key: string) => {
      const ref = saved.outputs[node]![key]![0] as { filename: string };
      return join(base, 'output', ref.filename);
    };
    const flac = probe(file('2', 'audio'));
    expect(flac.streams[0]).toMatchObject({ sample_rate: '16000' });
    expect(Number(flac.format.duration)).toBeCloseTo(3, 2);
    const webm = probe(file('7', 'images'));
    expect(Number(webm.format.duration)).toBeCloseTo(2, 1);
    expect(webm.streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe('opus');
    // Scratch files of the in-memory audio are gone.
    expect(readdirSync(join(base, 'temp', 'flashgraph'))).toEqual([]);
  });
});

describe('PreviewAudio', () => {
  it("has ComfyUI's schema: one AUDIO input, prompt and workflow hidden, no outputs", () => {
    const info = engine.runner.options.registry.nodeInfo('PreviewAudio', engine.storage)!;
    expect(info.input).toEqual({ required: { audio: ['AUDIO'] }, hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' } });
    expect(info.input_order).toEqual({ required: ['audio'], hidden: ['prompt', 'extra_pnginfo'] });
    expect([info.output, info.output_name, info.display_name, info.category, info.output_node]).toEqual([[], [], 'Preview Audio', 'audio', true]);
  });

  it('writes a FLAC into the temp folder and reports it in ui.audio like SaveAudio', async () => {
    const entry = await runPrompt(
      engine,
      {
        '1': { class_type: 'TestSynthAudio', inputs: { seconds: 1.5 } },
        '2': { class_type: 'PreviewAudio', inputs: { audio: ['1', 0] } },
      },
      { extra_pnginfo: { workflow: { id: 9 } } },
    );
    expect(executionError(entry)).toBeUndefined();
    const refs = entry.outputs['2']!.audio as { filename: string; subfolder: string; type: string }[];
    expect(refs).toHaveLength(1);
    expect(refs[0]).toMatchObject({ subfolder: '', type: 'temp' });
    expect(refs[0]!.filename).toMatch(/^ComfyUI_temp_[a-z]{5}_00001_\.flac$/);
    expect(readdirSync(join(base, 'temp'))).toContain(refs[0]!.filename);
    expect(readdirSync(join(base, 'output'))).not.toContain(refs[0]!.filename);
    const info = probe(join(base, 'temp', refs[0]!.filename));
    expect(info.streams[0]).toMatchObject({ codec_name: 'flac', sample_rate: '16000' });
    expect(Number(info.format.duration)).toBeCloseTo(1.5, 2);
    const tags = Object.fromEntries(Object.entries(info.format.tags ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    expect(JSON.parse(tags.workflow!)).toEqual({ id: 9 });
  });

  it('names itself and its input when no audio arrives (a video without sound)', async () => {
    const entry = await runPrompt(engine, {
      '1': { class_type: 'LoadVideo', inputs: { file: 'silent.mp4' } },
      '2': { class_type: 'GetVideoComponents', inputs: { video: ['1', 0] } },
      '3': { class_type: 'PreviewAudio', inputs: { audio: ['2', 1] } },
    });
    const error = executionError(entry) as { node_type: string; exception_message: string };
    expect(error.node_type).toBe('PreviewAudio');
    expect(error.exception_message).toMatch(/^PreviewAudio: input "audio": no audio reached this input/);
  });
});
