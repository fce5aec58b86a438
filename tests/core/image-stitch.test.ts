// ImageFlip, ImageRotate, ResizeAndPadImage and ImageStitch (comfy_extras/nodes_images.py): their
// /object_info entries against ComfyUI's, and every output byte on small images against layouts
// written out by hand here.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Image } from '../../types/data.ts';
import { bytes, coreEngine, expectSchema, pixels, type CoreEngine } from './helpers.ts';

let core: CoreEngine;
const MAX = 16384;

beforeAll(async () => {
  core = await coreEngine();
});

/** Every pixel of a width x height frame from `rgb(x, y)`, frames one after another. */
function canvas(width: number, height: number, rgb: (x: number, y: number, frame: number) => number[], count = 1): number[] {
  const out: number[] = [];
  for (let f = 0; f < count; f++) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.push(...rgb(x, y, f));
  return out;
}

/** Labels for a 3x2 test frame: A B C / D E F, each a distinct colour. */
const LABEL = { A: [10, 0, 0], B: [20, 0, 0], C: [30, 0, 0], D: [40, 0, 0], E: [50, 0, 0], F: [60, 0, 0] } as const;
type Label = keyof typeof LABEL;
const grid = (rows: Label[][]) => rows.flat().flatMap((l) => [...LABEL[l]]);
const abcdef = pixels(3, 2, 1, (_, x, y) => [...LABEL[(['A', 'B', 'C', 'D', 'E', 'F'] as Label[])[y * 3 + x]!]]);

async function one(node: Record<string, unknown>, inputs: Record<string, unknown> = {}): Promise<Image> {
  const [out] = (await core.run({ ...inputs, n: node as never }, [['n', 0]])) as [Image];
  return out;
}

describe('schemas match ComfyUI', () => {
  it('ImageFlip, ImageRotate, ResizeAndPadImage, ImageStitch', () => {
    const e = core.engine;
    expectSchema(e, 'ImageFlip', {
      required: { image: ['IMAGE'], flip_method: [['x-axis: vertically', 'y-axis: horizontally']] },
      output: ['IMAGE'],
      output_name: ['IMAGE'],
      display_name: 'Flip Image',
      category: 'image/transform',
    });
    expectSchema(e, 'ImageRotate', {
      required: { image: ['IMAGE'], rotation: [['none', '90 degrees', '180 degrees', '270 degrees']] },
      output: ['IMAGE'],
      output_name: ['IMAGE'],
      display_name: 'Rotate Image',
      category: 'image/transform',
    });
    expectSchema(e, 'ResizeAndPadImage', {
      required: {
        image: ['IMAGE'],
        target_width: ['INT', { default: 512, min: 1, max: MAX, step: 1 }],
        target_height: ['INT', { default: 512, min: 1, max: MAX, step: 1 }],
        padding_color: [['white', 'black'], { advanced: true }],
        interpolation: [['area', 'bicubic', 'nearest-exact', 'bilinear', 'lanczos'], { advanced: true }],
      },
      output: ['IMAGE'],
      output_name: ['IMAGE'],
      display_name: 'Resize And Pad Image',
      category: 'image/transform',
    });
    expectSchema(e, 'ImageStitch', {
      required: {
        image1: ['IMAGE'],
        direction: [['right', 'down', 'left', 'up'], { default: 'right' }],
        match_image_size: ['BOOLEAN', { default: true }],
        spacing_width: ['INT', { default: 0, min: 0, max: 1024, step: 2, advanced: true }],
        spacing_color: [['white', 'black', 'red', 'green', 'blue'], { default: 'white', advanced: true }],
      },
      optional: { image2: ['IMAGE'] },
      output: ['IMAGE'],
      output_name: ['IMAGE'],
      display_name: 'Stitch Images',
      category: 'image/transform',
    });
  });
});

describe('ImageFlip and ImageRotate', () => {
  it('flip over the x axis (top to bottom) and the y axis (left to right)', async () => {
    const flip = (flip_method: string) => one({ class_type: 'ImageFlip', inputs: { image: ['src', 0], flip_method } }, { src: abcdef });
    expect(await bytes(await flip('x-axis: vertically'))).toEqual(grid([['D', 'E', 'F'], ['A', 'B', 'C']]));
    expect(await bytes(await flip('y-axis: horizontally'))).toEqual(grid([['C', 'B', 'A'], ['F', 'E', 'D']]));
  });

  it('rotate clockwise by quarter turns (torch.rot90 over dims [2, 1]); none is the input', async () => {
    const rotate = (rotation: string) => one({ class_type: 'ImageRotate', inputs: { image: ['src', 0], rotation } }, { src: abcdef });
    const r90 = await rotate('90 degrees');
    expect([r90.width, r90.height]).toEqual([2, 3]);
    expect(await bytes(r90)).toEqual(grid([['D', 'A'], ['E', 'B'], ['F', 'C']]));
    const r180 = await rotate('180 degrees');
    expect([r180.width, r180.height]).toEqual([3, 2]);
    expect(await bytes(r180)).toEqual(grid([['F', 'E', 'D'], ['C', 'B', 'A']]));
    const r270 = await rotate('270 degrees');
    expect(await bytes(r270)).toEqual(grid([['C', 'F'], ['B', 'E'], ['A', 'D']]));
    expect(await bytes(await rotate('none'))).toEqual(grid([['A', 'B', 'C'], ['D', 'E', 'F']]));
  });

  it('transform every frame of a batch', async () => {
    const batch = pixels(2, 1, 3, (f, x) => [f * 50 + x, 0, 0]);
    const out = await one({ class_type: 'ImageRotate', inputs: { image: ['src', 0], rotation: '90 degrees' } }, { src: batch });
    expect([out.count, out.width, out.height]).toEqual([3, 1, 2]);
    expect(await bytes(out)).toEqual(canvas(1, 2, (_, y, f) => [f * 50 + y, 0, 0], 3));
  });
});

describe('ResizeAndPadImage', () => {
  const src = pixels(4, 2, 1, (_, x, y) => [x * 60, y * 100, 5]);
  const pad = (inputs: Record<string, unknown>) =>
    one({ class_type: 'ResizeAndPadImage', inputs: { image: ['src', 0], padding_color: 'white', interpolation: 'nearest-exact', ...inputs } }, { src });

  it('scales by the smaller factor (int() sides) and centres the result on the padding colour', async () => {
    // 4x2 into 8x8: scale min(2, 4) = 2 -> 8x4 at y = 2; nearest-exact doubles every pixel.
    const out = await pad({ target_width: 8, target_height: 8 });
    expect([out.width, out.height]).toEqual([8, 8]);
    expect(await bytes(out)).toEqual(canvas(8, 8, (x, y) => (y < 2 || y >= 6 ? [255, 255, 255] : [Math.floor(x / 2) * 60, Math.floor((y - 2) / 2) * 100, 5])));
    // 4x2 into 7x2: scale 1 keeps the pixels; (7 - 4) // 2 = 1 column of black on the left, 2 on the right.
    const black = await pad({ target_width: 7, target_height: 2, padding_color: 'black' });
    expect(await bytes(black)).toEqual(canvas(7, 2, (x, y) => (x < 1 || x >= 5 ? [0, 0, 0] : [(x - 1) * 60, y * 100, 5])));
  });

  it('refuses a fit that leaves no pixels, naming the input', async () => {
    const error = await core.fail({
      src: pixels(40, 1, 1, () => [1, 2, 3]),
      n: { class_type: 'ResizeAndPadImage', inputs: { image: ['src', 0], target_width: 4, target_height: 4, padding_color: 'white', interpolation: 'area' } },
      c: { class_type: 'TestCapture', inputs: { value: ['n', 0] } },
    });
    expect(error.node_type).toBe('ResizeAndPadImage');
    expect(error.exception_message).toContain('ResizeAndPadImage: input "target_height"');
  });
});

describe('ImageStitch', () => {
  const RED1 = [200, 10, 10];
  const BLUE2 = [10, 10, 200];
  const first = pixels(2, 2, 1, (_, x, y) => [RED1[0]! + x, RED1[1]! + y, RED1[2]!]);
  const second = pixels(3, 4, 1, (_, x, y) => [BLUE2[0]! + x, BLUE2[1]! + y, BLUE2[2]!]);
  const img1 = (x: number, y: number) => [RED1[0]! + x, RED1[1]! + y, RED1[2]!];
  const img2 = (x: number, y: number) => [BLUE2[0]! + x, BLUE2[1]! + y, BLUE2[2]!];
  const stitch = (inputs: Record<string, unknown>, sources: Record<string, unknown> = { a: first, b: second }) =>
    one({ class_type: 'ImageStitch', inputs: { image1: ['a', 0], image2: ['b', 0], match_image_size: false, spacing_width: 0, spacing_color: 'white', ...inputs } }, sources);

  it('returns image1 when image2 is not connected', async () => {
    const out = await one({ class_type: 'ImageStitch', inputs: { image1: ['a', 0], direction: 'right', match_image_size: true, spacing_width: 0, spacing_color: 'white' } }, { a: first });
    expect(await bytes(out)).toEqual(canvas(2, 2, img1));
  });

  it('right without matching: heights padded (centred, black for a colour), odd spacing made even in the spacing colour', async () => {
    // [image1: 2 wide, padded 1 above and 1 below][spacing 1 -> 2, red][image2: 3 wide]
    const out = await stitch({ direction: 'right', spacing_width: 1, spacing_color: 'red' });
    expect([out.width, out.height]).toEqual([7, 4]);
    expect(await bytes(out)).toEqual(
      canvas(7, 4, (x, y) => {
        if (x < 2) return y === 0 || y === 3 ? [0, 0, 0] : img1(x, y - 1);
        if (x < 4) return [255, 0, 0];
        return img2(x - 4, y);
      }),
    );
  });

  it('left puts image2 first; white padding and spacing are white', async () => {
    const out = await stitch({ direction: 'left', spacing_width: 2, spacing_color: 'white' });
    expect(await bytes(out)).toEqual(
      canvas(7, 4, (x, y) => {
        if (x < 3) return img2(x, y);
        if (x < 5) return [255, 255, 255];
        return y === 0 || y === 3 ? [255, 255, 255] : img1(x - 5, y - 1);
      }),
    );
  });

  it('down and up pad widths (left gets the smaller half) and stack along the height', async () => {
    // Widths 2 and 3: image1 gets 0 columns on the left and 1 on the right (pad 1 // 2 = 0).
    const down = await stitch({ direction: 'down', spacing_color: 'black' });
    expect([down.width, down.height]).toEqual([3, 6]);
    expect(await bytes(down)).toEqual(canvas(3, 6, (x, y) => (y < 2 ? (x === 2 ? [0, 0, 0] : img1(x, y)) : img2(x, y - 2))));
    const up = await stitch({ direction: 'up', spacing_width: 2, spacing_color: 'green' });
    expect([up.width, up.height]).toEqual([3, 8]);
    expect(await bytes(up)).toEqual(canvas(3, 8, (x, y) => (y < 4 ? img2(x, y) : y < 6 ? [0, 255, 0] : x === 2 ? [0, 0, 0] : img1(x, y - 6))));
  });

  it('repeats the last frame of the shorter batch', async () => {
    const three = pixels(1, 1, 3, (f) => [f * 10, 0, 0]);
    const single = pixels(1, 1, 1, () => [0, 0, 99]);
    const out = await stitch({ direction: 'right' }, { a: single, b: three });
    expect(out.count).toBe(3);
    expect(await bytes(out)).toEqual(canvas(2, 1, (x, _, f) => (x === 0 ? [0, 0, 99] : [f * 10, 0, 0]), 3));
  });

  it('match_image_size resizes image2 to image1\'s height (right) or width (down), other side by int()', async () => {
    const solid = pixels(4, 2, 1, () => [90, 120, 150]);
    const tall = pixels(5, 3, 1, () => [1, 2, 3]);
    const right = await stitch({ direction: 'right', match_image_size: true }, { a: tall, b: solid });
    // aspect 2: 3 * 2 = 6 wide
    expect([right.width, right.height]).toEqual([5 + 6, 3]);
    const down = await stitch({ direction: 'down', match_image_size: true }, { a: tall, b: solid });
    // int(5 / 2) = 2 high
    expect([down.width, down.height]).toEqual([5, 3 + 2]);
    const data = await bytes(down);
    // A solid colour stays that colour through lanczos (within one level).
    for (let p = 5 * 3; p < 5 * 5; p++) [90, 120, 150].forEach((v, c) => expect(Math.abs(data[p * 3 + c]! - v)).toBeLessThanOrEqual(1));
    expect(data.slice(0, 3)).toEqual([1, 2, 3]);
    // Same height: image2 is used as it is (no resampling), so the result is exact.
    const same = await stitch({ direction: 'right', match_image_size: true }, { a: pixels(1, 4, 1, () => [7, 7, 7]), b: second });
    expect(await bytes(same)).toEqual(canvas(4, 4, (x, y) => (x === 0 ? [7, 7, 7] : img2(x - 1, y))));
  });
});
