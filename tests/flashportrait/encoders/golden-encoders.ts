// Encoder configurations of the encoders golden fixture, read from its case.json files (the weights
// do not show head counts), so the tests hold no literal tied to one fixture's widths or depths.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClipVisionConfig } from '../../../nodes/flashportrait/models/clip/config.ts';
import { OPENAI_CLIP_MEAN, OPENAI_CLIP_STD } from '../../../nodes/flashportrait/models/clip/config.ts';
import type { Umt5Config } from '../../../nodes/flashportrait/models/t5/config.ts';

function caseConfig(dir: string, caseName: string): Record<string, number> {
  return (JSON.parse(readFileSync(join(dir, caseName, 'case.json'), 'utf8')) as { config: Record<string, number> }).config;
}

/** The tiny umT5 the t5 cases were made with; max_distance 128 and eps 1e-6 are the original's. */
export function t5GoldenConfig(dir: string, textLen: number): Umt5Config {
  const c = caseConfig(dir, 't5/t5_single_padded');
  return { vocab: c.vocab!, dim: c.dim!, dimAttn: c.dim_attn!, dimFfn: c.dim_ffn!, numHeads: c.num_heads!, numLayers: c.num_layers!, numBuckets: c.num_buckets!, maxDistance: 128, eps: 1e-6, textLen };
}

/** The tiny CLIP vision tower the clip cases were made with; eps 1e-5 and the OpenAI mean/std are the original's. */
export function clipGoldenConfig(dir: string): ClipVisionConfig {
  const c = caseConfig(dir, 'clip/clip_tower');
  return { imageSize: c.image_size!, patchSize: c.patch_size!, dim: c.vision_dim!, numHeads: c.vision_heads!, numLayers: c.vision_layers!, mlpRatio: c.vision_mlp_ratio!, eps: 1e-5, embedDim: c.embed_dim!, mean: OPENAI_CLIP_MEAN, std: OPENAI_CLIP_STD };
}

/** `prefix0 .. prefix(n-1)`. */
export function numbered(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}
