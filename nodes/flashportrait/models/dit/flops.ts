// Floating-point operations of one transformer call (one CFG branch of one window), counting a
// multiply-add as 2. Matmuls and attention only: norms, activations and RoPE add well under 1%.
import type { DitConfig } from './config.ts';

export interface DitWorkload {
  /** Latent frames and latent height/width of the window. */
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  /** Text rows after padding (text_len). */
  readonly textTokens?: number;
}

export function ditFlops(c: DitConfig, w: DitWorkload): number {
  const [pt, ph, pw] = c.patchSize;
  const D = c.dim;
  const L = (w.frames / pt) * (w.height / ph) * (w.width / pw);
  const Lt = w.textTokens ?? c.textLen;
  const Le = w.frames * c.emoTokens;
  const mm = (rows: number, inDim: number, outDim: number): number => 2 * rows * inDim * outDim;
  const attn = (q: number, k: number): number => 4 * q * k * D;
  const embed = mm(L, c.inDim * pt * ph * pw, D)
    + mm(Lt, c.textDim, D) + mm(Lt, D, D)
    + mm(c.clipTokens, c.clipDim, c.clipDim) + mm(c.clipTokens, c.clipDim, D)
    + mm(1, c.freqDim, D) + mm(1, D, D) + mm(1, D, 6 * D);
  const block = 4 * mm(L, D, D) + attn(L, L) // self-attention
    + 2 * mm(L, D, D) + 2 * mm(Lt, D, D) + 2 * mm(c.clipTokens, D, D) + attn(L, Lt) + attn(L, c.clipTokens) // text + image
    + 2 * mm(Le, c.emoDim, D) + attn(L, c.emoTokens) // emotion, per frame: L/F queries x 97 keys, F times
    + mm(L, D, c.ffnDim) + mm(L, c.ffnDim, D);
  return embed + c.numLayers * block + mm(L, D, pt * ph * pw * c.outDim);
}
