// ImageToMask, MaskToImage, InvertMask, SolidMask and ImageCompositeMasked: /object_info entries
// against ComfyUI's, and results on tiny images and masks worked out by hand.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Image, Mask } from '../../types/data.ts';
import { bytes, coreEngine, expectSchema, maskNode, pixels, type CoreEngine } from './helpers.ts';

let core: CoreEngine;
const MAX = 16384;
const f32 = (values: number[]) => values.map((v) => Math.fround(v));

beforeAll(async () => {
  core = await coreEngine();
});

describe('schemas match ComfyUI', () => {
  it('ImageToMask, MaskToImage, InvertMask, SolidMask, ImageCompositeMasked', () => {
    const e = core.engine;
    expectSchema(e, 'ImageToMask', {
      required: { image: ['IMAGE'], channel: [['red', 'green', 'blue', 'alpha']] },
      output: ['MASK'],
      output_name: ['MASK'],
      display_name: 'Convert Image to Mask',
      category: 'mask',
    });
    expectSchema(e, 'MaskToImage', { required: { mask: ['MASK'] }, output: ['IMAGE'], output_name: ['IMAGE'], display_name: 'Convert Mask to Image', category: 'mask' });
    expectSchema(e, 'InvertMask', { required: { mask: ['MASK'] }, output: ['MASK'], output_name: ['MASK'], display_name: 'Invert Mask', category: 'mask' });
    expectSchema(e, 'SolidMask', {
      required: {
        value: ['FLOAT', { default: 1, min: 0, max: 1, step: 0.01 }],
        width: ['INT', { default: 512, min: 1, max: MAX, step: 1 }],
        height: ['INT', { default: 512, min: 1, max: MAX, step: 1 }],
      },
      output: ['MASK'],
      output_name: ['MASK'],
      display_name: 'Create Solid Mask',
      category: 'mask',
    });
    expectSchema(e, 'ImageCompositeMasked', {
      required: {
        destination: ['IMAGE'],
        source: ['IMAGE'],
        x: ['INT', { default: 0, min: 0, max: MAX, step: 1 }],
        y: ['INT', { default: 0, min: 0, max: MAX, step: 1 }],
        resize_source: ['BOOLEAN', { default: false }],
      },
      optional: { mask: ['MASK'] },
      output: ['IMAGE'],
      output_name: ['IMAGE'],
      display_name: 'Image Composite Masked',
      category: 'image',
    });
  });
});

describe('mask conversions', () => {
  it('ImageToMask takes one channel as v/255; MaskToImage rounds to grey levels; InvertMask is 1 - v; SolidMask fills', async () => {
    const [green, red, grey, inverted, solid] = (await core.run(
      {
        '1': pixels(2, 1, 2, (f, x) => (x === 0 ? [10 + f, 20, 30] : [40, 51, 60])),
        '2': { class_type: 'ImageToMask', inputs: { image: ['1', 0], channel: 'green' } },
        '3': { class_type: 'ImageToMask', inputs: { image: ['1', 0], channel: 'red' } },
        '4': maskNode(5, 1, [0, 0.5, 1, 0.25, -1, 0.1, 0.2, 0.3, 0.4, 2]),
        '5': { class_type: 'MaskToImage', inputs: { mask: ['4', 0] } },
        '6': maskNode(2, 2, [0, 0.25, 1, 0.3]),
        '7': { class_type: 'InvertMask', inputs: { mask: ['6', 0] } },
        '8': { class_type: 'SolidMask', inputs: { value: 0.3, width: 3, height: 2 } },
      },
      [['2', 0], ['3', 0], ['5', 0], ['7', 0], ['8', 0]],
    )) as [Mask, Mask, Image, Mask, Mask];
    expect([green.count, green.width, green.height]).toEqual([2, 2, 1]);
    expect([...green.data]).toEqual(f32([20 / 255, 51 / 255, 20 / 255, 51 / 255]));
    expect([...red.data]).toEqual(f32([10 / 255, 40 / 255, 11 / 255, 40 / 255]));
    // 0.5 -> 127.5 -> 128, 0.25 -> 63.75 -> 64, out-of-range values clamp; 0.1 -> 25.5 -> 26.
    expect([grey.count, grey.width, grey.height]).toEqual([2, 5, 1]);
    expect(await bytes(grey)).toEqual([0, 128, 255, 64, 0, 26, 51, 77, 102, 255].flatMap((v) => [v, v, v]));
    expect([...inverted.data]).toEqual(f32([1, 0.75, 0, 1 - Math.fround(0.3)]));
    expect([solid.count, solid.width, solid.height]).toEqual([1, 3, 2]);
    expect([...solid.data]).toEqual(f32(Array(6).fill(0.3)));
  });

  it('ImageToMask has no alpha channel to give and refuses a mask too large to hold; SolidMask refuses a size too large', async () => {
    const alpha = await core.fail({
      '1': pixels(1, 1, 1, () => [1, 2, 3]),
      '2': { class_type: 'ImageToMask', inputs: { image: ['1', 0], channel: 'alpha' } },
      '3': { class_type: 'MaskToImage', inputs: { mask: ['2', 0] } },
      '4': { class_type: 'PreviewImage', inputs: { images: ['3', 0] } },
    });
    expect(alpha.node_type).toBe('ImageToMask');
    expect(alpha.exception_message).toMatch(/^ImageToMask: input "channel": the image has no alpha channel/);
    const big = await core.fail({
      '1': { class_type: 'SolidMask', inputs: { value: 1, width: MAX, height: MAX } },
      '2': { class_type: 'MaskToImage', inputs: { mask: ['1', 0] } },
      '3': { class_type: 'PreviewImage', inputs: { images: ['2', 0] } },
    });
    expect(big.exception_message).toMatch(/^SolidMask: input "width": mask frame size 16384x16384 is too large/);
    // 4096 frames of 512x512 would be 4 GiB of float32: refused before a frame is read.
    const long = await core.fail({
      '1': { class_type: 'EmptyImage', inputs: { width: 512, height: 512, batch_size: 4096, color: 0 } },
      '2': { class_type: 'ImageToMask', inputs: { image: ['1', 0], channel: 'red' } },
      '3': { class_type: 'MaskToImage', inputs: { mask: ['2', 0] } },
      '4': { class_type: 'PreviewImage', inputs: { images: ['3', 0] } },
    });
    expect(long.exception_message).toBe(
      'ImageToMask: input "image": 4096 frames of 512x512 would take 4.0 GiB as a MASK (masks are held in memory, at most 1 GiB); cut or scale the frames first',
    );
  });
});

describe('ImageCompositeMasked', () => {
  const flat = (w: number, h: number, count: number, v: (f: number) => number) => pixels(w, h, count, (f) => [v(f), v(f), v(f)]);
  const composite = (destination: string, source: string, x: number, y: number, extra: Record<string, unknown> = {}) => ({
    class_type: 'ImageCompositeMasked',
    inputs: { destination: [destination, 0], source: [source, 0], x, y, resize_source: false, ...extra },
  });

  it('pastes the visible part, blends through a mask, cycles batches, stretches source and mask', async () => {
    const [clipped, blended, cycled, firstFrames, stretched, halfMask, outside] = (await core.run(
      {
        d43: flat(4, 3, 1, () => 12),
        s22: pixels(2, 2, 1, (_, x, y) => [200 + x + 10 * y, 0, 50]),
        white: flat(2, 2, 1, () => 200),
        m22: maskNode(2, 2, [1, 0.5, 0, 0.25]),
        a: composite('d43', 's22', 3, 2),
        b: composite('d43', 'white', 1, 1, { mask: ['m22', 0] }),
        d3: flat(1, 1, 3, (f) => 10 * f),
        s2: flat(1, 1, 2, (f) => 100 * (f + 1)),
        m2: maskNode(1, 1, [1, 0.5]),
        c: composite('d3', 's2', 0, 0, { mask: ['m2', 0] }),
        d2: flat(1, 1, 2, () => 0),
        s3: flat(1, 1, 3, (f) => 7 + f),
        e: composite('d2', 's3', 0, 0),
        d41: flat(4, 1, 1, () => 12),
        s21: pixels(2, 1, 1, (_, x) => (x === 0 ? [0, 0, 0] : [100, 100, 100])),
        f: composite('d41', 's21', 0, 0, { resize_source: true }),
        d22: flat(2, 2, 1, () => 12),
        m11: maskNode(1, 1, [0.5]),
        g: composite('d22', 'white', 0, 0, { mask: ['m11', 0] }),
        h: composite('d43', 's22', 4, 0),
      },
      [['a', 0], ['b', 0], ['c', 0], ['e', 0], ['f', 0], ['g', 0], ['h', 0]],
    )) as Image[];
    const grid = (w: number, h: number, at: Record<string, number[]>, base = [12, 12, 12]) =>
      Array.from({ length: w * h }, (_, p) => at[`${p % w},${Math.floor(p / w)}`] ?? base).flat();
    // Only the source's top-left pixel lands inside (at 3,2).
    expect(await bytes(clipped!)).toEqual(grid(4, 3, { '3,2': [200, 0, 50] }));
    // a*200 + (1-a)*12 for a = 1, 0.5, 0, 0.25 -> 200, 106, 12, 59.
    expect(await bytes(blended!)).toEqual(grid(4, 3, { '1,1': [200, 200, 200], '2,1': [106, 106, 106], '1,2': [12, 12, 12], '2,2': [59, 59, 59] }));
    // Frames: source 100 / mask 1; source 200 / mask 0.5 over 10 -> 105; source and mask cycle back.
    expect((cycled!).count).toBe(3);
    expect(await bytes(cycled!)).toEqual([100, 105, 100].flatMap((v) => [v, v, v]));
    // A longer source gives its first frames (streamed alongside the destination).
    expect(await bytes(firstFrames!)).toEqual([7, 8].flatMap((v) => [v, v, v]));
    // PyTorch bilinear 2 -> 4 samples the source at 0, 0.25, 0.75, 1 (clamped): 0, 25, 75, 100.
    expect(await bytes(stretched!)).toEqual([0, 25, 75, 100].flatMap((v) => [v, v, v]));
    // A 1x1 mask stretched to the 2x2 source: 0.5 everywhere.
    expect(await bytes(halfMask!)).toEqual(Array(12).fill(106));
    // x at the right edge: nothing visible, the destination unchanged.
    expect(await bytes(outside!)).toEqual(grid(4, 3, {}));
  });

  it('refuses an IMAGE linked into its mask input', async () => {
    const submitted = await core.engine.runner.submit({
      prompt: {
        '1': flat(2, 2, 1, () => 0),
        '2': composite('1', '1', 0, 0, { mask: ['1', 0] }),
        '3': { class_type: 'PreviewImage', inputs: { images: ['2', 0] } },
      },
    });
    expect(submitted.ok).toBe(false);
    expect(JSON.stringify(submitted.nodeErrors['2'])).toMatch(/mask/);
  });
});
