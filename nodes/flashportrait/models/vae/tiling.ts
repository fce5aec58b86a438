// Spatial tiling of wan_vae_tiled.py, on host tensors [1, C, T, H, W]: overlapping tiles are run
// independently, each tile is blended with the tile above and then the tile to its left (both read
// AFTER their own blending, as the original blends in place), cropped to the stride, and stitched.
import { createTensor } from '../../../../server/ml/tensor.ts';
import type { Tensor } from '../../../../server/ml/tensor.ts';

/** Tile size and stride in pixels (the original's tile_sample_min_* / tile_sample_stride_*). */
export interface VaeTiling {
  readonly tileHeight: number;
  readonly tileWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
}

/** wan_fast.yaml's settings. */
export const DEFAULT_TILING: VaeTiling = { tileHeight: 256, tileWidth: 256, strideHeight: 192, strideWidth: 192 };

export function assertTiling(t: VaeTiling, unit: number): void {
  for (const [name, v] of Object.entries(t)) {
    if (!Number.isInteger(v) || v <= 0 || v % unit !== 0) throw new Error(`tiling ${name} must be a positive multiple of ${unit}, got ${v}`);
  }
  if (t.strideHeight > t.tileHeight || t.strideWidth > t.tileWidth) throw new Error('tiling stride must not exceed the tile size');
}

function dims(t: Tensor): [number, number, number, number] {
  const [b, c, f, h, w] = t.shape;
  if (t.shape.length !== 5 || b !== 1) throw new Error(`expected a [1, C, T, H, W] tensor, got [${t.shape.join(', ')}]`);
  return [c!, f!, h!, w!];
}

export function cropHW(t: Tensor, y0: number, y1: number, x0: number, x1: number): Tensor {
  const [c, f, h, w] = dims(t);
  const ys = Math.min(y1, h) - y0;
  const xs = Math.min(x1, w) - x0;
  const src = t.data as Float32Array;
  const out = new Float32Array(c * f * ys * xs);
  let o = 0;
  for (let p = 0; p < c * f; p++) {
    for (let y = 0; y < ys; y++) {
      const row = (p * h + y0 + y) * w + x0;
      out.set(src.subarray(row, row + xs), o);
      o += xs;
    }
  }
  return createTensor('float32', [1, c, f, ys, xs], out);
}

/** b's first rows fade in over a's last rows: b[y] = a[H-e+y](1 - y/e) + b[y](y/e). */
export function blendVertical(a: Tensor, b: Tensor, extent: number): void {
  const [c, f, ah, w] = dims(a);
  const bh = b.shape[3]!;
  const e = Math.min(ah, bh, extent);
  const ad = a.data as Float32Array; const bd = b.data as Float32Array;
  for (let p = 0; p < c * f; p++) {
    for (let y = 0; y < e; y++) {
      const wa = Math.fround(1 - y / e); const wb = Math.fround(y / e);
      const ar = (p * ah + ah - e + y) * w; const br = (p * bh + y) * w;
      for (let x = 0; x < w; x++) bd[br + x] = Math.fround(ad[ar + x]! * wa) + Math.fround(bd[br + x]! * wb);
    }
  }
}

/** The same along width. */
export function blendHorizontal(a: Tensor, b: Tensor, extent: number): void {
  const [c, f, h, aw] = dims(a);
  const bw = b.shape[4]!;
  const e = Math.min(aw, bw, extent);
  const ad = a.data as Float32Array; const bd = b.data as Float32Array;
  for (let p = 0; p < c * f; p++) {
    for (let y = 0; y < h; y++) {
      const ar = (p * h + y) * aw; const br = (p * h + y) * bw;
      for (let x = 0; x < e; x++) {
        const wa = Math.fround(1 - x / e); const wb = Math.fround(x / e);
        bd[br + x] = Math.fround(ad[ar + aw - e + x]! * wa) + Math.fround(bd[br + x]! * wb);
      }
    }
  }
}

function stitch(tiles: Tensor[][], rowLimit: number, colLimit: number, height: number, width: number): Tensor {
  const first = tiles[0]![0]!;
  const [c, f] = dims(first);
  const out = new Float32Array(c * f * height * width);
  let y0 = 0;
  for (const row of tiles) {
    let x0 = 0;
    let rowHeight = 0;
    for (const tile of row) {
      const [, , th, tw] = dims(tile);
      const hs = Math.min(th, rowLimit, height - y0);
      const ws = Math.min(tw, colLimit, width - x0);
      const src = tile.data as Float32Array;
      for (let p = 0; p < c * f; p++) {
        for (let y = 0; y < hs; y++) {
          const s = (p * th + y) * tw;
          out.set(src.subarray(s, s + ws), (p * height + y0 + y) * width + x0);
        }
      }
      x0 += Math.min(tw, colLimit);
      rowHeight = Math.max(rowHeight, Math.min(th, rowLimit));
    }
    y0 += rowHeight;
  }
  return createTensor('float32', [1, c, f, height, width], out);
}

/**
 * Runs `run` on every tile of `input` (tile and stride in input units) and blends the results,
 * whose spatial size is the tile's times `outputScale` (1/8 for encode, 8 for decode).
 */
export async function runTiled(input: Tensor, tile: { height: number; width: number; strideHeight: number; strideWidth: number }, outputScale: number, run: (tile: Tensor) => Promise<Tensor>): Promise<Tensor> {
  const [, , h, w] = dims(input);
  const rows: Tensor[][] = [];
  for (let i = 0; i < h; i += tile.strideHeight) {
    const row: Tensor[] = [];
    for (let j = 0; j < w; j += tile.strideWidth) row.push(await run(cropHW(input, i, i + tile.height, j, j + tile.width)));
    rows.push(row);
  }
  const blendH = (tile.height - tile.strideHeight) * outputScale;
  const blendW = (tile.width - tile.strideWidth) * outputScale;
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < rows[i]!.length; j++) {
      const t = rows[i]![j]!;
      if (i > 0) blendVertical(rows[i - 1]![j]!, t, blendH);
      if (j > 0) blendHorizontal(rows[i]![j - 1]!, t, blendW);
    }
  }
  return stitch(rows, tile.strideHeight * outputScale, tile.strideWidth * outputScale, h * outputScale, w * outputScale);
}
