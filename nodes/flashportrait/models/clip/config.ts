// The open-clip XLM-RoBERTa ViT-H/14 visual tower as Wan2.1-I2V uses it (`clip_xlm_roberta_vit_h_14`).
export interface ClipVisionConfig {
  readonly imageSize: number;
  readonly patchSize: number;
  readonly dim: number;
  readonly numHeads: number;
  /** Blocks in the checkpoint; the pipeline runs all but the last (`use_31_block`). */
  readonly numLayers: number;
  readonly mlpRatio: number;
  readonly eps: number;
  /** Output width of the (unused) projection head, present in the checkpoint. */
  readonly embedDim: number;
  /** Normalisation applied after the [0, 1] mapping (OpenAI CLIP constants). */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

export const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

export const CLIP_VIT_H_14: ClipVisionConfig = {
  imageSize: 224,
  patchSize: 14,
  dim: 1280,
  numHeads: 16,
  numLayers: 32,
  mlpRatio: 4,
  eps: 1e-5,
  embedDim: 1024,
  mean: OPENAI_CLIP_MEAN,
  std: OPENAI_CLIP_STD,
};

export function clipTokenCount(c: ClipVisionConfig): number {
  return (c.imageSize / c.patchSize) ** 2 + 1;
}

/** Every `visual.*` tensor of a full checkpoint, with its shape (blocks the pipeline skips included). */
export function clipVisualWeightShapes(c: ClipVisionConfig): Map<string, readonly number[]> {
  const d = c.dim;
  const hidden = d * c.mlpRatio;
  const shapes = new Map<string, readonly number[]>([
    ['visual.cls_embedding', [1, 1, d]],
    ['visual.pos_embedding', [1, clipTokenCount(c), d]],
    ['visual.head', [d, c.embedDim]],
    ['visual.patch_embedding.weight', [d, 3, c.patchSize, c.patchSize]],
    ['visual.pre_norm.weight', [d]],
    ['visual.pre_norm.bias', [d]],
  ]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `visual.transformer.${i}.`;
    shapes.set(`${p}norm1.weight`, [d]);
    shapes.set(`${p}norm1.bias`, [d]);
    shapes.set(`${p}attn.to_qkv.weight`, [3 * d, d]);
    shapes.set(`${p}attn.to_qkv.bias`, [3 * d]);
    shapes.set(`${p}attn.proj.weight`, [d, d]);
    shapes.set(`${p}attn.proj.bias`, [d]);
    shapes.set(`${p}norm2.weight`, [d]);
    shapes.set(`${p}norm2.bias`, [d]);
    shapes.set(`${p}mlp.0.weight`, [hidden, d]);
    shapes.set(`${p}mlp.0.bias`, [hidden]);
    shapes.set(`${p}mlp.2.weight`, [d, hidden]);
    shapes.set(`${p}mlp.2.bias`, [d]);
  }
  shapes.set('visual.post_norm.weight', [d]);
  shapes.set('visual.post_norm.bias', [d]);
  return shapes;
}
