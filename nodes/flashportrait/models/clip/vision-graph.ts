// The CLIP visual tower as an ONNX graph: normalised pixels [B, 3, S, S] in, `clip_fea`
// [B, tokens, dim] out. It stops after the penultimate block (Wan's use_31_block): no last block,
// no post_norm, no head, no pooling, cls token kept.
import { createTensor } from '../../../../server/ml/index.ts';
import type { GraphBuilder, Value } from '../../../../server/ml/index.ts';
import type { ClipVisionConfig } from './config.ts';

export interface ClipGraphOptions {
  /** Also output `patch_tokens`, `token_embeddings`, `after_pre_norm`, `hidden_after_block_{i}`. */
  readonly debugOutputs?: boolean;
  /** 'mha' = com.microsoft MultiHeadAttention; 'plain' = MatMul/Softmax. Default 'mha'. */
  readonly attention?: 'mha' | 'plain';
}

/** Adds input `pixel_values` and output `features` to `g`, whose weights are the CLIP state dict. */
export function buildClipVisionTower(g: GraphBuilder, c: ClipVisionConfig, options: ClipGraphOptions = {}): Value {
  const debug = (v: Value, name: string) => { if (options.debugOutputs) g.output(v, name); };
  const pixels = g.input('pixel_values', g.computeDtype, ['B', 3, c.imageSize, c.imageSize]);

  // [B, dim, grid, grid] -> [B, grid*grid, dim], row-major over the grid.
  const patches = g.conv(pixels, 'visual.patch_embedding.weight', undefined, { strides: [c.patchSize, c.patchSize] });
  const patchTokens = g.transpose(g.reshape(patches, [0, c.dim, -1]), [0, 2, 1]);
  debug(patchTokens, 'patch_tokens');

  const batch = g.slice(g.op('Shape', [patchTokens], {}, { dtype: 'int64' })[0]!, [0], [1]);
  const clsShape = g.concat([batch, g.constant(createTensor('int64', [2], [1, c.dim]))], 0);
  const cls = g.op('Expand', [g.weight('visual.cls_embedding'), clsShape])[0]!;
  const tokens = g.add(g.concat([cls, patchTokens], 1), g.weight('visual.pos_embedding'));
  debug(tokens, 'token_embeddings');

  let x = g.layerNorm(tokens, 'visual.pre_norm.weight', 'visual.pre_norm.bias', c.eps);
  debug(x, 'after_pre_norm');
  for (let i = 0; i < c.numLayers - 1; i++) {
    x = residualBlock(g, x, `visual.transformer.${i}.`, c, options.attention ?? 'mha');
    debug(x, `hidden_after_block_${i}`);
  }
  return g.output(x, 'features');
}

function residualBlock(g: GraphBuilder, x: Value, p: string, c: ClipVisionConfig, impl: 'mha' | 'plain'): Value {
  const d = c.dim;
  const qkv = g.linear(g.layerNorm(x, `${p}norm1.weight`, `${p}norm1.bias`, c.eps), `${p}attn.to_qkv.weight`, `${p}attn.to_qkv.bias`);
  const [q, k, v] = [0, 1, 2].map((i) => g.slice(qkv, [i * d], [(i + 1) * d], [2])) as [Value, Value, Value];
  const attended = g.attention(q, k, v, { numHeads: c.numHeads, headDim: d / c.numHeads, impl });
  x = g.add(x, g.linear(attended, `${p}attn.proj.weight`, `${p}attn.proj.bias`));
  const h = g.layerNorm(x, `${p}norm2.weight`, `${p}norm2.bias`, c.eps);
  // The ViT-H factory passes activation='gelu': exact erf GELU, not the class default quick_gelu.
  const mlp = g.linear(g.gelu(g.linear(h, `${p}mlp.0.weight`, `${p}mlp.0.bias`), 'none'), `${p}mlp.2.weight`, `${p}mlp.2.bias`);
  return g.add(x, mlp);
}
