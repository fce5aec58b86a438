// Seeded random weights and call inputs for the bench. The real-size DiT weights are made on the GPU
// machine by torch_reference.py --write-weights (fast, on the card); this Node writer serves the tiny
// smoke run, the VAE decoder (85 M parameters, float32), and any machine without torch. Both follow
// one initialisation rule (initScale below) so activations stay in range through 40 layers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTensor, writeSafetensors } from '../../server/ml/index.ts';
import { f32ArrayToF16 } from '../../server/ml/tensor.ts';
import type { Tensor } from '../../server/ml/index.ts';

/** A small, fast, seeded generator (xorshift128+ over 32-bit halves is overkill here: mulberry32). */
export class SeededRandom {
  private state: number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  uniform(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u = 1 - this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  fill(n: number, scale: number, offset = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = offset + scale * this.normal();
    return out;
  }
}

/**
 * How a parameter is drawn, by its key and shape: matrices / conv kernels N(0, 1/fan_in), norm gains
 * 1 + N(0, 0.02^2), biases and adaLN modulation N(0, 0.02^2). torch_reference.py has the same rule.
 */
export function initScale(key: string, shape: readonly number[]): { offset: number; scale: number } {
  const isGain = /(norm[^.]*\.weight|\.gamma|norm3\.weight|img_emb\.proj\.[04]\.weight)$/.test(key) || (key.endsWith('.weight') && shape.length === 1);
  if (isGain) return { offset: 1, scale: 0.02 };
  if (key.endsWith('.weight') && shape.length >= 2) {
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    return { offset: 0, scale: 1 / Math.sqrt(fanIn) };
  }
  return { offset: 0, scale: 0.02 };
}

export function randomTensors(shapes: ReadonlyMap<string, readonly number[]>, dtype: 'float32' | 'float16', seed: number): Array<[string, Tensor]> {
  const rng = new SeededRandom(seed);
  const out: Array<[string, Tensor]> = [];
  for (const [key, shape] of [...shapes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const { offset, scale } = initScale(key, shape);
    const values = rng.fill(shape.reduce((a, b) => a * b, 1), scale, offset);
    out.push([key, dtype === 'float32' ? createTensor('float32', shape, values) : createTensor('float16', shape, f32ArrayToF16(values))]);
  }
  return out;
}

/** A Wan-style model folder: config.json + one model.safetensors (what loadDitWeights reads). */
export function writeRandomDitFolder(dir: string, rawConfig: Record<string, unknown>, shapes: ReadonlyMap<string, readonly number[]>, dtype: 'float32' | 'float16', seed: number): void {
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, 'model.safetensors'), randomTensors(shapes, dtype, seed), { generator: 'flashgraph bench/gpu', seed: String(seed) });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(rawConfig, null, 1)}\n`);
}
