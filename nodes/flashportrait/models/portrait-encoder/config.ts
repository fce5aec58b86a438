// PortraitEncoder sizes. Almost all are literals of the original class; the Resampler width and
// depth are read from the weights, but heads are not recoverable from them (only heads*dim_head is),
// so they are configured (20 for the released file).
import type { WeightIndex } from '../../../../server/ml/index.ts';

/** Per video frame: headpose 6 | eye 6 | emo 30 | mouth 512. */
export const DRIVING_SLICES = { headpose: [0, 6], eye: [6, 12], emo: [12, 42], mouth: [42, 554] } as const;
export const DRIVING_WIDTH = 554;
export const TOKENS_PER_FRAME = 24;
export const RELEASED_RESAMPLER_HEADS = 20;

export interface ResamplerConfig {
  readonly prefix: string;
  readonly inDim: number;
  readonly dim: number;
  readonly queries: number;
  readonly depth: number;
  readonly heads: number;
  readonly headDim: number;
  readonly ffDim: number;
  readonly outDim: number;
}

export interface PortraitEncoderConfig {
  readonly width: number;
  readonly mouth: ResamplerConfig;
  readonly emo: ResamplerConfig;
}

function shape(weights: WeightIndex, key: string): readonly number[] {
  const e = weights.tensors.get(key);
  if (!e) throw new Error(`portrait encoder weights lack ${key} (${weights.source})`);
  return e.shape;
}

function resamplerConfig(weights: WeightIndex, prefix: string, heads: number): ResamplerConfig {
  const [dim, inDim] = shape(weights, `${prefix}.proj_in.weight`) as [number, number];
  const [, queries] = shape(weights, `${prefix}.latents`) as [number, number, number];
  const inner = shape(weights, `${prefix}.layers.0.0.to_q.weight`)[0]!;
  if (inner % heads !== 0) throw new Error(`${prefix}: attention width ${inner} is not a multiple of ${heads} heads`);
  let depth = 0;
  while (weights.tensors.has(`${prefix}.layers.${depth}.0.to_q.weight`)) depth++;
  return {
    prefix,
    inDim,
    dim,
    queries,
    depth,
    heads,
    headDim: inner / heads,
    ffDim: shape(weights, `${prefix}.layers.0.1.1.weight`)[0]!,
    outDim: shape(weights, `${prefix}.proj_out.weight`)[0]!,
  };
}

export function portraitEncoderConfig(weights: WeightIndex, heads = RELEASED_RESAMPLER_HEADS): PortraitEncoderConfig {
  const width = shape(weights, 'proj_model.norm.weight')[0]!;
  const config = { width, mouth: resamplerConfig(weights, 'mouth_proj_model', heads), emo: resamplerConfig(weights, 'emo_proj_model', heads) };
  const tokens = 4 + config.mouth.queries + config.emo.queries;
  if (tokens !== TOKENS_PER_FRAME) throw new Error(`portrait encoder makes ${tokens} tokens per frame, expected ${TOKENS_PER_FRAME}`);
  for (const r of [config.mouth, config.emo]) if (r.outDim !== width) throw new Error(`${r.prefix} outputs ${r.outDim} wide tokens, proj_model ${width}`);
  return config;
}
