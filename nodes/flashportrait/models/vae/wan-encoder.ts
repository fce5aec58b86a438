// Wan2.1 VAE encoder (Encoder3d + the 1x1x1 conv1) as graphs, in two strategies:
// - whole: video [1, 3, F, H, W] (F = 4k+1, in [-1, 1]) -> normalised posterior mode
//   [1, z, k+1, H/8, W/8] in one pass (the original's chunk loop collapses to causal zero padding
//   and downsample3d's frame-0-then-stride-2 rule, see temporalDownsample).
// - streaming: the original's chunks, frame 0 alone then 4 frames per call, one latent frame out
//   per call, every causal conv's past and every downsample3d's last frame carried as cache
//   tensors in and out of the graph. The first call differs only in downsample3d, which skips its
//   time conv there.
import { GraphBuilder } from '../../../../server/ml/onnx/graph-builder.ts';
import type { Value } from '../../../../server/ml/onnx/graph-builder.ts';
import { createTensor } from '../../../../server/ml/tensor.ts';
import type { WeightIndex } from '../../../../server/ml/weights/index.ts';
import { LATENT_MEAN, TEMPORAL_STRIDE, latentInverseStd } from './config.ts';
import type { WanVaeConfig } from './config.ts';
import { ZERO_HISTORY, buildStepGraph } from './history.ts';
import type { StepGraph, TemporalPass } from './history.ts';
import {
  attentionBlock, causalConv3d, channelRmsNorm, residualBlock, spatialDownsample, temporalDownsample,
} from './wan-layers.ts';
import type { LayerContext } from './wan-layers.ts';

export interface WanEncoderOutputs {
  /** Normalised mu: what the pipeline uses. */
  readonly latent: Value;
  readonly muRaw: Value;
  readonly logvarRaw: Value;
  /** Encoder3d's output, before the 1x1x1 conv1. */
  readonly features: Value;
}

/** Encoder3d: conv1, stages of residual blocks with resamplers between them, middle, head. */
export function encoderTrunk(ctx: LayerContext, config: WanVaeConfig, pass: TemporalPass, video: Value): Value {
  const { g } = ctx;
  const dims = [1, ...config.dimMult].map((m) => m * config.dim);
  let x = causalConv3d(ctx, 'encoder.conv1', video, 3, 1);
  let index = 0;
  let scale = 1;
  for (let stage = 0; stage < config.dimMult.length; stage++) {
    let inDim = dims[stage]!;
    const outDim = dims[stage + 1]!;
    for (let r = 0; r < config.numResBlocks; r++) {
      x = residualBlock(ctx, `encoder.downsamples.${index++}`, x, inDim, outDim, scale);
      inDim = outDim;
    }
    if (stage !== config.dimMult.length - 1) {
      const prefix = `encoder.downsamples.${index++}`;
      x = spatialDownsample(g, prefix, x);
      scale /= 2;
      if (config.temporalDownsample[stage]) x = temporalDownsample(ctx, pass, prefix, x, outDim, scale);
    }
  }
  const top = dims[dims.length - 1]!;
  x = residualBlock(ctx, 'encoder.middle.0', x, top, top, scale);
  x = attentionBlock(g, 'encoder.middle.1', x, top);
  x = residualBlock(ctx, 'encoder.middle.2', x, top, top, scale);
  x = g.silu(channelRmsNorm(g, x, 'encoder.head.0.gamma', top));
  return causalConv3d(ctx, 'encoder.head.2', x, top, scale);
}

export function perChannel(g: GraphBuilder, values: ArrayLike<number>, hint: string): Value {
  return g.constant(createTensor('float32', [1, values.length, 1, 1, 1], Array.from(values)), hint);
}

export function encoderGraph(ctx: LayerContext, config: WanVaeConfig, pass: TemporalPass, video: Value): WanEncoderOutputs {
  const { g } = ctx;
  const features = encoderTrunk(ctx, config, pass, video);
  const moments = g.conv(features, 'conv1.weight', 'conv1.bias');
  const [muRaw, logvarRaw] = g.op('Split', [moments, g.ints([config.zDim, config.zDim])], { axis: { int: 1 } }, { outputs: 2 });
  const latent = g.mul(g.sub(muRaw!, perChannel(g, LATENT_MEAN, 'latent_mean')), perChannel(g, latentInverseStd(), 'latent_inv_std'));
  return { latent, muRaw: muRaw!, logvarRaw: logvarRaw!, features };
}

function outputMoments(g: GraphBuilder, out: WanEncoderOutputs): void {
  g.output(out.latent, 'latent');
  g.output(out.muRaw, 'mu_raw');
  g.output(out.logvarRaw, 'logvar_raw');
  g.output(out.features, 'encoder_features');
}

/** Graph inputs: `video` [1, 3, F, H, W]. Outputs: latent, mu_raw, logvar_raw, encoder_features. */
export function buildWanEncoder(weights: WeightIndex, config: WanVaeConfig): GraphBuilder {
  const g = new GraphBuilder({ weights, computeDtype: 'float32', name: 'wan_vae_encoder' });
  const video = g.input('video', 'float32', [1, 3, 'frames', 'height', 'width']);
  outputMoments(g, encoderGraph({ g, history: ZERO_HISTORY }, config, 'whole', video));
  return g;
}

/** Video frames per streaming encoder call: frame 0 alone, then 4 (one latent frame each). */
export function encoderChunkFrames(first: boolean): number {
  return first ? 1 : TEMPORAL_STRIDE;
}

/**
 * One chunk per call. Inputs: `video` [1, 3, 1, H, W] on the first call and [1, 3, 4, H, W] after,
 * plus every `cache_in.*` (zeros on the first call, which reads all but downsample3d's); outputs latent, mu_raw, logvar_raw,
 * encoder_features (one latent frame each) and every `cache_out.*`.
 */
export function buildWanEncoderStep(weights: WeightIndex, config: WanVaeConfig, first: boolean): StepGraph {
  return buildStepGraph(weights, first ? 'wan_vae_encoder_first' : 'wan_vae_encoder_next', (g, history) => {
    const video = g.input('video', 'float32', [1, 3, encoderChunkFrames(first), 'height', 'width']);
    outputMoments(g, encoderGraph({ g, history }, config, first ? 'stream-first' : 'stream-next', video));
  });
}
