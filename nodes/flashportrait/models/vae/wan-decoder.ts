// Wan2.1 VAE decoder (conv2 + Decoder3d) as graphs, in two strategies:
// - whole: every latent frame at once; upsample3d passes frame 0 through un-doubled and runs its
//   time conv causally over frames 1.. (the original's chunk loop collapses to this).
// - streaming: one latent frame per call, every causal conv's past carried as cache tensors in and
//   out of one graph; the caches' lengths tell the first call (where upsample3d skips its time
//   conv) from the others.
import { GraphBuilder } from '../../../../server/ml/onnx/graph-builder.ts';
import type { Value } from '../../../../server/ml/onnx/graph-builder.ts';
import type { WeightIndex } from '../../../../server/ml/weights/index.ts';
import { LATENT_MEAN, latentInverseStd } from './config.ts';
import type { WanVaeConfig } from './config.ts';
import { ZERO_HISTORY, buildStreamGraph } from './history.ts';
import type { StepGraph, TemporalPass } from './history.ts';
import {
  attentionBlock, causalConv3d, channelRmsNorm, residualBlock, spatialUpsample, temporalUpsample,
} from './wan-layers.ts';
import type { LayerContext } from './wan-layers.ts';
import { perChannel } from './wan-encoder.ts';

/**
 * Where a decoder graph starts and ends: the whole Decoder3d, or one of its halves split before the
 * last upsampler's spatial half (at 1/4 of the output size, where the activation is smallest
 * relative to the caches after it: the streaming decoder runs the halves as two sessions).
 */
export type DecoderPart = 'all' | 'low' | 'high';

/** Decoder3d (or a half of it) on raw (un-normalised, post-conv2) latents: middle, upsampling stages, head. */
export function decoderTrunk(ctx: LayerContext, config: WanVaeConfig, pass: TemporalPass, input: Value, part: DecoderPart = 'all'): Value {
  const { g } = ctx;
  const low = part !== 'high';
  const high = part !== 'low';
  const dims = decoderWidths(config);
  const doublesTime = [...config.temporalDownsample].reverse();
  let scale = 1;
  const top = dims[0]!;
  let x = input;
  if (low) {
    x = causalConv3d(ctx, 'decoder.conv1', x, config.zDim, scale);
    x = residualBlock(ctx, 'decoder.middle.0', x, top, top, scale);
    x = attentionBlock(g, 'decoder.middle.1', x, top);
    x = residualBlock(ctx, 'decoder.middle.2', x, top, top, scale);
  }
  let index = 0;
  const stages = dims.length - 1;
  for (let stage = 0; stage < stages; stage++) {
    // Every resampler's spatial conv halves the width, so later stages start at half the last width.
    let inDim = stage > 0 ? dims[stage]! / 2 : dims[stage]!;
    const outDim = dims[stage + 1]!;
    const ours = stage < stages - 1 ? low : high;
    for (let r = 0; r < config.numResBlocks + 1; r++) {
      if (ours) x = residualBlock(ctx, `decoder.upsamples.${index}`, x, inDim, outDim, scale);
      index++;
      inDim = outDim;
    }
    if (stage !== stages - 1) {
      const prefix = `decoder.upsamples.${index++}`;
      if (low && doublesTime[stage]) x = temporalUpsample(ctx, pass, prefix, x, outDim, scale);
      if (stage === stages - 2 ? high : low) x = spatialUpsample(g, prefix, x);
      scale *= 2;
    }
  }
  if (!high) return x;
  const last = dims[dims.length - 1]!;
  x = g.silu(channelRmsNorm(g, x, 'decoder.head.0.gamma', last));
  return causalConv3d(ctx, 'decoder.head.2', x, last, scale);
}

/** Channels into each decoder stage and out of the last one (Wan: 384, 384, 384, 192, 96). */
function decoderWidths(config: WanVaeConfig): number[] {
  return [config.dimMult[config.dimMult.length - 1]!, ...[...config.dimMult].reverse()].map((m) => m * config.dim);
}

/** Output size / latent size where the streaming decoder's halves meet (4 for Wan's 4 stages). */
export function decoderSplitScale(config: WanVaeConfig): number {
  return 2 ** (config.dimMult.length - 2);
}

/** Diffusion-space latents -> raw latents (divides by the stored 1/std, as the original does) -> conv2. */
function unnormalise(g: GraphBuilder, latents: Value): Value {
  const raw = g.add(g.div(latents, perChannel(g, latentInverseStd(), 'latent_inv_std')), perChannel(g, LATENT_MEAN, 'latent_mean'));
  return g.conv(raw, 'conv2.weight', 'conv2.bias');
}

function clampUnit(g: GraphBuilder, x: Value): Value {
  return g.op('Clip', [x, g.scalar(-1), g.scalar(1)])[0]!;
}

/** Inputs: `latents` [1, z, T, h, w] (T >= 2). Outputs: `video` (clamped) and `video_unclamped`, [1, 3, 4T-3, 8h, 8w]. */
export function buildWanDecoder(weights: WeightIndex, config: WanVaeConfig): GraphBuilder {
  const g = new GraphBuilder({ weights, computeDtype: 'float32', name: 'wan_vae_decoder' });
  const latents = g.input('latents', 'float32', [1, config.zDim, 'latent_frames', 'latent_height', 'latent_width']);
  const video = decoderTrunk({ g, history: ZERO_HISTORY }, config, 'whole', unnormalise(g, latents));
  g.output(clampUnit(g, video), 'video');
  g.output(video, 'video_unclamped');
  return g;
}

/**
 * One latent frame per call, one graph for every call, in two halves (DecoderPart). Low: input
 * `latents` [1, z, 1, h, w], output `features` (the activation before the last spatial upsampler).
 * High: input `features`, outputs `video` (clamped; 1 frame on the first call, 4 after) and
 * `video_unclamped`. Both also take every `cache_in.*` of their layers (0 frames before the first
 * call: see StreamedHistory) and give the matching `cache_out.*`.
 */
export function buildWanDecoderStream(weights: WeightIndex, config: WanVaeConfig, part: Exclude<DecoderPart, 'all'>): StepGraph {
  // The first call sees one frame everywhere: upsample3d leaves its frame alone there.
  return buildStreamGraph(weights, `wan_vae_decoder_stream_${part}`, 1, (g, history) => {
    if (part === 'low') {
      const latents = g.input('latents', 'float32', [1, config.zDim, 1, 'latent_height', 'latent_width']);
      g.output(decoderTrunk({ g, history }, config, 'stream', unnormalise(g, latents), 'low'), 'features');
      return;
    }
    const widths = decoderWidths(config);
    const channels = widths[widths.length - 2]!;
    const features = g.input('features', 'float32', [1, channels, 'frames', 'feature_height', 'feature_width']);
    const video = decoderTrunk({ g, history }, config, 'stream', features, 'high');
    g.output(clampUnit(g, video), 'video');
    g.output(video, 'video_unclamped');
  });
}
