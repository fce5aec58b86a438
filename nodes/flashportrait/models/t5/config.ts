// umT5 encoder hyper-parameters (Wan's `text_encoder_kwargs`). Only the encoder half is shipped.
export interface Umt5Config {
  readonly vocab: number;
  readonly dim: number;
  /** Width of the q/k/v projections; heads split it evenly. */
  readonly dimAttn: number;
  readonly dimFfn: number;
  readonly numHeads: number;
  readonly numLayers: number;
  /** Relative-position buckets, half per direction (bidirectional encoder). */
  readonly numBuckets: number;
  /** Distance at which the logarithmic buckets saturate (hard-coded 128 upstream). */
  readonly maxDistance: number;
  readonly eps: number;
  /** Prompt length the pipeline pads/truncates to, and the DiT's context length. */
  readonly textLen: number;
}

/** `google/umt5-xxl` encoder as configured in wan_civitai.yaml. */
export const UMT5_XXL: Umt5Config = {
  vocab: 256384,
  dim: 4096,
  dimAttn: 4096,
  dimFfn: 10240,
  numHeads: 64,
  numLayers: 24,
  numBuckets: 32,
  maxDistance: 128,
  eps: 1e-6,
  textLen: 512,
};

/** The tensors an encoder checkpoint of this config must hold, with their shapes. */
export function umt5WeightShapes(c: Umt5Config): Map<string, readonly number[]> {
  const shapes = new Map<string, readonly number[]>();
  shapes.set('token_embedding.weight', [c.vocab, c.dim]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `blocks.${i}.`;
    shapes.set(`${p}norm1.weight`, [c.dim]);
    for (const n of ['q', 'k', 'v']) shapes.set(`${p}attn.${n}.weight`, [c.dimAttn, c.dim]);
    shapes.set(`${p}attn.o.weight`, [c.dim, c.dimAttn]);
    shapes.set(`${p}norm2.weight`, [c.dim]);
    shapes.set(`${p}ffn.gate.0.weight`, [c.dimFfn, c.dim]);
    shapes.set(`${p}ffn.fc1.weight`, [c.dimFfn, c.dim]);
    shapes.set(`${p}ffn.fc2.weight`, [c.dim, c.dimFfn]);
    shapes.set(`${p}pos_embedding.embedding.weight`, [c.numBuckets, c.numHeads]);
  }
  shapes.set('norm.weight', [c.dim]);
  return shapes;
}
