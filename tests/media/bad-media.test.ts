import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startEngine, tempDir, type TestEngine } from '../helpers/engine.ts';
import { executionError, makeClip, runPrompt } from './helpers.ts';

let base: string;
let engine: TestEngine;

beforeAll(async () => {
  base = tempDir();
  const input = join(base, 'input');
  mkdirSync(input);
  writeFileSync(join(input, 'notes.mp4'), 'this is not a video\n'.repeat(50));
  // An mp4 keeps its index at the end: cut in half, it has none.
  const whole = readFileSync(makeClip(input, 'whole.mp4', { width: 64, height: 48, fps: '10', seconds: 2 }));
  writeFileSync(join(input, 'truncated.mp4'), whole.subarray(0, whole.length >> 1));
  // A fragmented mp4 cut before its first fragment: a video stream with no frames.
  const fragmented = readFileSync(
    makeClip(input, 'fragmented.mp4', { width: 64, height: 48, fps: '10', seconds: 1, extraArgs: ['-movflags', 'empty_moov+frag_keyframe+default_base_moof'] }),
  );
  writeFileSync(join(input, 'empty.mp4'), fragmented.subarray(0, fragmented.indexOf('moof') - 4));
  makeClip(input, 'huge.mkv', { width: 17000, height: 16, fps: '1', seconds: 1, source: 'color', codec: 'png' });
  // Renaming the codec in the Matroska header leaves a stream no decoder knows.
  const mkv = readFileSync(makeClip(input, 'known.mkv', { width: 64, height: 48, fps: '10', seconds: 1 }));
  writeFileSync(join(input, 'alien.mkv'), Buffer.from(mkv.toString('latin1').replace('V_MPEG4/ISO/AVC', 'V_MPEG4/ISO/XYZ'), 'latin1'));
  makeClip(input, 'fine.mp4', { width: 64, height: 48, fps: '10', seconds: 1 });
  engine = await startEngine([], base);
}, 60_000);

async function failure(file: string, save: Record<string, unknown> = {}, saver = 'SaveVideo') {
  const entry = await runPrompt(engine, {
    '1': { class_type: 'LoadVideo', inputs: { file } },
    '2': { class_type: saver, inputs: { video: ['1', 0], filename_prefix: 'bad/x', format: 'auto', codec: 'auto', ...save } },
  });
  const error = executionError(entry);
  expect(error, `${file} should fail`).toBeDefined();
  return error as { node_id: string; node_type: string; exception_message: string };
}

describe('bad media gives a node error naming the node and input', () => {
  it.each([
    ['notes.mp4', /^LoadVideo: input "file": notes\.mp4: not a readable video file: \S/],
    ['truncated.mp4', /^LoadVideo: input "file": truncated\.mp4: not a readable video file: moov atom not found$/],
    ['empty.mp4', /^LoadVideo: input "file": empty\.mp4: has no video frames$/],
    ['huge.mkv', /^LoadVideo: input "file": huge\.mkv: video frame size 17000x16 is too large/],
    ['alien.mkv', /^LoadVideo: input "file": alien\.mkv: cannot decode its unknown video stream: .*decoder.*not found/i],
  ])('%s', async (file, message) => {
    const error = await failure(file);
    expect(error.node_id).toBe('1');
    expect(error.node_type).toBe('LoadVideo');
    expect(error.exception_message).toMatch(message);
  });

  it('a missing file fails validation as ComfyUI does', async () => {
    const submitted = await engine.runner.submit({
      prompt: {
        '1': { class_type: 'LoadVideo', inputs: { file: 'nowhere.mp4' } },
        '2': { class_type: 'SaveVideo', inputs: { video: ['1', 0], filename_prefix: 'bad/x', format: 'auto', codec: 'auto' } },
      },
    });
    expect(submitted.ok).toBe(false);
    expect(JSON.stringify(submitted.nodeErrors['1'])).toContain('file - Invalid video file: nowhere.mp4');
  });

  it('a path outside the input folder is refused', async () => {
    const submitted = await engine.runner.submit({
      prompt: {
        '1': { class_type: 'LoadVideo', inputs: { file: '../output/x.mp4' } },
        '2': { class_type: 'SaveVideo', inputs: { video: ['1', 0], filename_prefix: 'bad/x', format: 'auto', codec: 'auto' } },
      },
    });
    expect(submitted.ok).toBe(false);
    expect(JSON.stringify(submitted.nodeErrors['1'])).toContain('Invalid video file: ../output/x.mp4');
  });

  it('an impossible container/codec pair names the codec input and leaves no file', async () => {
    const error = await failure('fine.mp4', { format: 'webm', codec: 'h264' }, 'FlashGraph_SaveVideo');
    expect(error.node_type).toBe('FlashGraph_SaveVideo');
    expect(error.exception_message).toBe('FlashGraph_SaveVideo: input "codec": h264 cannot be stored in webm; use vp9 or mp4');
  });
});
