// Reading a sampler golden case: case.json plus the float32 / int64 tensors of io.safetensors.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { openWeights, readTensor } from '../../../server/ml/weights/index.ts';
import { goldenDir } from '../../helpers/golden.ts';

export const SAMPLER_GOLDEN = goldenDir('sampler');

export interface GoldenTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export class GoldenCase {
  readonly json: Record<string, unknown>;
  private readonly tensors: Map<string, GoldenTensor | BigInt64Array> = new Map();
  private readonly index;

  constructor(readonly name: string) {
    if (!SAMPLER_GOLDEN) throw new Error('sampler goldens missing');
    const dir = join(SAMPLER_GOLDEN, name);
    this.json = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as Record<string, unknown>;
    const io = join(dir, 'io.safetensors');
    this.index = existsSync(io) ? openWeights(io) : undefined;
  }

  has(key: string): boolean {
    return this.index?.tensors.has(key) ?? false;
  }

  f32(key: string): GoldenTensor {
    const cached = this.tensors.get(key);
    if (cached && !(cached instanceof BigInt64Array)) return cached;
    const entry = this.index?.tensors.get(key);
    if (!entry) throw new Error(`${this.name}: no tensor ${key}`);
    const t = readTensor(entry);
    if (t.dtype !== 'float32') throw new Error(`${this.name}: ${key} is ${t.dtype}`);
    const out = { shape: t.shape, data: t.data as Float32Array };
    this.tensors.set(key, out);
    return out;
  }

  i64(key: string): number[] {
    const entry = this.index?.tensors.get(key);
    if (!entry) throw new Error(`${this.name}: no tensor ${key}`);
    const t = readTensor(entry);
    if (t.dtype !== 'int64') throw new Error(`${this.name}: ${key} is ${t.dtype}`);
    return Array.from(t.data as BigInt64Array, (v) => Number(v));
  }
}

/** Sub-array `index` of a tensor's leading axes (e.g. step i, window w of [S, W, ...]). */
export function slab(t: GoldenTensor, ...index: number[]): Float32Array {
  let offset = 0;
  let size = t.data.length;
  for (let a = 0; a < index.length; a++) {
    size /= t.shape[a]!;
    offset += index[a]! * size;
  }
  return t.data.subarray(offset, offset + size);
}

/** The ERRATA rule: |actual - expected| <= tol * max(1, |expected|), NaN never passes. Returns the max scaled error. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-5): number {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const err = Math.abs(actual[i]! - e) / Math.max(1, Math.abs(e));
    if (!(err <= worst)) {
      worst = Number.isNaN(err) ? Infinity : err;
      worstAt = i;
    }
  }
  if (!(worst <= tol)) {
    throw new Error(`${what}: scaled error ${worst} at ${worstAt} (actual ${actual[worstAt]}, expected ${expected[worstAt]}) exceeds ${tol}`);
  }
  return worst;
}

/** 1 ulp of float32 at each expected value. */
export function expectWithinUlp(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const ulp = e === 0 ? 1.5e-45 : 2 ** (Math.floor(Math.log2(Math.abs(e))) - 23);
    if (!(Math.abs(actual[i]! - e) <= ulp)) throw new Error(`${what}[${i}]: ${actual[i]} vs ${e} (more than 1 ulp)`);
  }
}
