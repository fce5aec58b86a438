// The Wan2.1 transformer's architecture, read from its config.json. The released config omits
// several sizes the class fills in by default or hard-codes (text width, CLIP width, patch size,
// qk/cross-attn norms); those come from the weight shapes when weights are given, else the defaults.
import type { WeightIndex } from '../../../../server/ml/index.ts';

export interface DitConfig {
  readonly modelType: 't2v' | 'i2v';
  readonly dim: number;
  readonly ffnDim: number;
  readonly freqDim: number;
  readonly numHeads: number;
  readonly numLayers: number;
  readonly inDim: number;
  readonly outDim: number;
  readonly textLen: number;
  readonly textDim: number;
  readonly clipDim: number;
  readonly patchSize: readonly [number, number, number];
  readonly eps: number;
  /** Emotion token width of FlashPortrait's emo_k/v projections (a literal in the original). */
  readonly emoDim: number;
  /** Emotion tokens per latent frame (a literal of the split). */
  readonly emoTokens: number;
  /** CLIP tokens at the front of the cross-attention context (`context[:, :257]` in the original). */
  readonly clipTokens: number;
}

export const WAN_DEFAULT_TEXT_DIM = 4096;
export const WAN_DEFAULT_CLIP_DIM = 1280;
const EMO_DIM = 2048;
const EMO_TOKENS = 97;
const CLIP_TOKENS = 257;

function positiveInt(raw: Record<string, unknown>, key: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`DiT config: ${key} must be a positive integer (got ${JSON.stringify(raw[key])})`);
  return v;
}

/** Parses config.json; `weights` (optional) overrides the widths the released config leaves out. */
export function parseDitConfig(raw: Record<string, unknown>, weights?: WeightIndex): DitConfig {
  const modelType = raw.model_type ?? 'i2v';
  if (modelType !== 'i2v' && modelType !== 't2v') throw new Error(`DiT config: model_type ${JSON.stringify(modelType)} is not supported (i2v or t2v)`);
  if (modelType !== 'i2v') throw new Error('DiT config: FlashPortrait needs the i2v transformer (model_type "i2v")');
  const dim = positiveInt(raw, 'dim');
  const numHeads = positiveInt(raw, 'num_heads');
  if (dim % numHeads !== 0) throw new Error(`DiT config: dim ${dim} is not a multiple of num_heads ${numHeads}`);
  if ((dim / numHeads) % 2 !== 0) throw new Error('DiT config: head_dim must be even for the rotary embedding');
  const shapeOf = (key: string): readonly number[] | undefined => weights?.tensors.get(key)?.shape;
  const textDim = shapeOf('text_embedding.0.weight')?.[1] ?? positiveInt(raw, 'text_dim', WAN_DEFAULT_TEXT_DIM);
  const clipDim = shapeOf('img_emb.proj.1.weight')?.[1] ?? positiveInt(raw, 'clip_dim', WAN_DEFAULT_CLIP_DIM);
  const patch = raw.patch_size ?? [1, 2, 2];
  if (!Array.isArray(patch) || patch.length !== 3 || !patch.every((p) => Number.isInteger(p) && p > 0)) throw new Error('DiT config: patch_size must be three positive integers');
  if (raw.qk_norm === false || raw.cross_attn_norm === false) throw new Error('DiT config: qk_norm and cross_attn_norm must be true (the released model uses both)');
  const eps = raw.eps ?? 1e-6;
  if (typeof eps !== 'number') throw new Error('DiT config: eps must be a number');
  return {
    modelType,
    dim,
    ffnDim: positiveInt(raw, 'ffn_dim'),
    freqDim: positiveInt(raw, 'freq_dim', 256),
    numHeads,
    numLayers: positiveInt(raw, 'num_layers'),
    inDim: positiveInt(raw, 'in_dim', 36),
    outDim: positiveInt(raw, 'out_dim', 16),
    textLen: positiveInt(raw, 'text_len', 512),
    textDim,
    clipDim,
    patchSize: patch as [number, number, number],
    eps,
    emoDim: EMO_DIM,
    emoTokens: EMO_TOKENS,
    clipTokens: CLIP_TOKENS,
  };
}

export function headDim(c: DitConfig): number {
  return c.dim / c.numHeads;
}

/** Complex pairs per head rotated by frame, row and column index (frame gets the remainder). */
export function ropePairSplit(c: DitConfig): readonly [number, number, number] {
  const pairs = headDim(c) / 2;
  const third = Math.floor(pairs / 3);
  return [pairs - 2 * third, third, third];
}
