// GraphBuilder.tiledAttention: query tiles as an ONNX Loop over a symbolic sequence length. One model
// serves every length (shorter than a tile, a whole number of tiles, a partial last tile), keys
// longer than queries, fused and plain, and equals attention() within float32 rounding; so does
// MultiHeadAttention with its present K/V outputs requested.
import { onnx } from '../../server/ml/onnx/proto.ts';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../server/ml/onnx/graph-builder.ts';
import { buildModel } from '../../server/ml/onnx/build-model.ts';
import { createSession } from '../../server/ml/session.ts';
import { createTensor } from '../../server/ml/tensor.ts';

const HEADS = 2;
const HEAD_DIM = 8;
const WIDTH = HEADS * HEAD_DIM;
const CHUNK = 4;

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 4 - 2;
  });
}

describe('GraphBuilder.tiledAttention (Loop over query tiles)', () => {
  it.each(['mha', 'plain'] as const)('%s: one model, any query length, equals untiled attention', async (impl) => {
    const g = new GraphBuilder();
    const q = g.input('q', 'float32', [1, 'L', WIDTH]);
    const k = g.input('k', 'float32', [1, 'S', WIDTH]);
    const v = g.input('v', 'float32', [1, 'S', WIDTH]);
    const o = { numHeads: HEADS, headDim: HEAD_DIM, impl };
    g.output(g.attention(q, k, v, o), 'untiled');
    g.output(g.tiledAttention(q, k, v, { ...o, chunk: CHUNK }), 'tiled');
    // MultiHeadAttention asked for its present K/V outputs too (WebGPU's FlashAttention path): same result
    if (impl === 'mha') g.output(g.attention(q, k, v, { ...o, presentKv: true }), 'present_kv');
    const built = buildModel(g);
    if (impl === 'mha') {
      const mha = onnx.ModelProto.decode(built.bytes).graph!.node!.filter((n) => n.opType === 'MultiHeadAttention');
      expect(mha.map((n) => n.output!.length).sort()).toEqual([1, 3]); // output, present_key, present_value
    }
    const session = await createSession(built, { provider: 'cpu', log: () => {} });
    try {
      for (const [L, S] of [[1, 1], [3, 5], [4, 4], [7, 7], [8, 13], [13, 9]] as const) {
        const feeds = {
          q: createTensor('float32', [1, L, WIDTH], random(L * WIDTH, L + 1)),
          k: createTensor('float32', [1, S, WIDTH], random(S * WIDTH, S + 7)),
          v: createTensor('float32', [1, S, WIDTH], random(S * WIDTH, S + 13)),
        };
        const names = impl === 'mha' ? ['untiled', 'tiled', 'present_kv'] : ['untiled', 'tiled'];
        const out = await session.run(feeds, names);
        const e = out.untiled!.data as Float32Array;
        for (const name of names.slice(1)) {
          expect(out[name]!.shape, `${name}, L ${L}`).toEqual([1, L, WIDTH]);
          const a = out[name]!.data as Float32Array;
          let max = 0;
          for (let i = 0; i < e.length; i++) max = Math.max(max, Math.abs(a[i]! - e[i]!));
          expect(max, `${name}, L ${L}, S ${S}`).toBeLessThan(1e-6);
        }
      }
    } finally {
      await session.release();
    }
  });

  it('unrolled tiles need the query length; a bad chunk is refused', () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [1, 6, WIDTH]);
    expect(() => g.tiledAttention(x, x, x, { numHeads: HEADS, headDim: HEAD_DIM, chunk: 4, tiling: 'unrolled' })).toThrow(/queryTokens/);
    expect(() => g.tiledAttention(x, x, x, { numHeads: HEADS, headDim: HEAD_DIM, chunk: 0 })).toThrow(/chunk must be an integer >= 1/);
  });
});
