// Image warps that reproduce OpenCV's fixed-point path bit for bit: source coordinates quantised to
// 1/32 px (INTER_BITS = 5), interpolation weights as 15-bit integers from OpenCV's tables, constant
// border 0. (OpenCV computes warpAffine/warpPerspective this way for 8-bit images with
// INTER_LINEAR / INTER_CUBIC.) Images are HWC uint8 with any channel count.
//
// Speed: source positions are computed a row at a time (affine: OpenCV's per-column deltas plus a
// per-row base), and a 3-channel pixel whose whole 2x2 / 4x4 block is inside the source is sampled
// by an unrolled loop with no border tests; everything else (other channel counts, pixels at or
// beyond the edges) goes through one general sampler. tests/flashportrait/features/warp.test.ts checks that they agree.
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

/**
 * Options for the warps. `out`: a buffer of at least width*height*channels bytes to write into
 * (every byte is written), instead of a fresh one. `reverseChannels`: write each pixel's channels
 * in reverse order (RGB in, BGR out), so a frame needs no separate conversion pass.
 * `interiorFastPath: false` sends every pixel through the general border-aware sampler (tests use
 * it to check the fast path against it).
 */
export interface WarpOptions {
  readonly out?: Uint8Array;
  readonly reverseChannels?: boolean;
  readonly interiorFastPath?: boolean;
}

/** How a row is written: fast interior path on or off, channels in reverse order or not. */
interface RowMode {
  readonly fast: boolean;
  readonly reverse: boolean;
}

const ROUND_HALF = 1 << (COEF_BITS - 1);

/**
 * The general sampler: any channel count, taps outside the source count as 0 (constant border).
 * `X`, `Y`: fixed-point source position in 1/32 px; writes dst[o..o+channels), in reverse order
 * when `reverse`.
 */
function sampleGeneral(src: PixelImage, X: number, Y: number, ksize: number, tab: Int32Array, dst: Uint8Array, o: number, reverse: boolean): void {
  const sx0 = (X >> INTER_BITS) - (ksize >> 1) + 1;
  const sy0 = (Y >> INTER_BITS) - (ksize >> 1) + 1;
  const { width, height, channels: cn, data } = src;
  if (sx0 >= width || sy0 >= height || sx0 + ksize <= 0 || sy0 + ksize <= 0) {
    for (let c = 0; c < cn; c++) dst[o + c] = 0; // every tap outside: the border value
    return;
  }
  const w = ((Y & (TAB_SIZE - 1)) * TAB_SIZE + (X & (TAB_SIZE - 1))) * ksize * ksize;
  for (let c = 0; c < cn; c++) {
    let sum = 0;
    for (let a = 0; a < ksize; a++) {
      const sy = sy0 + a;
      if (sy < 0 || sy >= height) continue;
      const row = sy * width;
      for (let b = 0; b < ksize; b++) {
        const sx = sx0 + b;
        if (sx < 0 || sx >= width) continue;
        sum += data[(row + sx) * cn + c]! * tab[w + a * ksize + b]!;
      }
    }
    const v = (sum + ROUND_HALF) >> COEF_BITS;
    dst[o + (reverse ? cn - 1 - c : c)] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
}

/**
 * One destination row, bilinear: xs/ys hold each pixel's fixed-point source position. A 3-channel
 * pixel whose 2x2 block lies inside the source takes the unrolled path (no border tests; the
 * weights are non-negative and sum to 2^15, so no clamping either); any other pixel the general one.
 */
function linearRow(src: PixelImage, xs: Int32Array, ys: Int32Array, count: number, tab: Int32Array, dst: Uint8Array, o: number, mode: RowMode): void {
  const { width, height, data } = src;
  const cn = src.channels;
  const stride = width * 3;
  const interior = mode.fast && cn === 3;
  const reverse = mode.reverse;
  const first = reverse ? 2 : 0; const last = 2 - first;
  for (let x = 0; x < count; x++, o += cn) {
    const X = xs[x]!; const Y = ys[x]!;
    const sx = X >> INTER_BITS; const sy = Y >> INTER_BITS;
    if (!interior || sx < 0 || sy < 0 || sx >= width - 1 || sy >= height - 1) {
      sampleGeneral(src, X, Y, 2, tab, dst, o, reverse);
      continue;
    }
    const w = ((Y & (TAB_SIZE - 1)) * TAB_SIZE + (X & (TAB_SIZE - 1))) * 4;
    const w0 = tab[w]!; const w1 = tab[w + 1]!; const w2 = tab[w + 2]!; const w3 = tab[w + 3]!;
    const p = (sy * width + sx) * 3; const q = p + stride;
    dst[o + first] = (data[p]! * w0 + data[p + 3]! * w1 + data[q]! * w2 + data[q + 3]! * w3 + ROUND_HALF) >> COEF_BITS;
    dst[o + 1] = (data[p + 1]! * w0 + data[p + 4]! * w1 + data[q + 1]! * w2 + data[q + 4]! * w3 + ROUND_HALF) >> COEF_BITS;
    dst[o + last] = (data[p + 2]! * w0 + data[p + 5]! * w1 + data[q + 2]! * w2 + data[q + 5]! * w3 + ROUND_HALF) >> COEF_BITS;
  }
}

/** 15-bit fixed point sum to a clamped byte (bicubic weights can be negative or overshoot). */
function toByte(sum: number): number {
  const v = (sum + ROUND_HALF) >> COEF_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** One destination row, bicubic; like linearRow with a 4x4 block starting one pixel up-left. */
function cubicRow(src: PixelImage, xs: Int32Array, ys: Int32Array, count: number, tab: Int32Array, dst: Uint8Array, o: number, mode: RowMode): void {
  const { width, height, data } = src;
  const cn = src.channels;
  const stride = width * 3;
  const interior = mode.fast && cn === 3;
  const reverse = mode.reverse;
  const first = reverse ? 2 : 0; const last = 2 - first;
  for (let x = 0; x < count; x++, o += cn) {
    const X = xs[x]!; const Y = ys[x]!;
    const sx = (X >> INTER_BITS) - 1; const sy = (Y >> INTER_BITS) - 1;
    if (!interior || sx < 0 || sy < 0 || sx > width - 4 || sy > height - 4) {
      sampleGeneral(src, X, Y, 4, tab, dst, o, reverse);
      continue;
    }
    let w = ((Y & (TAB_SIZE - 1)) * TAB_SIZE + (X & (TAB_SIZE - 1))) * 16;
    let p = (sy * width + sx) * 3;
    let s0 = 0; let s1 = 0; let s2 = 0;
    for (let a = 0; a < 4; a++, w += 4, p += stride) {
      const w0 = tab[w]!; const w1 = tab[w + 1]!; const w2 = tab[w + 2]!; const w3 = tab[w + 3]!;
      s0 += data[p]! * w0 + data[p + 3]! * w1 + data[p + 6]! * w2 + data[p + 9]! * w3;
      s1 += data[p + 1]! * w0 + data[p + 4]! * w1 + data[p + 7]! * w2 + data[p + 10]! * w3;
      s2 += data[p + 2]! * w0 + data[p + 5]! * w1 + data[p + 8]! * w2 + data[p + 11]! * w3;
    }
    dst[o + first] = toByte(s0); dst[o + 1] = toByte(s1); dst[o + last] = toByte(s2);
  }
}

function outputBuffer(size: number, options: WarpOptions): Uint8Array {
  const out = options.out;
  if (!out) return new Uint8Array(size);
  if (out.length < size) throw new Error(`warp: output buffer has ${out.length} bytes, ${size} needed`);
  return out.length === size ? out : out.subarray(0, size);
}

/** cv2.warpAffine(src, m, (width, height), flags=kind, borderValue=0); `m` maps source to destination. */
export function warpAffine(src: PixelImage, m: Affine, width: number, height: number, kind: Interpolation = 'linear', options: WarpOptions = {}): PixelImage {
  const inv = invertAffine(m);
  const AB_BITS = 10;
  const AB_SCALE = 1 << AB_BITS;
  const roundDelta = AB_SCALE / TAB_SIZE / 2;
  const tab = weightTable(kind);
  const cn = src.channels;
  const out = outputBuffer(width * height * cn, options);
  const mode: RowMode = { fast: options.interiorFastPath ?? true, reverse: options.reverseChannels ?? false };
  const row = kind === 'linear' ? linearRow : cubicRow;
  // As OpenCV: the x terms of the source position in 1/1024 px once per call, the y terms per row.
  const adelta = new Int32Array(width);
  const bdelta = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    adelta[x] = cvRound(inv[0] * x * AB_SCALE);
    bdelta[x] = cvRound(inv[3] * x * AB_SCALE);
  }
  const xs = new Int32Array(width);
  const ys = new Int32Array(width);
  for (let y = 0; y < height; y++) {
    const X0 = cvRound((inv[1] * y + inv[2]) * AB_SCALE) + roundDelta;
    const Y0 = cvRound((inv[4] * y + inv[5]) * AB_SCALE) + roundDelta;
    for (let x = 0; x < width; x++) {
      xs[x] = (X0 + adelta[x]!) >> (AB_BITS - INTER_BITS);
      ys[x] = (Y0 + bdelta[x]!) >> (AB_BITS - INTER_BITS);
    }
    row(src, xs, ys, width, tab, out, y * width * cn, mode);
  }
  return { data: out, width, height, channels: cn };
}

// 1.5 * 2^52: sums of this size have no fraction bits, so adding it and taking it away again rounds
// to an integer by the IEEE default, half to even (the magic number is even), as lrint does.
const ROUND_MAGIC = 1.5 * 2 ** 52;

/**
 * cvRound of v saturated to int32 (OpenCV's saturate_cast<int>), without cvRound's branches: this
 * runs twice per pixel of a perspective warp. Exact, since |v| <= 2^31 after the clamp. NaN stays
 * NaN, which `>>` reads as 0.
 */
function saturateRound(v: number): number {
  const clamped = v < -2147483648 ? -2147483648 : v > 2147483647 ? 2147483647 : v;
  return clamped + ROUND_MAGIC - ROUND_MAGIC;
}

/** cv2.warpPerspective(src, m, (width, height)) bilinear, border 0; `m` (3x3 row-major) maps source to destination. */
export function warpPerspective(src: PixelImage, m: readonly number[], width: number, height: number, options: WarpOptions = {}): PixelImage {
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = invert3x3(m) as [number, number, number, number, number, number, number, number, number];
  const tab = weightTable('linear');
  const cn = src.channels;
  const out = outputBuffer(width * height * cn, options);
  const mode: RowMode = { fast: options.interiorFastPath ?? true, reverse: options.reverseChannels ?? false };
  const xs = new Int32Array(width);
  const ys = new Int32Array(width);
  for (let y = 0; y < height; y++) {
    const X0 = m1 * y + m2;
    const Y0 = m4 * y + m5;
    const W0 = m7 * y + m8;
    for (let x = 0; x < width; x++) {
      let W = W0 + m6 * x;
      W = W ? TAB_SIZE / W : 0;
      xs[x] = saturateRound((X0 + m0 * x) * W);
      ys[x] = saturateRound((Y0 + m3 * x) * W);
    }
    linearRow(src, xs, ys, width, tab, out, y * width * cn, mode);
  }
  return { data: out, width, height, channels: cn };
}
