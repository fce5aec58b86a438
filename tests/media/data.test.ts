import { describe, expect, it } from 'vitest';
import {
  concatImages,
  imageFromFloat32,
  imageFromPixels,
  lazyImage,
  materialize,
  parseRational,
  rationalFromNumber,
  sliceImage,
  toFloat32,
} from '../../types/data.ts';
import { planFrames } from '../../server/media/video-file.ts';

const pixels = (count: number, w: number, h: number) => Uint8Array.from({ length: count * w * h * 3 }, (_, i) => i % 251);

describe('IMAGE representation', () => {
  it('streams in chunks and materialises to the same bytes, re-readably', async () => {
    const data = pixels(5, 3, 2);
    const image = imageFromPixels(data, 5, 3, 2);
    const chunks = [];
    for await (const c of image.frames({ chunkFrames: 2 })) chunks.push([c.start, c.count]);
    expect(chunks).toEqual([[0, 2], [2, 2], [4, 1]]);
    expect((await materialize(image)).data).toEqual(data);
    expect((await materialize(image)).shape).toEqual([5, 2, 3, 3]);
  });

  it('converts to float32 channel-last and channel-first, and back', async () => {
    const image = imageFromPixels(pixels(2, 2, 2), 2, 2, 2);
    const bhwc = await toFloat32(image);
    const bchw = await toFloat32(image, { layout: 'BCHW' });
    expect(bhwc.shape).toEqual([2, 2, 2, 3]);
    expect(bchw.shape).toEqual([2, 3, 2, 2]);
    // pixel (frame 1, y 1, x 0), green
    expect(bchw.data[1 * 12 + 1 * 4 + 1 * 2 + 0]).toBe(bhwc.data[1 * 12 + (1 * 2 + 0) * 3 + 1]);
    expect((await materialize(imageFromFloat32(bchw, 'BCHW'))).data).toEqual((await materialize(image)).data);
    const window = await toFloat32(image, { start: 1, count: 1 });
    expect(window.data).toEqual(bhwc.data.subarray(12));
  });

  it('slices and concatenates lazily', async () => {
    const a = imageFromPixels(pixels(3, 1, 1), 3, 1, 1);
    const b = imageFromPixels(Uint8Array.from([9, 9, 9]), 1, 1, 1);
    const both = concatImages(a, b);
    expect(Array.from((await materialize(sliceImage(both, 2, 2))).data)).toEqual([6, 7, 8, 9, 9, 9]);
  });

  it('reports a source that ends early', async () => {
    const short = lazyImage({ count: 3, width: 1, height: 1, origin: 'LoadVideo input "file" (x.mp4)' }, async function* () {
      yield { start: 0, count: 1, data: new Uint8Array(3) };
    });
    await expect(materialize(short)).rejects.toThrow('LoadVideo input "file" (x.mp4) ended after 1 of 3 frames');
  });
});

describe('frame rates and frame plans', () => {
  it('keeps rates exact', () => {
    expect(parseRational('30000/1001')).toEqual({ num: 30000, den: 1001 });
    expect(parseRational('0/0')).toBeNull();
    expect(rationalFromNumber(29.97002997002997)).toEqual({ num: 30000, den: 1001 });
    expect(rationalFromNumber(12.5)).toEqual({ num: 25, den: 2 });
  });

  it('forces the rate, then skips, thins and caps', () => {
    const plan = planFrames(100, { num: 25, den: 1 }, { forceRate: 10, skipFirst: 2, everyNth: 3, frameCap: 5 });
    expect(plan.count).toBe(5);
    expect(plan.fps).toEqual({ num: 10, den: 3 });
    expect(plan.startSeconds).toBeCloseTo(0.2);
    // base frame k at k/10 s shows source frame floor(k * 2.5)
    expect([0, 1, 2, 3, 4].map(plan.sourceIndex)).toEqual([5, 12, 20, 27, 35]);
    expect(planFrames(100, { num: 25, den: 1 }, {}).identity).toBe(true);
  });
});
