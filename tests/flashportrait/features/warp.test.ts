// The warps' unrolled interior path (3-channel pixels whose whole interpolation block lies inside
// the source) against the general border-aware sampler, which does every pixel with bounds checks:
// random images and matrices, blocks straddling every edge, and degenerate matrices. The golden
// tests pin the general behaviour to OpenCV; this keeps the fast path from drifting away from it.
import { describe, expect, it } from 'vitest';
import type { Affine } from '../../../nodes/flashportrait/features/affine.ts';
import type { Interpolation, PixelImage } from '../../../nodes/flashportrait/features/warp.ts';
import { warpAffine, warpPerspective } from '../../../nodes/flashportrait/features/warp.ts';
import { swapRedBlue } from '../../../nodes/flashportrait/features/frames.ts';
import { prng } from '../../helpers/prng.ts';

function randomImage(next: () => number, width: number, height: number, channels: number): PixelImage {
  const data = new Uint8Array(width * height * channels);
  // Plenty of 0 and 255, where rounding and clamping (bicubic overshoot) show.
  for (let i = 0; i < data.length; i++) {
    const r = next();
    data[i] = r < 0.1 ? 0 : r < 0.2 ? 255 : Math.floor(next() * 256);
  }
  return { data, width, height, channels };
}

/** A rotation + scale + shift around the image, sometimes mirrored; the output overlaps the source edges. */
function randomAffine(next: () => number, width: number, height: number): Affine {
  const angle = next() * 2 * Math.PI;
  const scale = 0.3 + next() * 2.5;
  const mirror = next() < 0.2 ? -1 : 1;
  const a = Math.cos(angle) * scale; const b = Math.sin(angle) * scale;
  return [a, b * mirror, (next() - 0.5) * width, -b, a * mirror, (next() - 0.5) * height];
}

function bothPaths(warp: (fast: boolean) => PixelImage): { fast: Uint8Array; general: Uint8Array } {
  return { fast: warp(true).data, general: warp(false).data };
}

/** Index of the first differing byte, or -1 (a readable failure instead of a huge array diff). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const DEGENERATE: ReadonlyArray<readonly [string, Affine]> = [
  ['identity', [1, 0, 0, 0, 1, 0]],
  ['integer shift', [1, 0, -3, 0, 1, 5]],
  ['half-pixel shift', [1, 0, 0.5, 0, 1, -0.5]],
  ['all outside', [1, 0, 1000, 0, 1, 1000]],
  ['huge zoom', [1e4, 0, -5e4, 0, 1e4, -5e4]],
  ['tiny scale', [1e-6, 0, 0, 0, 1e-6, 0]],
  ['singular', [0, 0, 3, 0, 0, 4]],
  ['flip', [-1, 0, 20, 0, -1, 20]],
];

describe('warp fast interior path = general path', () => {
  for (const kind of ['linear', 'cubic'] as Interpolation[]) {
    it(`warpAffine ${kind}: random images and matrices, borders included`, () => {
      const next = prng(kind === 'linear' ? 11 : 12);
      let interior = 0;
      for (let t = 0; t < 150; t++) {
        const src = randomImage(next, 1 + Math.floor(next() * 48), 1 + Math.floor(next() * 48), 3);
        const m = randomAffine(next, src.width, src.height);
        const w = 1 + Math.floor(next() * 64); const h = 1 + Math.floor(next() * 64);
        const { fast, general } = bothPaths((f) => warpAffine(src, m, w, h, kind, { interiorFastPath: f }));
        expect(firstDifference(fast, general), `case ${t}`).toBe(-1);
        interior += fast.some((v) => v !== 0) ? 1 : 0;
      }
      expect(interior).toBeGreaterThan(100); // most cases sample real pixels, not just the border
    });

    it(`warpAffine ${kind}: degenerate and edge-aligned matrices, tiny sources`, () => {
      const next = prng(3);
      for (const [width, height] of [[1, 1], [2, 2], [3, 5], [4, 4], [5, 3], [17, 9]] as const) {
        const src = randomImage(next, width, height, 3);
        for (const [name, m] of DEGENERATE) {
          const { fast, general } = bothPaths((f) => warpAffine(src, m, 24, 20, kind, { interiorFastPath: f }));
          expect(firstDifference(fast, general), `${name} on ${width}x${height}`).toBe(-1);
        }
      }
    });
  }

  it('warpPerspective: random projective matrices, the letterbox, degenerate rows (W = 0)', () => {
    const next = prng(21);
    for (let t = 0; t < 150; t++) {
      const src = randomImage(next, 1 + Math.floor(next() * 48), 1 + Math.floor(next() * 48), 3);
      const a = randomAffine(next, src.width, src.height);
      const p = t % 3 === 0 ? 0 : (next() - 0.5) * 0.05;
      const q = t % 3 === 0 ? 0 : (next() - 0.5) * 0.05;
      const m = [...a, p, q, 1];
      const { fast, general } = bothPaths((f) => warpPerspective(src, m, 40, 48, { interiorFastPath: f }));
      expect(firstDifference(fast, general), `case ${t}`).toBe(-1);
    }
    const src = randomImage(next, 30, 20, 3);
    // Letterbox-like scale + offset, and a matrix whose inverse has a row where W crosses 0.
    for (const m of [[0.5, 0, 3, 0, 0.5, 10, 0, 0, 1], [1, 0, 0, 0, 1, 0, 0.05, 0, -1]]) {
      const { fast, general } = bothPaths((f) => warpPerspective(src, m, 40, 48, { interiorFastPath: f }));
      expect(firstDifference(fast, general)).toBe(-1);
    }
  });

  it('warpPerspective rounds source positions half to even, as cvRound', () => {
    // A shift of 1/64 px puts every source position exactly half way between two 1/32 px steps:
    // half to even lands on the pixel itself (weight 1), half up would blend in 1/32 of a neighbour.
    const src = randomImage(prng(4), 24, 24, 3);
    const shift = 1 / 64;
    const out = warpPerspective(src, [1, 0, -shift, 0, 1, -shift, 0, 0, 1], 24, 24).data;
    expect(firstDifference(out, src.data)).toBe(-1);
  });

  it('other channel counts take the general path and keep their layout', () => {
    const next = prng(5);
    const grey = randomImage(next, 20, 20, 1);
    const m: Affine = [0.9, 0.1, 1, -0.1, 0.9, 2];
    const once = warpAffine(grey, m, 16, 16, 'cubic');
    // A 1-channel warp equals channel 0 of the same image spread over 3 equal channels.
    const rgb = { ...grey, channels: 3, data: Uint8Array.from({ length: grey.data.length * 3 }, (_, i) => grey.data[Math.floor(i / 3)]!) };
    const thrice = warpAffine(rgb, m, 16, 16, 'cubic');
    expect(firstDifference(once.data, Uint8Array.from({ length: 256 }, (_, i) => thrice.data[i * 3]!))).toBe(-1);
  });

  it('reverseChannels writes the channels of every pixel in reverse order, on both paths', () => {
    const next = prng(9);
    for (let t = 0; t < 40; t++) {
      const src = randomImage(next, 2 + Math.floor(next() * 40), 2 + Math.floor(next() * 40), 3);
      const m = randomAffine(next, src.width, src.height);
      const kind: Interpolation = t % 2 === 0 ? 'linear' : 'cubic';
      const swapped = swapRedBlue(warpAffine(src, m, 30, 30, kind)).data;
      for (const interiorFastPath of [true, false]) {
        expect(firstDifference(warpAffine(src, m, 30, 30, kind, { reverseChannels: true, interiorFastPath }).data, swapped), `case ${t}`).toBe(-1);
      }
      const p = [...m, (next() - 0.5) * 0.02, 0, 1];
      expect(firstDifference(warpPerspective(src, p, 30, 30, { reverseChannels: true }).data, swapRedBlue(warpPerspective(src, p, 30, 30)).data)).toBe(-1);
    }
  });

  it('writes into a given output buffer, every byte', () => {
    const next = prng(8);
    const src = randomImage(next, 32, 32, 3);
    const m: Affine = [0.7, 0.2, -4, -0.2, 0.7, 30];
    const out = new Uint8Array(20 * 20 * 3).fill(77);
    const result = warpAffine(src, m, 20, 20, 'linear', { out });
    expect(result.data.buffer).toBe(out.buffer);
    expect(firstDifference(out, warpAffine(src, m, 20, 20, 'linear').data)).toBe(-1);
    expect(() => warpAffine(src, m, 21, 20, 'linear', { out })).toThrow(/output buffer/);
  });
});
