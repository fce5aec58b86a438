// Every parameter of the I2V transformer with FlashPortrait's emotion projections, key -> shape,
// derived from the config alone. Used to check weight files before building a graph, and to size
// the real model without its 70 GB of weights.
import type { DitConfig } from './config.ts';

export function ditParameterShapes(c: DitConfig): Map<string, readonly number[]> {
  const D = c.dim;
  const shapes = new Map<string, readonly number[]>();
  const linear = (prefix: string, inDim: number, outDim: number, bias = true): void => {
    shapes.set(`${prefix}.weight`, [outDim, inDim]);
    if (bias) shapes.set(`${prefix}.bias`, [outDim]);
  };
  const affine = (prefix: string, width: number): void => {
    shapes.set(`${prefix}.weight`, [width]);
    shapes.set(`${prefix}.bias`, [width]);
  };
  const [pt, ph, pw] = c.patchSize;
  shapes.set('patch_embedding.weight', [D, c.inDim, pt, ph, pw]);
  shapes.set('patch_embedding.bias', [D]);
  linear('text_embedding.0', c.textDim, D);
  linear('text_embedding.2', D, D);
  linear('time_embedding.0', c.freqDim, D);
  linear('time_embedding.2', D, D);
  linear('time_projection.1', D, 6 * D);
  for (let i = 0; i < c.numLayers; i++) {
    const b = `blocks.${i}`;
    shapes.set(`${b}.modulation`, [1, 6, D]);
    for (const m of ['q', 'k', 'v', 'o']) linear(`${b}.self_attn.${m}`, D, D);
    shapes.set(`${b}.self_attn.norm_q.weight`, [D]);
    shapes.set(`${b}.self_attn.norm_k.weight`, [D]);
    affine(`${b}.norm3`, D);
    for (const m of ['q', 'k', 'v', 'o', 'k_img', 'v_img']) linear(`${b}.cross_attn.${m}`, D, D);
    for (const m of ['norm_q', 'norm_k', 'norm_k_img']) shapes.set(`${b}.cross_attn.${m}.weight`, [D]);
    linear(`${b}.cross_attn.emo_k_proj`, c.emoDim, D, false);
    linear(`${b}.cross_attn.emo_v_proj`, c.emoDim, D, false);
    linear(`${b}.ffn.0`, D, c.ffnDim);
    linear(`${b}.ffn.2`, c.ffnDim, D);
  }
  shapes.set('head.modulation', [1, 2, D]);
  linear('head.head', D, pt * ph * pw * c.outDim);
  affine('img_emb.proj.0', c.clipDim);
  linear('img_emb.proj.1', c.clipDim, c.clipDim);
  linear('img_emb.proj.3', c.clipDim, D);
  affine('img_emb.proj.4', D);
  return shapes;
}

/** Keys that FlashPortrait adds to Wan; the base checkpoint lacks them and the original zero-initialises them. */
export function isEmotionProjection(key: string): boolean {
  return /\.cross_attn\.emo_[kv]_proj\.weight$/.test(key);
}
