// ImageBlend, ImageBlur and ImageSharpen: schemas against ComfyUI's, and pixels against a direct
// re-computation of ComfyUI's math written here (2-D kernels built as ComfyUI builds them, explicit
// reflect padding, per-pixel blend formulas), rounded to 8 bits as FlashGraph stores images.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Image } from '../../types/data.ts';
import { bytes, coreEngine, expectSchema, pixels, type CoreEngine } from './helpers.ts';

let core: CoreEngine;

beforeAll(async () => {
  core = await coreEngine();
});

const toByte = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255);
const pattern = (f: number, x: number, y: number) => [(x * 37 + y * 11 + f * 60) % 256, (x * x * 7 + y * 29) % 256, ((x ^ y) * 31 + f * 13) % 256];
function frameValues(width: number, height: number, count: number, rgb: (f: number, x: number, y: number) => number[]): number[] {
  const out: number[] = [];
  for (let f = 0; f < count; f++) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.push(...rgb(f, x, y));
  return out;
}

/** ComfyUI's 2-D Gaussian over linspace(-1, 1, k), normalised. */
function kernel2d(radius: number, sigma: number): number[][] {
  const k = 2 * radius + 1;
  const xs = Array.from({ length: k }, (_, i) => -1 + (2 * i) / (k - 1));
  const g = xs.map((x) => xs.map((y) => Math.exp(-(Math.sqrt(x * x + y * y) ** 2) / (2 * sigma * sigma))));
  const sum = g.flat().reduce((a, b) => a + b, 0);
  return g.map((row) => row.map((v) => v / sum));
}

/** Convolution of every channel with `kernel` over a reflect-padded copy (torch's 'reflect'). */
function convolveReflect(values: number[], width: number, height: number, count: number, kernel: number[][]): number[] {
  const r = (kernel.length - 1) / 2;
  const pw = width + 2 * r;
  const out: number[] = [];
  for (let f = 0; f < count; f++) {
    const padded: number[][] = [];
    for (let py = 0; py < height + 2 * r; py++) {
      for (let px = 0; px < pw; px++) {
        let sy = py - r;
        let sx = px - r;
        if (sy < 0) sy = -sy;
        if (sy >= height) sy = 2 * height - 2 - sy;
        if (sx < 0) sx = -sx;
        if (sx >= width) sx = 2 * width - 2 - sx;
        const at = ((f * height + sy) * width + sx) * 3;
        padded.push([values[at]! / 255, values[at + 1]! / 255, values[at + 2]! / 255]);
      }
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < 3; c++) {
          let v = 0;
          for (let ky = 0; ky < kernel.length; ky++) for (let kx = 0; kx < kernel.length; kx++) v += kernel[ky]![kx]! * padded[(y + ky) * pw + x + kx]![c]!;
          out.push(v);
        }
      }
    }
  }
  return out;
}

describe('schemas match ComfyUI', () => {
  it('ImageBlend, ImageBlur, ImageSharpen', () => {
    const e = core.engine;
    const common = { output: ['IMAGE'], output_name: ['IMAGE'], category: 'image/postprocessing' };
    expectSchema(e, 'ImageBlend', {
      required: {
        image1: ['IMAGE'],
        image2: ['IMAGE'],
        blend_factor: ['FLOAT', { default: 0.5, min: 0, max: 1, step: 0.01 }],
        blend_mode: [['normal', 'multiply', 'screen', 'overlay', 'soft_light', 'difference']],
      },
      display_name: 'Blend Images',
      ...common,
    });
    expectSchema(e, 'ImageBlur', {
      required: { image: ['IMAGE'], blur_radius: ['INT', { default: 1, min: 1, max: 31, step: 1 }], sigma: ['FLOAT', { default: 1, min: 0.1, max: 10, step: 0.1 }] },
      display_name: 'Blur Image',
      ...common,
    });
    expectSchema(e, 'ImageSharpen', {
      required: {
        image: ['IMAGE'],
        sharpen_radius: ['INT', { default: 1, min: 1, max: 31, step: 1, advanced: true }],
        sigma: ['FLOAT', { default: 1, min: 0.1, max: 10, step: 0.01, advanced: true }],
        alpha: ['FLOAT', { default: 1, min: 0, max: 5, step: 0.01, advanced: true }],
      },
      display_name: 'Sharpen Image',
      ...common,
    });
  });
});

describe('ImageBlend', () => {
  const formulas: Record<string, (a: number, b: number) => number> = {
    normal: (_a, b) => b,
    multiply: (a, b) => a * b,
    screen: (a, b) => 1 - (1 - a) * (1 - b),
    overlay: (a, b) => (a <= 0.5 ? 2 * a * b : 1 - 2 * (1 - a) * (1 - b)),
    soft_light: (a, b) => (b <= 0.5 ? a - (1 - 2 * b) * a * (1 - a) : a + (2 * b - 1) * ((a <= 0.25 ? ((16 * a - 12) * a + 4) * a : Math.sqrt(a)) - a)),
    difference: (a, b) => a - b,
  };
  const second = (f: number, x: number, y: number) => [(x * 50 + f * 90) % 256, (y * 70 + 3) % 256, (255 - x * 20 - f * 40 + 256) % 256];

  it.each(Object.keys(formulas))('%s: image1·(1-f) + mode(image1, image2)·f, clamped, on every frame', async (mode) => {
    const factor = 0.37;
    const [out] = (await core.run(
      {
        '1': pixels(6, 5, 3, pattern),
        '2': pixels(6, 5, 3, second),
        '3': { class_type: 'ImageBlend', inputs: { image1: ['1', 0], image2: ['2', 0], blend_factor: factor, blend_mode: mode } },
      },
      [['3', 0]],
    )) as [Image];
    const a = frameValues(6, 5, 3, pattern);
    const b = frameValues(6, 5, 3, second);
    const expected = a.map((v, i) => toByte((v / 255) * (1 - factor) + formulas[mode]!(v / 255, b[i]! / 255) * factor));
    expect(await bytes(out)).toEqual(expected);
  });

  it('a one-frame image2 applies to every frame; other count mismatches are refused; another size is scaled to image1', async () => {
    const [broadcast, scaled] = (await core.run(
      {
        '1': pixels(4, 3, 3, pattern),
        '2': pixels(4, 3, 1, second),
        '3': { class_type: 'ImageBlend', inputs: { image1: ['1', 0], image2: ['2', 0], blend_factor: 1, blend_mode: 'multiply' } },
        '4': pixels(8, 6, 3, second),
        '5': { class_type: 'ImageBlend', inputs: { image1: ['1', 0], image2: ['4', 0], blend_factor: 0.5, blend_mode: 'normal' } },
      },
      [
        ['3', 0],
        ['5', 0],
      ],
    )) as [Image, Image];
    const a = frameValues(4, 3, 3, pattern);
    const b = frameValues(4, 3, 1, second);
    expect(await bytes(broadcast)).toEqual(a.map((v, i) => toByte((v / 255) * (b[i % b.length]! / 255))));
    expect([scaled.count, scaled.width, scaled.height]).toEqual([3, 4, 3]);
    expect((await bytes(scaled)).length).toBe(3 * 4 * 3 * 3);
    const failure = await core.fail({
      '1': pixels(4, 3, 3, pattern),
      '2': pixels(4, 3, 2, second),
      '3': { class_type: 'ImageBlend', inputs: { image1: ['1', 0], image2: ['2', 0], blend_factor: 0.5, blend_mode: 'normal' } },
      '4': { class_type: 'PreviewImage', inputs: { images: ['3', 0] } },
    });
    expect(failure.exception_message).toMatch(/^ImageBlend: input "image2": has 2 frames and image1 has 3/);
  });
});

describe('ImageBlur and ImageSharpen', () => {
  it.each([
    { radius: 1, sigma: 1 },
    { radius: 2, sigma: 0.5 },
    { radius: 3, sigma: 2.5 },
  ])('blur radius $radius sigma $sigma: Gaussian over linspace(-1,1), reflect padding', async ({ radius, sigma }) => {
    const [out] = (await core.run(
      { '1': pixels(7, 5, 2, pattern), '2': { class_type: 'ImageBlur', inputs: { image: ['1', 0], blur_radius: radius, sigma } } },
      [['2', 0]],
    )) as [Image];
    const expected = convolveReflect(frameValues(7, 5, 2, pattern), 7, 5, 2, kernel2d(radius, sigma)).map(toByte);
    expect(await bytes(out)).toEqual(expected);
  });

  it.each([
    { radius: 1, sigma: 1, alpha: 1 },
    { radius: 2, sigma: 0.7, alpha: 0.3 },
    { radius: 1, sigma: 1, alpha: 0 },
  ])('sharpen radius $radius sigma $sigma alpha $alpha: ComfyUI kernel (-10·alpha·G, centre corrected), clamped', async ({ radius, sigma, alpha }) => {
    const [out] = (await core.run(
      { '1': pixels(6, 6, 2, pattern), '2': { class_type: 'ImageSharpen', inputs: { image: ['1', 0], sharpen_radius: radius, sigma, alpha } } },
      [['2', 0]],
    )) as [Image];
    const kernel = kernel2d(radius, sigma).map((row) => row.map((v) => v * -(alpha * 10)));
    const sum = kernel.flat().reduce((a, b) => a + b, 0);
    kernel[radius]![radius] = kernel[radius]![radius]! - sum + 1;
    const expected = convolveReflect(frameValues(6, 6, 2, pattern), 6, 6, 2, kernel).map(toByte);
    expect(await bytes(out)).toEqual(expected);
  });

  it('a radius as large as the image cannot be reflect-padded: the error names node and input', async () => {
    const preview = { '3': { class_type: 'PreviewImage', inputs: { images: ['2', 0] } } };
    const blur = await core.fail({ '1': pixels(4, 3, 1, pattern), '2': { class_type: 'ImageBlur', inputs: { image: ['1', 0], blur_radius: 3, sigma: 1 } }, ...preview });
    expect(blur.exception_message).toMatch(/^ImageBlur: input "blur_radius": reflect padding needs blur_radius below the image width and height \(4x3\), got 3/);
    const sharpen = await core.fail({ '1': pixels(2, 8, 1, pattern), '2': { class_type: 'ImageSharpen', inputs: { image: ['1', 0], sharpen_radius: 2, sigma: 1, alpha: 1 } }, ...preview });
    expect(sharpen.exception_message).toMatch(/^ImageSharpen: input "sharpen_radius"/);
  });
});
