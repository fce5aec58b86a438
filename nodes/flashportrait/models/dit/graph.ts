// The FlashPortrait transformer (Wan2.1-I2V + per-latent-frame emotion cross-attention) as an ONNX
// graph. One builder for every size: widths, heads and depth come from the config, weights are
// referenced by their checkpoint keys. Batch is 1 (the pipeline runs each CFG branch as its own call).
import { createTensor } from '../../../../server/ml/index.ts';
import type { AttentionOptions, DType, GraphBuilder, Value } from '../../../../server/ml/index.ts';
import { headDim } from './config.ts';
import type { DitConfig } from './config.ts';
import type { LoraBranch } from './lora.ts';

export type AttentionImpl = 'fused' | 'plain';

export interface DitGraphOptions {
  /** 'fused': com.microsoft MultiHeadAttention / RotaryEmbedding, RMSNormalization; 'plain': MatMul/Softmax forms. */
  readonly impl?: AttentionImpl;
  /** Also output the intermediates the golden fixtures hold (`dbg.*`). */
  readonly debug?: boolean;
  /** Keys absent from the weights; they become zeros (the original zero-initialises emo_k/v_proj). */
  readonly zeroWeights?: ReadonlySet<string>;
  /**
   * LoRA branches by linear prefix (`blocks.0.self_attn.q`): y += (x Aᵀ) Bᵀ · scale, A and B read
   * from the builder's weight index under the branch's keys (see lora.ts). The base weights stay as they are.
   */
  readonly lora?: ReadonlyMap<string, LoraBranch>;
  /**
   * 8: weight-only 8-bit linears (GPU_memory_mode model_cpu_offload_and_qfloat8). Every linear in the
   * compute dtype (attention q/k/v/o, emotion k/v, FFN, text / image embeddings, head) keeps W [out, in]
   * as uint8 blocks + one scale per block (GraphBuilder.quantizedLinear: com.microsoft MatMulNBits,
   * bits 8), quantised once into the conversion cache. Biases, norms, modulation, the float32 time
   * embedding / projection, the patch-embedding conv and LoRA branches stay float. Default: off.
   */
  readonly weightBits?: 8;
  /**
   * Self-attention in tiles of this many query tokens, each against all keys (scores held at once:
   * heads x chunk x L instead of heads x L x L), the tiles concatenated. Same numerics as untiled
   * (each row's softmax sees every key; 'plain' keeps scores and softmax in float32); RoPE is applied
   * before tiling. Cross-attention (text / image / emotion keys: <= 512) is never tiled. Default: off.
   */
  readonly attentionQueryChunk?: number;
  /**
   * How the tiles are built (with attentionQueryChunk). 'loop' (default): one ONNX Loop per layer
   * over ceil(L / chunk) tiles, works for any (symbolic) token count, graph size independent of L.
   * 'unrolled': one attention node set per tile, needs `attentionTokens` (the graph then serves only
   * that token count), graph size grows with L / chunk.
   */
  readonly attentionTiling?: AttentionTiling;
  /** The window's token count, fixed at build time: required by attentionTiling 'unrolled'. */
  readonly attentionTokens?: number;
  /**
   * Self-attention's MultiHeadAttention nodes also output present_key / present_value (unused), which
   * makes ONNX Runtime's WebGPU EP use its FlashAttention kernel (AttentionOptions.presentKv). 'fused' only.
   */
  readonly attentionPresentKv?: boolean;
}

export type AttentionTiling = 'loop' | 'unrolled';

/** Graph input names, in one place for the model wrapper. */
export const DIT_INPUTS = ['x', 'y', 'timestep_sinusoid', 'rope_cos', 'rope_sin', 'context', 'clip_fea', 'emo_proj', 'ip_scale'] as const;
export const DIT_OUTPUT = 'noise_pred';

const LN_EPS_BLOCK = 1e-6; // WanLayerNorm
const LN_EPS_IMG = 1e-5; // nn.LayerNorm in img_emb
const EMO_STD_EPS = 1e-5;

const F32: DType = 'float32';

/**
 * Precision: the graph computes in `g.computeDtype`. With float16 / bfloat16, the linear / conv
 * weights and the activations between them are in that dtype; the residual stream, every norm
 * (LayerNorm, RMSNorm, the emotion mean/std rescale), the attention softmax ('plain'; the fused
 * MultiHeadAttention kernels keep it in float32 themselves), RoPE, the time embedding and the adaLN
 * modulation stay float32, with Casts around them (Wan runs those under float32 autocast too). Their
 * weights are float32 initializers. Graph inputs and outputs are float32 whatever the compute dtype.
 */
class DitGraph {
  private readonly D: number;
  private readonly heads: number;
  private readonly hd: number;
  private readonly impl: AttentionImpl;
  private readonly debug: boolean;

  constructor(private readonly g: GraphBuilder, private readonly c: DitConfig, private readonly o: DitGraphOptions) {
    const chunk = o.attentionQueryChunk;
    if (chunk !== undefined && (!Number.isInteger(chunk) || chunk < 1)) throw new Error(`DiT: attentionQueryChunk must be an integer >= 1, got ${chunk}`);
    if (o.attentionTiling === 'unrolled' && chunk !== undefined && o.attentionTokens === undefined) throw new Error("DiT: attentionTiling 'unrolled' needs attentionTokens (the window's token count)");
    this.D = c.dim;
    this.heads = c.numHeads;
    this.hd = headDim(c);
    this.impl = o.impl ?? 'fused';
    this.debug = o.debug ?? false;
  }

  private dbg(v: Value, name: string): void {
    if (this.debug) this.g.output(this.g.as(v, F32), `dbg.${name}`);
  }

  /** In the compute dtype. */
  private lo(v: Value): Value {
    return this.g.as(v, this.g.computeDtype);
  }

  /** In float32. */
  private hi(v: Value): Value {
    return this.g.as(v, F32);
  }

  private w(key: string, shape: readonly number[]): Value | string {
    if (!this.o.zeroWeights?.has(key)) return key;
    const dt = this.g.computeDtype;
    return this.g.op('ConstantOfShape', [this.g.ints(shape)], { value: { tensor: createTensor(dt, [1], [0]) } }, { dtype: dt })[0]!;
  }

  /** nn.Linear in the compute dtype: x is cast down, the result stays in the compute dtype. */
  private lin(x: Value, prefix: string, bias = true): Value {
    const xl = this.lo(x);
    return this.withLora(xl, prefix, this.baseLinear(xl, `${prefix}.weight`, bias ? `${prefix}.bias` : undefined));
  }

  /** x Wᵀ (+ b) with W by key (8-bit when weightBits is 8) or a zero constant from `w()`. */
  private baseLinear(x: Value, weight: Value | string, bias?: string): Value {
    if (this.o.weightBits === 8 && typeof weight === 'string') return this.g.quantizedLinear(x, weight, bias);
    return this.g.linear(x, weight, bias);
  }

  /** nn.Linear kept in float32 (time embedding / projection). */
  private lin32(x: Value, prefix: string): Value {
    const g = this.g;
    const xh = this.hi(x);
    return this.withLora(xh, prefix, g.linear(xh, g.weight(`${prefix}.weight`, F32), g.weight(`${prefix}.bias`, F32)));
  }

  /** y + (x Aᵀ) Bᵀ · scale when a LoRA branch targets `prefix`, in y's dtype; else y. */
  private withLora(x: Value, prefix: string, y: Value): Value {
    const branch = this.o.lora?.get(prefix);
    if (!branch) return y;
    const g = this.g;
    const low = g.linear(x, g.weight(branch.down, x.dtype));
    const delta = g.linear(low, g.weight(branch.up, x.dtype));
    return g.add(y, g.mul(delta, g.scalar(branch.scale, x.dtype)));
  }

  /** RMSNorm in float32 (float32 result). */
  private rms(x: Value, key: string): Value {
    return this.g.rmsNorm(this.hi(x), this.g.weight(key, F32), this.c.eps, this.impl);
  }

  /** Affine LayerNorm in float32 (float32 result). */
  private ln(x: Value, prefix: string, eps: number): Value {
    const g = this.g;
    return g.layerNorm(this.hi(x), g.weight(`${prefix}.weight`, F32), g.weight(`${prefix}.bias`, F32), eps);
  }

  /** Attention in the compute dtype (softmax in float32), result in the compute dtype. */
  private attend(q: Value, k: Value, v: Value): Value {
    return this.g.attention(this.lo(q), this.lo(k), this.lo(v), this.attentionOptions());
  }

  private attentionOptions(): AttentionOptions {
    return { numHeads: this.heads, headDim: this.hd, impl: this.impl === 'fused' ? 'mha' : 'plain', softmaxDtype: F32 };
  }

  /** Self-attention over the window's tokens: attend(), or in query tiles with attentionQueryChunk. */
  private selfAttend(q: Value, k: Value, v: Value): Value {
    const chunk = this.o.attentionQueryChunk;
    const options = { ...this.attentionOptions(), presentKv: this.o.attentionPresentKv };
    if (chunk === undefined) return this.g.attention(this.lo(q), this.lo(k), this.lo(v), options);
    return this.g.tiledAttention(this.lo(q), this.lo(k), this.lo(v), { ...options, chunk, tiling: this.o.attentionTiling ?? 'loop', queryTokens: this.o.attentionTokens });
  }

  /** Non-affine LayerNorm then adaLN modulation, all float32: LN(x) * (1 + scale) + shift. */
  private modulate(x: Value, shift: Value, scale: Value): Value {
    const g = this.g;
    return g.add(g.mul(g.layerNorm(this.hi(x), this.D, undefined, LN_EPS_BLOCK), g.add(scale, g.scalar(1, F32))), shift);
  }

  /** Chunk i of a [1, n, D] modulation tensor, as [1, 1, D]. */
  private chunk(m: Value, i: number): Value {
    return this.g.slice(m, [i], [i + 1], [1]);
  }

  /** Dim `axis` of a value's runtime shape, as an int64 [1]. */
  private dim(x: Value, axis: number): Value {
    return this.g.op('Shape', [x], { start: { int: axis }, end: { int: axis + 1 } }, { dtype: 'int64' })[0]!;
  }

  private reshapeTo(x: Value, parts: readonly (Value | number[])[]): Value {
    const g = this.g;
    const shape = g.concat(parts.map((p) => (Array.isArray(p) ? g.ints(p) : p)), 0);
    return g.op('Reshape', [x, shape])[0]!;
  }

  build(): void {
    const g = this.g;
    const c = this.c;
    const D = this.D;
    const dt = F32; // graph inputs are float32 whatever the compute dtype
    const x = g.input('x', dt, [1, c.outDim, 'frames', 'height', 'width']);
    const y = g.input('y', dt, [1, c.inDim - c.outDim, 'frames', 'height', 'width']);
    const sinusoid = g.input('timestep_sinusoid', dt, [1, c.freqDim]);
    const ropeCos = g.input('rope_cos', dt, ['tokens', this.hd / 2]);
    const ropeSin = g.input('rope_sin', dt, ['tokens', this.hd / 2]);
    const context = g.input('context', dt, [1, 'text_tokens', c.textDim]);
    const clip = g.input('clip_fea', dt, [1, c.clipTokens, c.clipDim]);
    const emo = g.input('emo_proj', dt, [1, 'frames', c.emoTokens, c.emoDim]);
    const ipScale = g.input('ip_scale', dt, [1]);

    // Patch embedding: tokens in (f, h, w) row-major order.
    const patched = g.conv(this.lo(g.concat([x, y], 1)), 'patch_embedding.weight', 'patch_embedding.bias', { strides: [...c.patchSize] });
    let tokens = this.hi(g.transpose(g.reshape(patched, [1, D, -1]), [0, 2, 1])); // residual stream: float32
    this.dbg(tokens, 'x_tokens');

    // Time: e feeds the head, e0 (6 x D) the blocks.
    const e = this.lin32(g.silu(this.lin32(sinusoid, 'time_embedding.0')), 'time_embedding.2');
    const e0 = g.reshape(this.lin32(g.silu(e), 'time_projection.1'), [1, 6, D]);
    this.dbg(e, 'time_e');
    this.dbg(e0, 'time_e0');

    // Context: text zero-padded to text_len rows (the padding rows are attended to), CLIP image tokens.
    const padRows = g.sub(g.ints([c.textLen]), this.dim(context, 1));
    const pads = g.concat([g.ints([0, 0, 0, 0]), padRows, g.ints([0])], 0);
    const text = g.op('Pad', [this.lo(context), pads])[0]!;
    const textCtx = this.lin(g.gelu(this.lin(text, 'text_embedding.0'), 'tanh'), 'text_embedding.2');
    const imgNorm = this.ln(clip, 'img_emb.proj.0', LN_EPS_IMG);
    const imgHidden = this.lin(g.gelu(this.lin(imgNorm, 'img_emb.proj.1'), 'none'), 'img_emb.proj.3');
    const imgCtx = this.lo(this.ln(imgHidden, 'img_emb.proj.4', LN_EPS_IMG));
    this.dbg(g.concat([imgCtx, textCtx], 1), 'context_tokens');

    const emoFrames = this.dim(emo, 1);
    for (let i = 0; i < c.numLayers; i++) tokens = this.block(i, tokens, e0, ropeCos, ropeSin, textCtx, imgCtx, emo, emoFrames, ipScale);

    const mh = g.add(g.weight('head.modulation', F32), g.unsqueeze(e, [1]));
    const head = this.hi(this.lin(this.modulate(tokens, this.chunk(mh, 0), this.chunk(mh, 1)), 'head.head'));
    this.dbg(head, 'head');
    g.output(this.unpatchify(head, x), DIT_OUTPUT);
  }

  private block(i: number, x0: Value, e0: Value, ropeCos: Value, ropeSin: Value, textCtx: Value, imgCtx: Value, emo: Value, emoFrames: Value, ipScale: Value): Value {
    const g = this.g;
    const b = `blocks.${i}`;
    const m = g.add(g.weight(`${b}.modulation`, F32), e0);

    // Self-attention with 3-D RoPE on the RMS-normalised (over all heads) q and k.
    const h = this.modulate(x0, this.chunk(m, 0), this.chunk(m, 1));
    const rope = (t: Value): Value => g.rotary(t, ropeCos, ropeSin, { numHeads: this.heads, headDim: this.hd, interleaved: true, impl: this.impl === 'fused' ? 'contrib' : 'plain' });
    const q = rope(this.rms(this.lin(h, `${b}.self_attn.q`), `${b}.self_attn.norm_q.weight`));
    const k = rope(this.rms(this.lin(h, `${b}.self_attn.k`), `${b}.self_attn.norm_k.weight`));
    const v = this.lin(h, `${b}.self_attn.v`);
    const sa = this.hi(this.lin(this.selfAttend(q, k, v), `${b}.self_attn.o`));
    this.dbg(sa, `block${i}.self_attn`);
    const x1 = g.add(x0, g.mul(sa, this.chunk(m, 2)));

    // Cross-attention: text + image (no mask), plus the per-latent-frame emotion attention.
    const ca = `${b}.cross_attn`;
    const hc = this.ln(x1, `${b}.norm3`, LN_EPS_BLOCK);
    const cq = this.lo(this.rms(this.lin(hc, `${ca}.q`), `${ca}.norm_q.weight`)); // cast once for the three attentions
    const textAttn = this.attend(cq, this.rms(this.lin(textCtx, `${ca}.k`), `${ca}.norm_k.weight`), this.lin(textCtx, `${ca}.v`));
    const imgAttn = this.attend(cq, this.rms(this.lin(imgCtx, `${ca}.k_img`), `${ca}.norm_k_img.weight`), this.lin(imgCtx, `${ca}.v_img`));
    this.dbg(textAttn, `block${i}.cross_text_attn`);
    this.dbg(imgAttn, `block${i}.cross_img_attn`);
    const xx = this.hi(g.add(textAttn, imgAttn)); // rescale statistics in float32

    const emoAttn = this.emotionAttention(cq, emo, emoFrames, ca);
    this.dbg(emoAttn, `block${i}.cross_emo_attn_raw`);
    const ex = this.normalizeLike(this.hi(emoAttn), xx);
    const cross = this.hi(this.lin(g.add(xx, g.mul(ex, ipScale)), `${ca}.o`));
    this.dbg(cross, `block${i}.cross_attn`);
    const x2 = g.add(x1, cross);

    const hf = this.modulate(x2, this.chunk(m, 3), this.chunk(m, 4));
    const ffn = this.hi(this.lin(g.gelu(this.lin(hf, `${b}.ffn.0`), 'tanh'), `${b}.ffn.2`));
    const out = g.add(x2, g.mul(ffn, this.chunk(m, 5)));
    this.dbg(out, `block${i}`);
    return out;
  }

  /**
   * The tokens of latent frame f attend only to frame f's emotion tokens: queries regrouped as a
   * batch of frames [F, L/F, D] against keys [F, emoTokens, D]. No mask (zero rows take part).
   */
  private emotionAttention(q: Value, emo: Value, emoFrames: Value, ca: string): Value {
    const g = this.g;
    const D = this.D;
    const kW = this.w(`${ca}.emo_k_proj.weight`, [D, this.c.emoDim]);
    const vW = this.w(`${ca}.emo_v_proj.weight`, [D, this.c.emoDim]);
    const emoRows = this.lo(g.squeeze(emo, [0]));
    const ek = this.withLora(emoRows, `${ca}.emo_k_proj`, this.baseLinear(emoRows, kW));
    const ev = this.withLora(emoRows, `${ca}.emo_v_proj`, this.baseLinear(emoRows, vW));
    const qf = this.reshapeTo(q, [emoFrames, [-1, D]]);
    return g.reshape(this.attend(qf, ek, ev), [1, -1, D]);
  }

  /**
   * FlashPortrait's normalised facial-expression block: ex rescaled to the mean and (unbiased)
   * standard deviation of the text+image attention xx, over all L*D entries.
   */
  private normalizeLike(ex: Value, xx: Value): Value {
    const g = this.g;
    const stats = (t: Value): { mean: Value; centered: Value; std: Value } => {
      const mean = g.reduceMean(t, [1, 2]);
      const centered = g.sub(t, mean);
      const sumSq = g.op('ReduceSumSquare', [centered, g.ints([1, 2])], { keepdims: { int: 1 } })[0]!;
      const count = g.cast(g.op('Size', [t], {}, { dtype: 'int64' })[0]!, t.dtype);
      return { mean, centered, std: g.sqrt(g.div(sumSq, g.sub(count, g.scalar(1, t.dtype)))) };
    };
    const e = stats(ex);
    const target = stats(xx);
    const gain = g.div(target.std, g.add(e.std, g.scalar(EMO_STD_EPS, ex.dtype)));
    return g.add(g.mul(e.centered, gain), target.mean);
  }

  /** [1, L, pt*ph*pw*C] with features ordered (pt, ph, pw, c) -> [1, C, F*pt, H, W]. */
  private unpatchify(head: Value, x: Value): Value {
    const g = this.g;
    const [pt, ph, pw] = this.c.patchSize;
    const C = this.c.outDim;
    const f = g.div(this.dim(x, 2), g.ints([pt]));
    const h = g.div(this.dim(x, 3), g.ints([ph]));
    const w = g.div(this.dim(x, 4), g.ints([pw]));
    const grid = this.reshapeTo(head, [[1], f, h, w, [pt, ph, pw, C]]);
    const moved = g.transpose(grid, [0, 7, 1, 4, 2, 5, 3, 6]);
    return this.reshapeTo(moved, [[1, C], g.mul(f, g.ints([pt])), g.mul(h, g.ints([ph])), g.mul(w, g.ints([pw]))]);
  }
}

/** Adds the transformer's inputs, outputs and nodes to `g` (see DIT_INPUTS / DIT_OUTPUT). */
export function buildDitGraph(g: GraphBuilder, config: DitConfig, options: DitGraphOptions = {}): void {
  new DitGraph(g, config, options).build();
}
