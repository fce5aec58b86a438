// An umT5 encoder session over a Wan text-encoder checkpoint, and the prompt path around it exactly
// as WanI2VLongPipeline hands contexts to the DiT: encode, keep each prompt's real rows, zero-pad.
import { statSync, realpathSync } from 'node:fs';
import { buildModel, createSession, createTensor, GraphBuilder, openWeights } from '../../../../server/ml/index.ts';
import type { ModelSession, SessionConfig, Tensor, WeightIndex } from '../../../../server/ml/index.ts';
import type { Umt5Config } from './config.ts';
import { buildUmt5Encoder } from './encoder-graph.ts';
import type { Umt5GraphOptions } from './encoder-graph.ts';

/** Token ids and key mask, row-major [batch, length], as the tokenizer returns them. */
export interface TokenBatch {
  readonly batch: number;
  readonly length: number;
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
}

export interface Umt5EncoderOptions extends Umt5GraphOptions {
  readonly config: Umt5Config;
  /** Converted (bf16 -> f32) weight copies go here; required for the bf16 release file on the CPU. */
  readonly cacheDir?: string;
  readonly session?: SessionConfig;
}

export class Umt5Encoder {
  constructor(readonly session: ModelSession, readonly config: Umt5Config, readonly modelKey: string) {}

  /** Builds the graph from the checkpoint's state dict and opens a session on it. */
  static async load(weightsPath: string, options: Umt5EncoderOptions): Promise<Umt5Encoder> {
    const weights = openWeights(weightsPath);
    const session = await createSession(buildModel(buildUmt5Graph(weights, options), { cacheDir: options.cacheDir }), options.session);
    return new Umt5Encoder(session, options.config, modelKeyOf(weightsPath, options.config));
  }

  /** last_hidden_state [B, L, dim] for the batch, including (meaningless) rows at pad positions. */
  async lastHiddenState(tokens: TokenBatch): Promise<Tensor> {
    const shape = [tokens.batch, tokens.length];
    const out = await this.session.run({
      input_ids: createTensor('int64', shape, tokens.inputIds),
      attention_mask: createTensor('int64', shape, tokens.attentionMask),
    }, ['last_hidden_state']);
    return out.last_hidden_state!;
  }

  /**
   * `encode_prompt`'s list: for each row, the encoder output of its real tokens ([seqLen_i, dim],
   * `</s>` included). Pad keys never reach real rows, so the batch is only run up to its longest row.
   */
  async encode(tokens: TokenBatch): Promise<Tensor[]> {
    const seqLens = sequenceLengths(tokens);
    const hidden = await this.lastHiddenState(cropColumns(tokens, Math.max(1, ...seqLens)));
    return trimRows(hidden, seqLens);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export function buildUmt5Graph(weights: WeightIndex, options: Umt5EncoderOptions & { computeDtype?: 'float32' | 'float16' }): GraphBuilder {
  const g = new GraphBuilder({ weights, computeDtype: options.computeDtype ?? 'float32', name: 'umt5_encoder' });
  buildUmt5Encoder(g, options.config, options);
  return g;
}

/** `attention_mask.gt(0).sum(1)`. */
export function sequenceLengths(tokens: TokenBatch): number[] {
  const lens: number[] = [];
  for (let b = 0; b < tokens.batch; b++) {
    let n = 0;
    for (let j = 0; j < tokens.length; j++) if (tokens.attentionMask[b * tokens.length + j]! > 0n) n++;
    lens.push(n);
  }
  return lens;
}

/** The first `length` columns of every row. */
export function cropColumns(tokens: TokenBatch, length: number): TokenBatch {
  if (length === tokens.length) return tokens;
  const ids = new BigInt64Array(tokens.batch * length);
  const mask = new BigInt64Array(tokens.batch * length);
  for (let b = 0; b < tokens.batch; b++) {
    ids.set(tokens.inputIds.subarray(b * tokens.length, b * tokens.length + length), b * length);
    mask.set(tokens.attentionMask.subarray(b * tokens.length, b * tokens.length + length), b * length);
  }
  return { batch: tokens.batch, length, inputIds: ids, attentionMask: mask };
}

/** `[u[:v] for u, v in zip(hidden, seqLens)]` of a float32 [B, L, D] tensor. */
export function trimRows(hidden: Tensor, seqLens: readonly number[]): Tensor[] {
  const [batch, length, dim] = hidden.shape as [number, number, number];
  const data = hidden.data as Float32Array;
  if (seqLens.length !== batch) throw new Error(`trimRows: ${seqLens.length} lengths for a batch of ${batch}`);
  return seqLens.map((n, b) => {
    if (n > length) throw new Error(`trimRows: sequence length ${n} exceeds ${length}`);
    return createTensor('float32', [n, dim], data.slice(b * length * dim, (b * length + n) * dim));
  });
}

/**
 * The context the DiT stacks from encode_prompt's list: each [seqLen_i, D] followed by zero rows up
 * to textLen, as [B, textLen, D]. The pad rows are exact zeros, and the DiT does not mask them.
 */
export function stackContext(contexts: readonly Tensor[], textLen: number): Tensor {
  const dim = contexts[0]?.shape[1];
  if (dim === undefined) throw new Error('stackContext: no contexts');
  const out = new Float32Array(contexts.length * textLen * dim);
  contexts.forEach((c, b) => {
    if (c.shape[1] !== dim) throw new Error('stackContext: contexts differ in width');
    if (c.shape[0]! > textLen) throw new Error(`stackContext: context of ${c.shape[0]} rows exceeds text_len ${textLen}`);
    out.set(c.data as Float32Array, b * textLen * dim);
  });
  return createTensor('float32', [contexts.length, textLen, dim], out);
}

/** Identifies a checkpoint version + config, so cached embeddings die with a replaced file. */
export function modelKeyOf(weightsPath: string, config: Umt5Config): string {
  const real = realpathSync(weightsPath);
  const st = statSync(real);
  return `${real}|${st.size}|${st.mtimeMs}|${JSON.stringify(config)}`;
}
