// A ready-to-run transformer: the graph, a session, and the host-side tables it needs. One call =
// one CFG branch of one window at one step, as the sampling loop's `transformer(call)` makes it.
import { buildModel, createSession, createTensor, GraphBuilder, mergeWeightIndexes, resolveExecutionProvider } from '../../../../server/ml/index.ts';
import type { DType, ModelSession, SessionConfig, Tensor } from '../../../../server/ml/index.ts';
import type { DitConfig } from './config.ts';
import { buildDitGraph, DIT_OUTPUT } from './graph.ts';
import type { AttentionImpl, AttentionTiling } from './graph.ts';
import type { DitLora } from './lora.ts';
import { ropeTables, timestepSinusoid } from './host-inputs.ts';
import { isEmotionProjection } from './parameter-shapes.ts';
import type { DitWeights } from './weights.ts';

export interface DitCallInputs {
  /** Noisy latents [1, outDim, F, H, W]. */
  readonly x: Tensor;
  /** I2V conditioning [1, inDim - outDim, F, H, W]. */
  readonly y: Tensor;
  /** Scheduler timestep, used as is (not rounded, not divided). */
  readonly t: number;
  /** The prompt's real T5 rows [1, n <= textLen, textDim] (padding is added here). */
  readonly context: Tensor;
  /** CLIP image features [1, 257, clipDim]. */
  readonly clipFea: Tensor;
  /** Emotion tokens [1, F, 97, 2048]. */
  readonly emoProj: Tensor;
  /** 0 switches the emotion attention off (no_emo / no_cond branches). */
  readonly ipScale: number;
}

export type DitComputeDtype = 'float32' | 'float16' | 'bfloat16';

export interface DitModelOptions {
  readonly impl?: AttentionImpl;
  readonly debug?: boolean;
  /** Where converted weights go (needed whenever the compute dtype differs from the stored one). */
  readonly cacheDir?: string;
  readonly session?: SessionConfig;
  /**
   * What the graph computes in. Default: the session's provider choice (`computeDtypeFor(provider,
   * precision)`: float32 on the CPU, float16 / bfloat16 on a GPU provider asked for fp16 / bf16).
   * Inputs and outputs are float32 either way.
   */
  readonly computeDtype?: DitComputeDtype;
  /** A LoRA (loadDitLora) added as low-rank branches next to the linears it targets. */
  readonly lora?: DitLora;
  /** 8: the linears' weights in 8 bits (MatMulNBits; quantised once into `cacheDir`, which is then required). */
  readonly weightBits?: 8;
  /** Self-attention in tiles of this many query tokens (bounded scores memory; see DitGraphOptions). */
  readonly attentionQueryChunk?: number;
  /** 'loop' (default) or 'unrolled' (needs attentionTokens; the model then serves that token count only). */
  readonly attentionTiling?: AttentionTiling;
  /** The token count an 'unrolled' model is built for. */
  readonly attentionTokens?: number;
  /** Self-attention asks for MultiHeadAttention's present K/V outputs (WebGPU FlashAttention; see DitGraphOptions). */
  readonly attentionPresentKv?: boolean;
}

export interface DitBuildStats {
  /** What the graph computes in (weights of linears / convs and the activations between them). */
  readonly computeDtype: DType;
  /** Initializers that point straight into the weight files (no copy). */
  readonly zeroCopyWeights: number;
  /** Initializers served from converted copies in the cache (dtype changes). */
  readonly convertedWeights: number;
  readonly weightBytes: number;
  /** 8 when the linears hold 8-bit weights; undefined: float weights. */
  readonly weightBits?: 8;
}

export class DitModel {
  private constructor(readonly config: DitConfig, readonly build: DitBuildStats, private readonly session: ModelSession, private readonly fixedTokens?: number) {}

  static async create(weights: DitWeights, options: DitModelOptions = {}): Promise<DitModel> {
    const requested = options.session ?? { provider: 'cpu' as const };
    const choice = typeof requested.provider === 'object' ? requested.provider : await resolveExecutionProvider(requested.provider ?? 'auto', requested.precision ?? 'fp32');
    const computeDtype: DType = options.computeDtype ?? choice.computeDtype;
    const index = options.lora ? mergeWeightIndexes([weights.weights, options.lora.weights]) : weights.weights;
    const g = new GraphBuilder({ weights: index, name: 'flashportrait_dit', computeDtype });
    const zeroWeights = new Set(weights.missing.filter(isEmotionProjection));
    buildDitGraph(g, weights.config, { impl: options.impl, debug: options.debug, zeroWeights, lora: options.lora?.branches, weightBits: options.weightBits,
      attentionQueryChunk: options.attentionQueryChunk, attentionTiling: options.attentionTiling, attentionTokens: options.attentionTokens,
      attentionPresentKv: options.attentionPresentKv,
    });
    const built = buildModel(g, { cacheDir: options.cacheDir });
    const stats = { computeDtype, zeroCopyWeights: built.zeroCopyWeights, convertedWeights: built.convertedWeights, weightBytes: built.weightBytes, weightBits: options.weightBits };
    const fixedTokens = options.attentionQueryChunk !== undefined && options.attentionTiling === 'unrolled' ? options.attentionTokens : undefined;
    return new DitModel(weights.config, stats, await createSession(built, { ...requested, provider: choice }), fixedTokens);
  }

  /** Graph feeds of one call (exposed for tests and benches). */
  feeds(call: DitCallInputs): Record<string, Tensor> {
    const c = this.config;
    const [, channels, frames, height, width] = call.x.shape;
    const [pt, ph, pw] = c.patchSize;
    if (call.x.shape.length !== 5 || channels !== c.outDim) throw new Error(`DiT: x must be [1, ${c.outDim}, F, H, W], got [${call.x.shape}]`);
    if (frames! % pt || height! % ph || width! % pw) throw new Error(`DiT: latent size [${frames}, ${height}, ${width}] is not a multiple of the patch size [${c.patchSize}]`);
    if (call.emoProj.shape[1] !== frames) throw new Error(`DiT: emo_proj has ${call.emoProj.shape[1]} latent frames, x has ${frames}`);
    if (call.context.shape[1]! > c.textLen) throw new Error(`DiT: ${call.context.shape[1]} text tokens exceed text_len ${c.textLen}`);
    const tokens = (frames! / pt) * (height! / ph) * (width! / pw);
    if (this.fixedTokens !== undefined && tokens !== this.fixedTokens) throw new Error(`DiT: this model's unrolled attention tiles were built for ${this.fixedTokens} tokens, the call has ${tokens}`);
    const rope = ropeTables(c, frames! / pt, height! / ph, width! / pw);
    return {
      x: call.x,
      y: call.y,
      timestep_sinusoid: timestepSinusoid(call.t, c.freqDim),
      rope_cos: rope.cos,
      rope_sin: rope.sin,
      context: call.context,
      clip_fea: call.clipFea,
      emo_proj: call.emoProj,
      ip_scale: createTensor('float32', [1], [call.ipScale]),
    };
  }

  /** The prediction [1, outDim, F, H, W]; with `outputs`, those graph outputs (e.g. `dbg.*`). */
  async run(call: DitCallInputs, outputs: readonly string[] = [DIT_OUTPUT]): Promise<Record<string, Tensor>> {
    return this.session.run(this.feeds(call), outputs);
  }

  async predict(call: DitCallInputs): Promise<Tensor> {
    return (await this.run(call))[DIT_OUTPUT]!;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
