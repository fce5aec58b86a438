// The self-attention variants the bench compares on the GPU, by name: how each is built
// (DitModelOptions) and what it is. A name is `mha`, `mha-flash`, `loop-<N>` or `unrolled-<N>`
// (N = query tokens per tile), so a run can try other tile sizes without code changes.
import type { DitModelOptions } from '../../nodes/flashportrait/models/dit/model.ts';
import type { BenchSize } from './plan.ts';

export type AttentionBuild = Pick<DitModelOptions, 'attentionQueryChunk' | 'attentionTiling' | 'attentionTokens' | 'attentionPresentKv'>;

export interface AttentionVariant {
  readonly name: string;
  readonly description: string;
  /** The model options for a window of `tokens` tokens ('unrolled' tiles fix the token count). */
  build(tokens: number): AttentionBuild;
}

/**
 * Tried in this order; the first that runs is the reference the others' outputs are compared with.
 * Real: tiles of 512 / 256 query tokens keep a tile's fp16 scores (40 x N x L) at 1.3 / 0.67 GB at
 * 480x832, under WebGPU's per-binding buffer limit. Tiny: tiles small enough to split its 18 tokens.
 */
export const DEFAULT_VARIANTS: Readonly<Record<BenchSize, readonly string[]>> = {
  real: ['unrolled-512', 'loop-256', 'mha-flash', 'mha'],
  tiny: ['unrolled-8', 'loop-5', 'mha-flash', 'mha'],
};

export function attentionVariant(name: string): AttentionVariant {
  if (name === 'mha') {
    return { name, description: 'untiled com.microsoft MultiHeadAttention (scores materialised unless the EP fuses)', build: () => ({}) };
  }
  if (name === 'mha-flash') {
    return {
      name,
      description: "untiled MultiHeadAttention with present K/V outputs: the WebGPU EP's FlashAttention path",
      build: () => ({ attentionPresentKv: true }),
    };
  }
  const m = /^(loop|unrolled)-(\d+)$/.exec(name);
  const chunk = m ? Number(m[2]) : 0;
  if (!m || !Number.isInteger(chunk) || chunk < 1) throw new Error(`attention variant ${JSON.stringify(name)}: expected mha, mha-flash, loop-<N> or unrolled-<N>`);
  const tiling = m[1] as 'loop' | 'unrolled';
  return {
    name,
    description: tiling === 'loop'
      ? `query tiles of ${chunk} in one ONNX Loop (on WebGPU the Loop runs on the CPU EP, each tile crossing to the host)`
      : `query tiles of ${chunk} unrolled into plain nodes (every node on the GPU; one model per token count)`,
    build: (tokens) => ({ attentionQueryChunk: chunk, attentionTiling: tiling, ...(tiling === 'unrolled' ? { attentionTokens: tokens } : {}) }),
  };
}
