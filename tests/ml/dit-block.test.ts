// A Wan self-attention block (block 0 of the FlashPortrait transformer) built with the DSL from the
// golden weights, run on CPU through ORT, against a plain TypeScript reference.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goldenDir } from '../helpers/golden.ts';
import { GraphBuilder } from '../../server/ml/onnx/graph-builder.ts';
import { buildModel } from '../../server/ml/onnx/build-model.ts';
import { createSession } from '../../server/ml/session.ts';
import { createTensor } from '../../server/ml/tensor.ts';
import type { Tensor } from '../../server/ml/tensor.ts';
import { openWeights, readTensor, readTensorFloat32 } from '../../server/ml/weights/index.ts';
import type { WeightIndex } from '../../server/ml/weights/index.ts';

const dir = goldenDir('dit');
// Widths from the fixture's own config.json (dim, num_heads, eps), so a regenerated fixture runs too.
const config = dir ? JSON.parse(readFileSync(join(dir, 'Wan2.1-I2V-14B-720P/config.json'), 'utf8')) as { dim: number; num_heads: number; eps: number } : undefined;
const DIM = config?.dim ?? 0;
const HEADS = config?.num_heads ?? 1;
const HEAD_DIM = DIM / HEADS;
const EPS = config?.eps ?? 1e-6;
const scratch = mkdtempSync(join(tmpdir(), 'fg-dit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

// ---- reference, float64, written from the DiT README's formulas ----
type Mat = Float64Array; // row-major [rows, cols]

function linearRef(x: Mat, rows: number, w: Float32Array, b: Float32Array, inDim: number, outDim: number): Mat {
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outDim; o++) {
    let acc = b[o]!;
    for (let i = 0; i < inDim; i++) acc += x[r * inDim + i]! * w[o * inDim + i]!;
    y[r * outDim + o] = acc;
  }
  return y;
}

function rmsNormRef(x: Mat, rows: number, w: Float32Array): Mat {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let ms = 0;
    for (let i = 0; i < DIM; i++) ms += x[r * DIM + i]! ** 2;
    const inv = 1 / Math.sqrt(ms / DIM + EPS);
    for (let i = 0; i < DIM; i++) y[r * DIM + i] = x[r * DIM + i]! * inv * w[i]!;
  }
  return y;
}

/** Adjacent channel pairs of each head are complex numbers multiplied by e^(i*angle). */
function ropeRef(x: Mat, rows: number, cos: Float32Array, sin: Float32Array): Mat {
  const y = new Float64Array(x.length);
  const half = HEAD_DIM / 2;
  for (let r = 0; r < rows; r++) for (let h = 0; h < HEADS; h++) for (let j = 0; j < half; j++) {
    const at = r * DIM + h * HEAD_DIM + 2 * j;
    const re = x[at]!; const im = x[at + 1]!;
    const c = cos[r * half + j]!; const s = sin[r * half + j]!;
    y[at] = re * c - im * s;
    y[at + 1] = re * s + im * c;
  }
  return y;
}

function attentionRef(q: Mat, k: Mat, v: Mat, rows: number): Mat {
  const out = new Float64Array(rows * DIM);
  const scale = 1 / Math.sqrt(HEAD_DIM);
  for (let h = 0; h < HEADS; h++) for (let i = 0; i < rows; i++) {
    const scores = new Float64Array(rows);
    let max = -Infinity;
    for (let j = 0; j < rows; j++) {
      let dot = 0;
      for (let d = 0; d < HEAD_DIM; d++) dot += q[i * DIM + h * HEAD_DIM + d]! * k[j * DIM + h * HEAD_DIM + d]!;
      scores[j] = dot * scale;
      max = Math.max(max, scores[j]!);
    }
    let sum = 0;
    for (let j = 0; j < rows; j++) sum += (scores[j] = Math.exp(scores[j]! - max));
    for (let d = 0; d < HEAD_DIM; d++) {
      let acc = 0;
      for (let j = 0; j < rows; j++) acc += (scores[j]! / sum) * v[j * DIM + h * HEAD_DIM + d]!;
      out[i * DIM + h * HEAD_DIM + d] = acc;
    }
  }
  return out;
}

function selfAttentionRef(weights: WeightIndex, x: Float32Array, rows: number, cos: Float32Array, sin: Float32Array): Float64Array {
  const w = (k: string) => readTensorFloat32(weights.tensors.get(`blocks.0.self_attn.${k}`)!).data as Float32Array;
  const x64 = Float64Array.from(x);
  const q = ropeRef(rmsNormRef(linearRef(x64, rows, w('q.weight'), w('q.bias'), DIM, DIM), rows, w('norm_q.weight')), rows, cos, sin);
  const k = ropeRef(rmsNormRef(linearRef(x64, rows, w('k.weight'), w('k.bias'), DIM, DIM), rows, w('norm_k.weight')), rows, cos, sin);
  const v = linearRef(x64, rows, w('v.weight'), w('v.bias'), DIM, DIM);
  return linearRef(attentionRef(q, k, v, rows), rows, w('o.weight'), w('o.bias'), DIM, DIM);
}

function buildSelfAttention(weights: WeightIndex, impl: 'fused' | 'plain'): GraphBuilder {
  const g = new GraphBuilder({ weights, computeDtype: 'float32' });
  const x = g.input('x', 'float32', [1, 'L', DIM]);
  const cos = g.input('rope_cos', 'float32', ['L', HEAD_DIM / 2]);
  const sin = g.input('rope_sin', 'float32', ['L', HEAD_DIM / 2]);
  const p = 'blocks.0.self_attn.';
  const rope = (t: ReturnType<typeof g.input>) => g.rotary(t, cos, sin, { numHeads: HEADS, headDim: HEAD_DIM, interleaved: true, impl: impl === 'fused' ? 'contrib' : 'plain' });
  const q = rope(g.rmsNorm(g.linear(x, `${p}q.weight`, `${p}q.bias`), `${p}norm_q.weight`, EPS, impl));
  const k = rope(g.rmsNorm(g.linear(x, `${p}k.weight`, `${p}k.bias`), `${p}norm_k.weight`, EPS, impl));
  const v = g.linear(x, `${p}v.weight`, `${p}v.bias`);
  const attn = g.attention(q, k, v, { numHeads: HEADS, headDim: HEAD_DIM, impl: impl === 'fused' ? 'mha' : 'plain' });
  g.output(g.linear(attn, `${p}o.weight`, `${p}o.bias`), 'y');
  return g;
}

describe.skipIf(!dir)('DiT block 0 self-attention through the graph builder', () => {
  it.each(['fused', 'plain'] as const)('%s ops match the TypeScript reference on CPU within 1e-4, weights zero-copy', async (impl) => {
    const weights = openWeights(join(dir!, 'FlashPortrait/transformer.pt'));
    const io = openWeights(join(dir!, 'window/io.safetensors'));
    const cos = readTensor(io.tensors.get('out.dbg.rope_cos')!);
    const sin = readTensor(io.tensors.get('out.dbg.rope_sin')!);
    const rows = cos.shape[0]!;
    expect(cos.shape).toEqual([rows, HEAD_DIM / 2]);
    const rand = seededRandom(impl === 'fused' ? 1 : 2);
    const x = createTensor('float32', [1, rows, DIM], Float32Array.from({ length: rows * DIM }, () => 2 * rand()));

    const cacheDir = join(scratch, `cache-${impl}`);
    const built = buildModel(buildSelfAttention(weights, impl), { cacheDir });
    expect(built.zeroCopyWeights).toBe(10);
    expect(built.convertedWeights).toBe(0);
    expect(existsSync(cacheDir)).toBe(false);

    const messages: string[] = [];
    const session = await createSession(built, { provider: 'cpu', log: (m) => messages.push(m) });
    try {
      const { y } = await session.run({ x, rope_cos: cos as Tensor, rope_sin: sin as Tensor });
      const expected = selfAttentionRef(weights, x.data as Float32Array, rows, cos.data as Float32Array, sin.data as Float32Array);
      expect(y!.shape).toEqual([1, rows, DIM]);
      let maxErr = 0;
      let maxVal = 0;
      (y!.data as Float32Array).forEach((v, i) => { maxErr = Math.max(maxErr, Math.abs(v - expected[i]!)); maxVal = Math.max(maxVal, Math.abs(expected[i]!)); });
      console.info(`[dit-block ${impl}] max abs err ${maxErr.toExponential(2)}, max |y| ${maxVal.toFixed(3)}`);
      expect(maxVal).toBeGreaterThan(0.05); // a non-trivial output
      expect(maxErr).toBeLessThan(1e-4);
      expect(messages[0]).toMatch(/cpu/);
    } finally {
      await session.release();
    }
  });

  it('a wrong rotary layout (halves instead of adjacent pairs) is detected by the same comparison', async () => {
    const weights = openWeights(join(dir!, 'FlashPortrait/transformer.pt'));
    const io = openWeights(join(dir!, 'window/io.safetensors'));
    const cos = readTensor(io.tensors.get('out.dbg.rope_cos')!);
    const sin = readTensor(io.tensors.get('out.dbg.rope_sin')!);
    const rows = cos.shape[0]!;
    const g = new GraphBuilder({ weights });
    const x = g.input('x', 'float32', [1, 'L', DIM]);
    const c = g.input('rope_cos', 'float32', ['L', HEAD_DIM / 2]);
    const s = g.input('rope_sin', 'float32', ['L', HEAD_DIM / 2]);
    g.output(g.rotary(x, c, s, { numHeads: HEADS, headDim: HEAD_DIM, interleaved: false, impl: 'plain' }), 'y');
    const session = await createSession(buildModel(g), { provider: 'cpu', log: () => {} });
    const rand = seededRandom(3);
    const xv = Float32Array.from({ length: rows * DIM }, () => rand());
    const { y } = await session.run({ x: createTensor('float32', [1, rows, DIM], xv), rope_cos: cos, rope_sin: sin });
    const expected = ropeRef(Float64Array.from(xv), rows, cos.data as Float32Array, sin.data as Float32Array);
    const maxErr = Math.max(...Array.from(y!.data as Float32Array, (v, i) => Math.abs(v - expected[i]!)));
    expect(maxErr).toBeGreaterThan(1e-2);
    await session.release();
  });
});
