// The umT5 encoder as an ONNX graph: token ids + key mask in, last_hidden_state out.
//
// Semantics follow Wan's T5Encoder (pre-norm residual blocks, T5 RMS norm, unscaled attention
// logits plus a per-block relative-position bias, gated-GELU(tanh) FFN, final norm). Padding keys
// are removed by *replacing* their bias with the dtype's lowest value, as the original masked_fill.
import { createTensor } from '../../../../server/ml/index.ts';
import type { DType, GraphBuilder, Value } from '../../../../server/ml/index.ts';
import type { Umt5Config } from './config.ts';
import { relativeBucketTable } from './relative-position.ts';

export interface Umt5GraphOptions {
  /** Longest sequence the graph accepts (size of the relative-bucket table). Default config.textLen. */
  readonly maxLength?: number;
  /** Also output `hidden_after_block_{i}` and `pos_bias_block_{i}` (for checking against references). */
  readonly debugOutputs?: boolean;
}

const LOWEST: Partial<Record<DType, number>> = { float32: -3.4028234663852886e38, float16: -65504, bfloat16: -3.3895313892515355e38 };

/**
 * Adds inputs `input_ids`, `attention_mask` (int64 [B, L]) and output `last_hidden_state`
 * ([B, L, dim]) to `g`, whose weight index holds the encoder's state dict.
 */
export function buildUmt5Encoder(g: GraphBuilder, c: Umt5Config, options: Umt5GraphOptions = {}): Value {
  const maxLength = options.maxLength ?? c.textLen;
  const ids = g.input('input_ids', 'int64', ['B', 'L']);
  const mask = g.input('attention_mask', 'int64', ['B', 'L']);
  const dt = g.computeDtype;

  const buckets = relativeBuckets(g, ids, c, maxLength);
  const keyIsReal = g.reshape(g.cast(mask, 'bool'), [0, 1, 1, -1]);
  const lowest = g.scalar(LOWEST[dt] ?? -3.4028234663852886e38, dt);

  let x = g.gather('token_embedding.weight', ids);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `blocks.${i}.`;
    // [L, L, H] -> [1, H, L, L]
    const bias = g.unsqueeze(g.transpose(g.gather(`${p}pos_embedding.embedding.weight`, buckets), [2, 0, 1]), [0]);
    if (options.debugOutputs) g.output(bias, `pos_bias_block_${i}`);
    const maskedBias = g.op('Where', [keyIsReal, bias, lowest], {}, { dtype: dt })[0]!;
    x = g.add(x, selfAttention(g, g.rmsNorm(x, `${p}norm1.weight`, c.eps), maskedBias, p, c));
    x = g.add(x, gatedFeedForward(g, g.rmsNorm(x, `${p}norm2.weight`, c.eps), p));
    if (options.debugOutputs) g.output(x, `hidden_after_block_${i}`);
  }
  return g.output(g.rmsNorm(x, 'norm.weight', c.eps), 'last_hidden_state');
}

/** [L, L] bucket index of (query i, key j), looked up from a host-computed table by j - i. */
function relativeBuckets(g: GraphBuilder, ids: Value, c: Umt5Config, maxLength: number): Value {
  const table = g.constant(createTensor('int64', [2 * maxLength - 1], relativeBucketTable(maxLength, c.numBuckets, c.maxDistance)), 'rel_bucket_table');
  const length = g.op('Gather', [g.op('Shape', [ids], {}, { dtype: 'int64' })[0]!, g.constant(createTensor('int64', [], [1]))], { axis: { int: 0 } })[0]!;
  const positions = g.op('Range', [g.constant(createTensor('int64', [], [0])), length, g.constant(createTensor('int64', [], [1]))])[0]!;
  const rel = g.sub(g.unsqueeze(positions, [0]), g.unsqueeze(positions, [1]));
  return g.gather(table, g.add(rel, g.constant(createTensor('int64', [], [maxLength - 1]))));
}

function selfAttention(g: GraphBuilder, h: Value, bias: Value, p: string, c: Umt5Config): Value {
  const headDim = c.dimAttn / c.numHeads;
  const heads = (t: Value, perm: number[]) => g.transpose(g.reshape(t, [0, 0, c.numHeads, headDim]), perm);
  const q = heads(g.linear(h, `${p}attn.q.weight`), [0, 2, 1, 3]);
  const k = heads(g.linear(h, `${p}attn.k.weight`), [0, 2, 3, 1]);
  const v = heads(g.linear(h, `${p}attn.v.weight`), [0, 2, 1, 3]);
  // T5 does not scale the logits by 1/sqrt(head_dim).
  const probs = g.softmax(g.add(g.matmul(q, k), bias), -1);
  const context = g.reshape(g.transpose(g.matmul(probs, v), [0, 2, 1, 3]), [0, 0, c.dimAttn]);
  return g.linear(context, `${p}attn.o.weight`);
}

/** fc2(fc1(h) * gelu_tanh(gate(h))): the activation is on the `gate.0` branch. */
function gatedFeedForward(g: GraphBuilder, h: Value, p: string): Value {
  const gate = g.gelu(g.linear(h, `${p}ffn.gate.0.weight`), 'tanh');
  return g.linear(g.mul(g.linear(h, `${p}ffn.fc1.weight`), gate), `${p}ffn.fc2.weight`);
}
