// ImageScaleBy, ImageInvert, EmptyImage, RepeatImageBatch, GetImageSize and ImagePadForOutpaint:
// their /object_info entries against ComfyUI's, and results on small images checked by hand.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Image, Mask } from '../../types/data.ts';
import { bytes, coreEngine, expectSchema, pixels, type CoreEngine } from './helpers.ts';

let core: CoreEngine;
const MAX = 16384;
const UPSCALE = ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'];

beforeAll(async () => {
  core = await coreEngine();
});

describe('schemas match ComfyUI', () => {
  it('ImageScaleBy, ImageInvert, EmptyImage, RepeatImageBatch, GetImageSize, ImagePadForOutpaint', () => {
    const e = core.engine;
    expectSchema(e, 'ImageScaleBy', {
      required: { image: ['IMAGE'], upscale_method: [UPSCALE], scale_by: ['FLOAT', { default: 1, min: 0.01, max: 8, step: 0.01 }] },
      output: ['IMAGE'],
      output_name: ['IMAGE'],
      display_name: 'Upscale Image By',
      category: 'image/upscaling',
    });
    expectSchema(e, 'ImageInvert', { required: { image: ['IMAGE'] }, output: ['IMAGE'], output_name: ['IMAGE'], display_name: 'Invert Image Colors', category: 'image' });
    expectSchema(e, 'EmptyImage', {
      required: {
        width: ['INT', { default: 512, min: 1, max: MAX, step: 1 }],
        height: ['INT', { default: 512, min: 1, max: MAX, step: 1 }],
        batch_size: ['INT', { default: 1, min: 1, max: 4096 }],
        color: ['INT', { default: 0, min: 0, max: 0xffffff, step: 1, display: 'color' }],
      },
      output: ['IMAGE'],
      output_name: ['IMAGE'],
      display_name: 'Empty Image',
      category: 'image',
    });
    expectSchema(e, 'RepeatImageBatch', {
      required: { image: ['IMAGE'], amount: ['INT', { default: 1, min: 1, max: 4096 }] },
      output: ['IMAGE'],
      output_name: ['IMAGE'],
      display_name: 'RepeatImageBatch',
      category: 'image/batch',
    });
    expectSchema(e, 'GetImageSize', {
      required: { image: ['IMAGE'] },
      hidden: { unique_id: 'UNIQUE_ID' },
      output: ['INT', 'INT', 'INT'],
      output_name: ['width', 'height', 'batch_size'],
      display_name: 'Get Image Size',
      category: 'image',
    });
    const side = { default: 0, min: 0, max: MAX, step: 8 };
    expectSchema(e, 'ImagePadForOutpaint', {
      required: {
        image: ['IMAGE'],
        left: ['INT', side],
        top: ['INT', side],
        right: ['INT', side],
        bottom: ['INT', side],
        feathering: ['INT', { default: 40, min: 0, max: MAX, step: 1, advanced: true }],
      },
      output: ['IMAGE', 'MASK'],
      output_name: ['IMAGE', 'MASK'],
      display_name: 'Pad Image for Outpainting',
      category: 'image',
    });
  });
});

describe('ImageScaleBy', () => {
  it("rounds sizes like Python (halves to even), duplicates pixels on 2x, averages on area, keeps 1x as is", async () => {
    const grid = (w: number, h: number) => pixels(w, h, 1, (_, x, y) => [x * 40, y * 40, 7]);
    const [half, double, area, same] = (await core.run(
      {
        '1': grid(5, 3),
        '2': { class_type: 'ImageScaleBy', inputs: { image: ['1', 0], upscale_method: 'nearest-exact', scale_by: 0.5 } },
        '3': grid(2, 2),
        '4': { class_type: 'ImageScaleBy', inputs: { image: ['3', 0], upscale_method: 'nearest-exact', scale_by: 2 } },
        '5': pixels(4, 2, 1, (_, x, y) => [[10, 20, 100, 100][x]! + 20 * y, 50, 0]),
        '6': { class_type: 'ImageScaleBy', inputs: { image: ['5', 0], upscale_method: 'area', scale_by: 0.5 } },
        '7': { class_type: 'ImageScaleBy', inputs: { image: ['1', 0], upscale_method: 'bicubic', scale_by: 1 } },
      },
      [['2', 0], ['4', 0], ['6', 0], ['7', 0]],
    )) as Image[];
    // 5 * 0.5 = 2.5 and 3 * 0.5 = 1.5 both round to 2.
    expect([half!.width, half!.height]).toEqual([2, 2]);
    expect([double!.width, double!.height]).toEqual([4, 4]);
    // Each source pixel of the 2x2 grid becomes a 2x2 block.
    const px = (x: number, y: number) => [Math.floor(x / 2) * 40, Math.floor(y / 2) * 40, 7];
    expect(await bytes(double!)).toEqual([0, 1, 2, 3].flatMap((y) => [0, 1, 2, 3].flatMap((x) => px(x, y))));
    // 2x2 blocks: R (10, 20, 30, 40) -> 25 and (100, 100, 120, 120) -> 110.
    expect([area!.width, area!.height]).toEqual([2, 1]);
    expect(await bytes(area!)).toEqual([25, 50, 0, 110, 50, 0]);
    expect(await bytes(same!)).toEqual(await bytes((await core.run({ '1': grid(5, 3) }, [['1', 0]]))[0] as Image));
  });

  it('refuses a scale that leaves no pixels, naming the node and input', async () => {
    const error = await core.fail({
      '1': pixels(5, 3, 1, () => [0, 0, 0]),
      '2': { class_type: 'ImageScaleBy', inputs: { image: ['1', 0], upscale_method: 'bilinear', scale_by: 0.01 } },
      '3': { class_type: 'PreviewImage', inputs: { images: ['2', 0] } },
    });
    expect(error.node_type).toBe('ImageScaleBy');
    expect(error.exception_message).toBe('ImageScaleBy: input "scale_by": 5x3 scaled by 0.01: output has no valid frame size (0x0)');
  });
});

describe('ImageInvert, EmptyImage, RepeatImageBatch, GetImageSize', () => {
  it('invert is 255 - v; empty images are the colour; repeats cycle the batch; sizes come without reading', async () => {
    const [inverted, empty, repeated, w, h, n] = await core.run(
      {
        '1': pixels(2, 1, 1, (_, x) => (x === 0 ? [0, 1, 2] : [128, 254, 255])),
        '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
        '3': { class_type: 'EmptyImage', inputs: { width: 3, height: 2, batch_size: 2, color: 0x123456 } },
        '4': pixels(1, 1, 2, (f) => [1 + 3 * f, 2 + 3 * f, 3 + 3 * f]),
        '5': { class_type: 'RepeatImageBatch', inputs: { image: ['4', 0], amount: 3 } },
        '6': pixels(3, 2, 4, () => [0, 0, 0]),
        '7': { class_type: 'GetImageSize', inputs: { image: ['6', 0] } },
      },
      [['2', 0], ['3', 0], ['5', 0], ['7', 0], ['7', 1], ['7', 2]],
    );
    expect(await bytes(inverted as Image)).toEqual([255, 254, 253, 127, 1, 0]);
    const e = empty as Image;
    expect([e.count, e.width, e.height]).toEqual([2, 3, 2]);
    expect(await bytes(e)).toEqual(Array.from({ length: 12 }, () => [0x12, 0x34, 0x56]).flat());
    expect((repeated as Image).count).toBe(6);
    expect(await bytes(repeated as Image)).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    expect([w, h, n]).toEqual([3, 2, 4]);
  });

  it('EmptyImage refuses a frame too large to hold, naming the input', async () => {
    const error = await core.fail({
      '1': { class_type: 'EmptyImage', inputs: { width: MAX, height: MAX, batch_size: 1, color: 0 } },
      '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    });
    expect(error.exception_message).toMatch(/^EmptyImage: input "width": image frame size 16384x16384 is too large/);
  });
});

describe('ImagePadForOutpaint', () => {
  const source = pixels(5, 5, 2, (f, x, y) => [x * 10 + y, 100 + x, 200 + y + f]);

  it('pads with grey, and feathers the mask towards the padded sides only', async () => {
    const [image, mask] = (await core.run(
      { '1': source, '2': { class_type: 'ImagePadForOutpaint', inputs: { image: ['1', 0], left: 2, top: 0, right: 0, bottom: 1, feathering: 2 } } },
      [['2', 0], ['2', 1]],
    )) as [Image, Mask];
    expect([image.count, image.width, image.height]).toEqual([2, 7, 6]);
    const expected: number[] = [];
    for (let f = 0; f < 2; f++) {
      for (let y = 0; y < 6; y++) {
        for (let x = 0; x < 7; x++) expected.push(...(x >= 2 && y < 5 ? [(x - 2) * 10 + y, 100 + x - 2, 200 + y + f] : [128, 128, 128]));
      }
    }
    expect(await bytes(image)).toEqual(expected);
    // By hand: d = min(distance to the bottom edge, distance to the left edge); 1 at d = 0,
    // ((2 - 1) / 2)^2 = 0.25 at d = 1, 0 beyond; the padding itself is 1. One mask for the batch.
    const q = 0.25;
    expect([mask.count, mask.width, mask.height]).toEqual([1, 7, 6]);
    expect([...mask.data]).toEqual([
      [1, 1, 1, q, 0, 0, 0],
      [1, 1, 1, q, 0, 0, 0],
      [1, 1, 1, q, 0, 0, 0],
      [1, 1, 1, q, 0, 0, 0],
      [1, 1, 1, q, q, q, q],
      [1, 1, 1, 1, 1, 1, 1],
    ].flat());
  });

  it('does not feather when twice the feathering reaches the image size', async () => {
    const [mask] = (await core.run(
      { '1': source, '2': { class_type: 'ImagePadForOutpaint', inputs: { image: ['1', 0], left: 0, top: 1, right: 0, bottom: 0, feathering: 3 } } },
      [['2', 1]],
    )) as [Mask];
    expect([...mask.data]).toEqual([...Array(5).fill(1), ...Array(25).fill(0)]);
  });

  it('refuses a padded size beyond the limits, naming the input', async () => {
    const error = await core.fail({
      '1': source,
      '2': { class_type: 'ImagePadForOutpaint', inputs: { image: ['1', 0], left: MAX, top: 0, right: 0, bottom: 0, feathering: 0 } },
      '3': { class_type: 'PreviewImage', inputs: { images: ['2', 0] } },
    });
    expect(error.exception_message).toMatch(/^ImagePadForOutpaint: input "left": padded output frame size 16389x5 is too large/);
  });
});
