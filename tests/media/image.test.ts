import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { materialize, toFloat32, type Image, type Mask } from '../../types/data.ts';
import { startEngine, tempDir, type TestEngine } from '../helpers/engine.ts';
import { captureNode, executionError, runPrompt } from './helpers.ts';

let base: string;
let engine: TestEngine;
const capture = captureNode();

/** 4x2 RGBA: a known pattern with varied alpha. */
const W = 4;
const H = 2;
const rgba = Uint8Array.from({ length: W * H * 4 }, (_, i) => (i % 4 === 3 ? [255, 0, 128, 64][Math.floor(i / 4) % 4]! : (i * 37) % 256));

beforeAll(async () => {
  base = tempDir();
  mkdirSync(join(base, 'input', 'sub'), { recursive: true });
  await sharp(rgba, { raw: { width: W, height: H, channels: 4 } }).png().toFile(join(base, 'input', 'alpha.png'));
  await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 200, g: 40, b: 10 } } }).jpeg({ quality: 95 }).toFile(join(base, 'input', 'sub', 'red.jpg'));
  // A 3-frame animated GIF becomes a batch of 3.
  const frames = Buffer.concat([0, 120, 250].map((v) => Buffer.alloc(8 * 8 * 3, v)));
  await sharp(frames, { raw: { width: 8, height: 24, channels: 3, pageHeight: 8 } }).gif().toFile(join(base, 'input', 'anim.gif'));
  engine = await startEngine([capture.node], base);
}, 30_000);

async function captured(prompt: Parameters<typeof runPrompt>[1]): Promise<unknown[]> {
  capture.values.length = 0;
  const entry = await runPrompt(engine, prompt);
  expect(executionError(entry)).toBeUndefined();
  return [...capture.values];
}

describe('LoadImage', () => {
  it('gives RGB frames and a mask of 1 - alpha', async () => {
    const [image, mask] = (await captured({
      '1': { class_type: 'LoadImage', inputs: { image: 'alpha.png' } },
      '2': { class_type: 'TestCapture', inputs: { value: ['1', 0] } },
      '3': { class_type: 'TestCapture', inputs: { value: ['1', 1] } },
    })) as [Image, Mask];
    expect([image.count, image.height, image.width]).toEqual([1, H, W]);
    const pixels = await materialize(image);
    for (let p = 0; p < W * H; p++) expect([...pixels.data.subarray(p * 3, p * 3 + 3)]).toEqual([...rgba.subarray(p * 4, p * 4 + 3)]);
    expect(mask.data[1]).toBeCloseTo(1, 5);
    expect(mask.data[2]).toBeCloseTo(1 - 128 / 255, 5);
    const float = await toFloat32(image, { layout: 'BCHW' });
    expect(float.shape).toEqual([1, 3, H, W]);
    expect(float.data[W * H + 1]).toBeCloseTo(rgba[5]! / 255, 6);
  });

  it('gives a 64x64 zero mask without alpha, reads sub-folders, and batches animated frames', async () => {
    const [, mask, gif] = (await captured({
      '1': { class_type: 'LoadImage', inputs: { image: 'sub/red.jpg' } },
      '2': { class_type: 'TestCapture', inputs: { value: ['1', 0] } },
      '3': { class_type: 'TestCapture', inputs: { value: ['1', 1] } },
      '4': { class_type: 'LoadImage', inputs: { image: 'anim.gif' } },
      '5': { class_type: 'TestCapture', inputs: { value: ['4', 0] } },
    })) as [Image, Mask, Image];
    expect([mask.count, mask.height, mask.width]).toEqual([1, 64, 64]);
    expect(mask.data.every((v) => v === 0)).toBe(true);
    expect([gif.count, gif.width, gif.height]).toEqual([3, 8, 8]);
    const data = (await materialize(gif)).data;
    expect([data[0], data[8 * 8 * 3], data[2 * 8 * 8 * 3]]).toEqual([0, 120, 250]);
  });

  it('lists input images for the combo and rejects unknown files like ComfyUI', async () => {
    const info = engine.runner.options.registry.nodeInfo('LoadImage', engine.storage)!;
    expect(info.input.required.image).toEqual([['alpha.png', 'anim.gif', 'sub/red.jpg'], { image_upload: true }]);
    const submitted = await engine.runner.submit({
      prompt: { '1': { class_type: 'LoadImage', inputs: { image: 'ghost.png' } }, '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } } },
    });
    expect(submitted.ok).toBe(false);
    expect(JSON.stringify(submitted.nodeErrors)).toContain('image - Invalid image file: ghost.png');
  });
});

describe('SaveImage and PreviewImage', () => {
  it('write PNGs with counters, prompt and workflow text, and report them', async () => {
    const prompt = {
      '1': { class_type: 'LoadImage', inputs: { image: 'anim.gif' } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'shots/frame' } },
    };
    const entry = await runPrompt(engine, prompt, { extra_pnginfo: { workflow: { note: 'é ✓' } } });
    expect(entry.outputs['2']!.images).toEqual([0, 1, 2].map((i) => ({ filename: `frame_0000${i + 1}_.png`, subfolder: 'shots', type: 'output' })));
    const file = join(base, 'output', 'shots', 'frame_00002_.png');
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, data[0]]).toEqual([8, 8, 120]);
    const comments = Object.fromEntries(((await sharp(file).metadata()).comments ?? []).map((c) => [c.keyword, c.text]));
    expect(JSON.parse(comments.prompt!)['2'].class_type).toBe('SaveImage');
    expect(JSON.parse(comments.workflow!)).toEqual({ note: 'é ✓' });

    const preview = await runPrompt(engine, { '1': prompt['1'], '3': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } } });
    const refs = preview.outputs['3']!.images as { filename: string; type: string }[];
    expect(refs).toHaveLength(3);
    expect(refs[0]!.type).toBe('temp');
    expect(refs[0]!.filename).toMatch(/^ComfyUI_temp_[a-z]{5}_00001_\.png$/);
    expect(readdirSync(join(base, 'temp'))).toEqual(expect.arrayContaining(refs.map((r) => r.filename)));
  });
});

describe('image transforms', () => {
  it('ImageScale, ImageCrop, ImageBatch and ImageFromBatch follow ComfyUI', async () => {
    const values = (await captured({
      '1': { class_type: 'LoadImage', inputs: { image: 'sub/red.jpg' } },
      '2': { class_type: 'ImageScale', inputs: { image: ['1', 0], upscale_method: 'area', width: 48, height: 0, crop: 'disabled' } },
      '3': { class_type: 'ImageScale', inputs: { image: ['1', 0], upscale_method: 'lanczos', width: 32, height: 32, crop: 'center' } },
      '4': { class_type: 'ImageCrop', inputs: { image: ['1', 0], width: 50, height: 50, x: 80, y: 10 } },
      '5': { class_type: 'LoadImage', inputs: { image: 'anim.gif' } },
      '6': { class_type: 'ImageBatch', inputs: { image1: ['5', 0], image2: ['1', 0] } },
      '7': { class_type: 'ImageFromBatch', inputs: { image: ['6', 0], batch_index: 2, length: 5 } },
      '10': { class_type: 'TestCapture', inputs: { value: ['2', 0] } },
      '11': { class_type: 'TestCapture', inputs: { value: ['3', 0] } },
      '12': { class_type: 'TestCapture', inputs: { value: ['4', 0] } },
      '13': { class_type: 'TestCapture', inputs: { value: ['6', 0] } },
      '14': { class_type: 'TestCapture', inputs: { value: ['7', 0] } },
    })) as Image[];
    const sizes = values.map((v) => [v.count, v.width, v.height]);
    expect(sizes).toEqual([
      [1, 48, 32],
      [1, 32, 32],
      [1, 16, 50],
      [4, 8, 8],
      [2, 8, 8],
    ]);
    const [area, , , batch, slice] = await Promise.all(values.map((v) => materialize(v)));
    // Flat red stays flat red through area averaging (JPEG keeps it within a few levels).
    expect(Math.abs(area!.data[0]! - 200)).toBeLessThan(4);
    // Batch frames: the GIF's three, then the rescaled red photo; the slice keeps the last two.
    expect([batch!.data[0], batch!.data[3 * 192]]).toEqual([0, expect.closeTo(200, -1)]);
    expect(slice!.data[0]).toBe(250);
  });
});
