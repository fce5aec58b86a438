// Image warps that reproduce OpenCV's fixed-point path bit for bit: source coordinates quantised to
// 1/32 px (INTER_BITS = 5), interpolation weights as 15-bit integers from OpenCV's tables, constant
// border 0. (OpenCV computes warpAffine/warpPerspective this way for 8-bit images with
// INTER_LINEAR / INTER_CUBIC.) Images are HWC uint8 with any channel count.
import type { Affine } from './affine.ts';
import { invertAffine, invert3x3 } from './affine.ts';

export interface PixelImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

export type Interpolation = 'linear' | 'cubic';

const INTER_BITS = 5;
const TAB_SIZE = 1 << INTER_BITS;
const COEF_BITS = 15;
const COEF_SCALE = 1 << COEF_BITS;

/** cvRound: round half to even, as lrint in the default rounding mode. */
function cvRound(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function linearCoeffs(x: number): number[] {
  return [Math.fround(1 - x), x];
}

function cubicCoeffs(x: number): number[] {
  const f = Math.fround;
  const A = -0.75;
  const x1 = f(x + 1);
  const c0 = f(f(f(f(f(f(A * x1) - f(5 * A)) * x1) + f(8 * A)) * x1) - f(4 * A));
  const c1 = f(f(f(f(f(f(A + 2) * x) - f(A + 3)) * x) * x) + 1);
  const ox = f(1 - x);
  const c2 = f(f(f(f(f(f(A + 2) * ox) - f(A + 3)) * ox) * ox) + 1);
  const c3 = f(f(f(1 - c0) - c1) - c2);
  return [c0, c1, c2, c3];
}

const tables = new Map<Interpolation, Int32Array>();

/** OpenCV's initInterTab2D(fixpt): per sub-pixel offset, ksize² 15-bit weights summing to 2^15. */
function weightTable(kind: Interpolation): Int32Array {
  const cached = tables.get(kind);
  if (cached) return cached;
  const ksize = kind === 'linear' ? 2 : 4;
  const k2 = ksize * ksize;
  const oneD = Array.from({ length: TAB_SIZE }, (_, i) => (kind === 'linear' ? linearCoeffs : cubicCoeffs)(Math.fround(i * Math.fround(1 / TAB_SIZE))));
  // Each entry gets ksize² extra slots of padding: OpenCV's sum correction for ksize 2 reads (and
  // may write) just past the entry, which only matters if the sum is off, which it never is for 2.
  const tab = new Int32Array(TAB_SIZE * TAB_SIZE * k2 + k2);
  for (let i = 0; i < TAB_SIZE; i++) {
    for (let j = 0; j < TAB_SIZE; j++) {
      const base = (i * TAB_SIZE + j) * k2;
      let isum = 0;
      for (let a = 0; a < ksize; a++) {
        for (let b = 0; b < ksize; b++) {
          const v = Math.fround(oneD[i]![a]! * oneD[j]![b]!);
          const w = cvRound(Math.fround(v * COEF_SCALE));
          tab[base + a * ksize + b] = w;
          isum += w;
        }
      }
      if (isum !== COEF_SCALE) {
        const diff = isum - COEF_SCALE;
        const half = ksize / 2;
        let mk1 = half; let mk2 = half; let Mk1 = half; let Mk2 = half;
        for (let a = half; a < half + 2; a++) {
          for (let b = half; b < half + 2; b++) {
            const v = tab[base + a * ksize + b]!;
            if (v < tab[base + mk1 * ksize + mk2]!) { mk1 = a; mk2 = b; }
            else if (v > tab[base + Mk1 * ksize + Mk2]!) { Mk1 = a; Mk2 = b; }
          }
        }
        if (diff < 0) tab[base + Mk1 * ksize + Mk2] = tab[base + Mk1 * ksize + Mk2]! - diff;
        else tab[base + mk1 * ksize + mk2] = tab[base + mk1 * ksize + mk2]! - diff;
      }
    }
  }
  tables.set(kind, tab);
  return tab;
}

/** Samples `src` at fixed-point source position (X, Y) in 1/32 px into dst[o..o+channels). */
function sampleFixed(src: PixelImage, X: number, Y: number, kind: Interpolation, tab: Int32Array, dst: Uint8Array, o: number): void {
  const ksize = kind === 'linear' ? 2 : 4;
  const sx0 = (X >> INTER_BITS) - (kind === 'cubic' ? 1 : 0);
  const sy0 = (Y >> INTER_BITS) - (kind === 'cubic' ? 1 : 0);
  const w = tab.subarray(((Y & (TAB_SIZE - 1)) * TAB_SIZE + (X & (TAB_SIZE - 1))) * ksize * ksize);
  const { width, height, channels: cn, data } = src;
  for (let c = 0; c < cn; c++) {
    let sum = 0;
    for (let a = 0; a < ksize; a++) {
      const sy = sy0 + a;
      if (sy < 0 || sy >= height) continue;
      const row = sy * width;
      for (let b = 0; b < ksize; b++) {
        const sx = sx0 + b;
        if (sx < 0 || sx >= width) continue;
        sum += data[(row + sx) * cn + c]! * w[a * ksize + b]!;
      }
    }
    const v = (sum + (1 << (COEF_BITS - 1))) >> COEF_BITS;
    dst[o + c] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
}

/** cv2.warpAffine(src, m, (width, height), flags=kind, borderValue=0); `m` maps source to destination. */
export function warpAffine(src: PixelImage, m: Affine, width: number, height: number, kind: Interpolation = 'linear'): PixelImage {
  const inv = invertAffine(m);
  const AB_BITS = 10;
  const AB_SCALE = 1 << AB_BITS;
  const roundDelta = AB_SCALE / TAB_SIZE / 2;
  const tab = weightTable(kind);
  const cn = src.channels;
  const out = new Uint8Array(width * height * cn);
  const adelta = new Int32Array(width);
  const bdelta = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    adelta[x] = cvRound(inv[0] * x * AB_SCALE);
    bdelta[x] = cvRound(inv[3] * x * AB_SCALE);
  }
  for (let y = 0; y < height; y++) {
    const X0 = cvRound((inv[1] * y + inv[2]) * AB_SCALE) + roundDelta;
    const Y0 = cvRound((inv[4] * y + inv[5]) * AB_SCALE) + roundDelta;
    for (let x = 0; x < width; x++) {
      const X = (X0 + adelta[x]!) >> (AB_BITS - INTER_BITS);
      const Y = (Y0 + bdelta[x]!) >> (AB_BITS - INTER_BITS);
      sampleFixed(src, X, Y, kind, tab, out, (y * width + x) * cn);
    }
  }
  return { data: out, width, height, channels: cn };
}

/** cv2.warpPerspective(src, m, (width, height)) bilinear, border 0; `m` (3x3 row-major) maps source to destination. */
export function warpPerspective(src: PixelImage, m: readonly number[], width: number, height: number): PixelImage {
  const M = invert3x3(m);
  const tab = weightTable('linear');
  const cn = src.channels;
  const out = new Uint8Array(width * height * cn);
  const clampInt = (v: number): number => cvRound(Math.max(-2147483648, Math.min(2147483647, v)));
  for (let y = 0; y < height; y++) {
    const X0 = M[1]! * y + M[2]!;
    const Y0 = M[4]! * y + M[5]!;
    const W0 = M[7]! * y + M[8]!;
    for (let x = 0; x < width; x++) {
      let W = W0 + M[6]! * x;
      W = W ? TAB_SIZE / W : 0;
      const X = clampInt((X0 + M[0]! * x) * W);
      const Y = clampInt((Y0 + M[3]! * x) * W);
      sampleFixed(src, X, Y, 'linear', tab, out, (y * width + x) * cn);
    }
  }
  return { data: out, width, height, channels: cn };
}
