// What the GPU bench measures: the model configs (real and tiny), the DiT call shapes, the VAE decode
// shapes and the analytic FLOPs each costs. Pure data and arithmetic, shared by the bench, the torch
// reference (through its --dry-run JSON) and the tests.
import { parseDitConfig } from '../../nodes/flashportrait/models/dit/config.ts';
import type { DitConfig } from '../../nodes/flashportrait/models/dit/config.ts';
import { ditFlops } from '../../nodes/flashportrait/models/dit/flops.ts';
import { WAN_VAE_REAL } from '../../nodes/flashportrait/models/vae/config.ts';
import type { WanVaeConfig } from '../../nodes/flashportrait/models/vae/config.ts';
import { wanDecoderFlopsPerFrame } from '../../nodes/flashportrait/models/vae/flops.ts';

/** Wan2.1-I2V-14B's config.json (the keys the released file has). */
export const REAL_DIT_CONFIG = { dim: 5120, eps: 1e-6, ffn_dim: 13824, freq_dim: 256, in_dim: 36, model_type: 'i2v', num_heads: 40, num_layers: 40, out_dim: 16, text_len: 512 } as const;

/**
 * The smoke-test size: every code path of the real one (text/CLIP/emotion widths included, as
 * text_dim / clip_dim overrides) at a size a CPU runs in well under a second.
 */
export const TINY_DIT_CONFIG = { dim: 64, eps: 1e-6, ffn_dim: 128, freq_dim: 32, in_dim: 36, model_type: 'i2v', num_heads: 4, num_layers: 2, out_dim: 16, text_len: 16, text_dim: 32, clip_dim: 48 } as const;

export const TINY_VAE_CONFIG: WanVaeConfig = { ...WAN_VAE_REAL, dim: 8 };

export type BenchSize = 'real' | 'tiny';

/** Layers of the model the per-layer figures are scaled to (Wan2.1-14B: 40 identical blocks). */
export const MODEL_LAYERS: Readonly<Record<BenchSize, number>> = { real: REAL_DIT_CONFIG.num_layers, tiny: TINY_DIT_CONFIG.num_layers };

/**
 * Layers in the timed stack. The blocks are identical, so a call with 1 layer and one with N layers
 * give the cost of a layer, (t_N - t_1) / (N - 1), and of the embeddings + head, t_1 - that: a few
 * GB of weights instead of the whole model's 34.5 GB.
 */
export const DEFAULT_STACK_LAYERS: Readonly<Record<BenchSize, number>> = { real: 3, tiny: 2 };

export function benchDitConfigRaw(size: BenchSize, layers?: number): Record<string, unknown> {
  const raw: Record<string, unknown> = { ...(size === 'real' ? REAL_DIT_CONFIG : TINY_DIT_CONFIG) };
  if (layers !== undefined) raw.num_layers = layers;
  return raw;
}

export function benchDitConfig(size: BenchSize, layers?: number): DitConfig {
  return parseDitConfig(benchDitConfigRaw(size, layers));
}

export function benchVaeConfig(size: BenchSize): WanVaeConfig {
  return size === 'real' ? WAN_VAE_REAL : TINY_VAE_CONFIG;
}

/** One DiT call: a window of `latentFrames` at `height` x `width` video pixels (latents are /8). */
export interface DitShape {
  readonly name: string;
  readonly height: number;
  readonly width: number;
  readonly latentFrames: number;
}

/** The two shapes (81 video frames = 21 latent frames), and the tiny run's stand-ins. */
export const DIT_SHAPES: Readonly<Record<BenchSize, readonly DitShape[]>> = {
  real: [
    { name: '480x832', height: 480, width: 832, latentFrames: 21 },
    { name: '720x1280', height: 720, width: 1280, latentFrames: 21 },
  ],
  tiny: [
    { name: '32x48', height: 32, width: 48, latentFrames: 3 },
    { name: '48x64', height: 48, width: 64, latentFrames: 2 },
  ],
};

/**
 * The fp16-vs-fp32 accuracy check runs a few real-width layers on a short window: the fp32 copy
 * of all 40 layers (68 GB) fits neither the GPU machine's disk nor the card beside the fp16 one.
 */
export const CHECK_SHAPE: Readonly<Record<BenchSize, DitShape>> = {
  real: { name: '480x832 x 3', height: 480, width: 832, latentFrames: 3 },
  tiny: { name: '32x48 x 2', height: 32, width: 48, latentFrames: 2 },
};

export const LATENT_STRIDE = 8;

export interface DitShapeDims {
  readonly latentHeight: number;
  readonly latentWidth: number;
  /** Transformer tokens: latent frames x (h / 2) x (w / 2) for patch [1, 2, 2]. */
  readonly tokens: number;
}

export function ditShapeDims(c: DitConfig, s: DitShape): DitShapeDims {
  const latentHeight = s.height / LATENT_STRIDE;
  const latentWidth = s.width / LATENT_STRIDE;
  const [pt, ph, pw] = c.patchSize;
  if (!Number.isInteger(latentHeight) || !Number.isInteger(latentWidth) || latentHeight % ph || latentWidth % pw || s.latentFrames % pt) {
    throw new Error(`${s.name}: ${s.height}x${s.width} x ${s.latentFrames} latent frames does not tile into ${c.patchSize} patches of /${LATENT_STRIDE} latents`);
  }
  return { latentHeight, latentWidth, tokens: (s.latentFrames / pt) * (latentHeight / ph) * (latentWidth / pw) };
}

/** Analytic FLOPs of one DiT call (one CFG branch) at shape s. */
export function ditCallFlops(c: DitConfig, s: DitShape): number {
  const d = ditShapeDims(c, s);
  return ditFlops(c, { frames: s.latentFrames, height: d.latentHeight, width: d.latentWidth });
}

export function vaeFrameFlops(c: WanVaeConfig, s: DitShape): number {
  return wanDecoderFlopsPerFrame(c, s.height, s.width);
}

/** TFLOP/s achieved when `flops` take `ms` milliseconds. */
export function tflops(flops: number, ms: number): number {
  return flops / (ms * 1e-3) / 1e12;
}

/** FLOPs of one transformer block and of the rest of a call (embeddings + head) at shape s. */
export function layerFlops(c: DitConfig, s: DitShape): { perLayer: number; rest: number } {
  const one = ditCallFlops({ ...c, numLayers: 1 }, s);
  const perLayer = ditCallFlops({ ...c, numLayers: 2 }, s) - one;
  return { perLayer, rest: one - perLayer };
}

export interface LayerCost {
  readonly perLayerMs: number;
  /** Embeddings + head, once per call (t_1 - perLayer; timing noise can make it slightly negative). */
  readonly restMs: number;
  /** A whole call of the model: rest + modelLayers x perLayer. */
  readonly modelMs: number;
}

/** Per-layer cost from a 1-layer call and a stackLayers-layer call of the same shape. */
export function layerCost(oneLayerMs: number, stackMs: number, stackLayers: number, modelLayers: number): LayerCost {
  if (!Number.isInteger(stackLayers) || stackLayers < 2) throw new Error(`layer cost: the stack needs at least 2 layers, got ${stackLayers}`);
  const perLayerMs = (stackMs - oneLayerMs) / (stackLayers - 1);
  const restMs = oneLayerMs - perLayerMs;
  return { perLayerMs, restMs, modelMs: restMs + modelLayers * perLayerMs };
}
