// FlashPortrait's PortraitEncoder (get_adapter_proj) as an ONNX graph: driving features
// [1, T, 554] -> emotion tokens [1, T*24, width], per frame [proj_model 4 | mouth 16 | emo 4].
import type { GraphBuilder, Value } from '../../../../server/ml/index.ts';
import { DRIVING_SLICES, DRIVING_WIDTH } from './config.ts';
import type { PortraitEncoderConfig, ResamplerConfig } from './config.ts';

export const PORTRAIT_ENCODER_INPUT = 'head_emo';
export const PORTRAIT_ENCODER_OUTPUT = 'adapter_proj';
const LN_EPS = 1e-5;

export interface PortraitEncoderGraphOptions {
  readonly impl?: 'fused' | 'plain';
}

function feature(g: GraphBuilder, x: Value, name: keyof typeof DRIVING_SLICES): Value {
  const [start, end] = DRIVING_SLICES[name];
  return g.slice(x, [start], [end], [2]);
}

/** Perceiver resampler over a batch of 1-token sequences [N, 1, inDim] -> [N, queries, outDim]. */
function resampler(g: GraphBuilder, x: Value, r: ResamplerConfig, impl: 'fused' | 'plain'): Value {
  const p = r.prefix;
  const inner = r.heads * r.headDim;
  const seq = g.linear(x, `${p}.proj_in.weight`, `${p}.proj_in.bias`);
  const batch = g.op('Shape', [x], { start: { int: 0 }, end: { int: 1 } }, { dtype: 'int64' })[0]!;
  let lat = g.op('Expand', [g.weight(`${p}.latents`), g.concat([batch, g.ints([r.queries, r.dim])], 0)])[0]!;
  for (let i = 0; i < r.depth; i++) {
    const a = `${p}.layers.${i}.0`;
    const xn = g.layerNorm(seq, `${a}.norm1.weight`, `${a}.norm1.bias`, LN_EPS);
    const ln = g.layerNorm(lat, `${a}.norm2.weight`, `${a}.norm2.bias`, LN_EPS);
    const q = g.linear(ln, `${a}.to_q.weight`);
    // Keys and values see the input tokens and the latents themselves.
    const kv = g.linear(g.concat([xn, ln], 1), `${a}.to_kv.weight`);
    const k = g.slice(kv, [0], [inner], [2]);
    const v = g.slice(kv, [inner], [2 * inner], [2]);
    // dim_head^-0.25 on both q and k is 1/sqrt(dim_head) on their product.
    const attn = g.attention(q, k, v, { numHeads: r.heads, headDim: r.headDim, impl: impl === 'fused' ? 'mha' : 'plain' });
    lat = g.add(g.linear(attn, `${a}.to_out.weight`), lat);
    const f = `${p}.layers.${i}.1`;
    const hidden = g.gelu(g.linear(g.layerNorm(lat, `${f}.0.weight`, `${f}.0.bias`, LN_EPS), `${f}.1.weight`), 'none');
    lat = g.add(g.linear(hidden, `${f}.3.weight`), lat);
  }
  const out = g.linear(lat, `${p}.proj_out.weight`, `${p}.proj_out.bias`);
  return g.layerNorm(out, `${p}.norm_out.weight`, `${p}.norm_out.bias`, LN_EPS);
}

export function buildPortraitEncoderGraph(g: GraphBuilder, c: PortraitEncoderConfig, options: PortraitEncoderGraphOptions = {}): void {
  const impl = options.impl ?? 'fused';
  const x = g.input(PORTRAIT_ENCODER_INPUT, g.computeDtype, [1, 'frames', DRIVING_WIDTH]);
  // proj_model: four bias-free projections sharing one LayerNorm, stacked [headpose, eye, emo, mouth].
  const projected = (['headpose', 'eye', 'emo', 'mouth'] as const).map((name) =>
    g.unsqueeze(g.layerNorm(g.linear(feature(g, x, name), `proj_model.${name}_proj.weight`), 'proj_model.norm.weight', 'proj_model.norm.bias', LN_EPS), [2]));
  const perFrame = (name: 'mouth' | 'emo', r: ResamplerConfig): Value => {
    const tokens = resampler(g, g.reshape(feature(g, x, name), [-1, 1, r.inDim]), r, impl);
    return g.reshape(tokens, [1, -1, r.queries, c.width]);
  };
  const frames = g.concat([...projected, perFrame('mouth', c.mouth), perFrame('emo', c.emo)], 2);
  g.output(g.reshape(frames, [1, -1, c.width]), PORTRAIT_ENCODER_OUTPUT);
}
