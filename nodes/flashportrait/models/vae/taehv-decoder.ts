// The tiny TAEHV decoder (fast_vae.pth / taew2_1) as one whole-sequence graph. Frames are the batch
// axis of 2-D convs; the only temporal coupling is each MemBlock seeing its own input one frame
// earlier (zeros before frame 0), which a one-frame shift along the batch axis reproduces exactly.
import { GraphBuilder } from '../../../../server/ml/onnx/graph-builder.ts';
import type { Value } from '../../../../server/ml/onnx/graph-builder.ts';
import { createTensor } from '../../../../server/ml/tensor.ts';
import type { WeightIndex } from '../../../../server/ml/weights/index.ts';
import type { TaehvDecoderConfig } from './config.ts';
import { shapeOf } from './wan-layers.ts';

const CONV3 = { pads: [1, 1, 1, 1] };

function relu(g: GraphBuilder, x: Value): Value {
  return g.op('Relu', [x])[0]!;
}

function conv3(g: GraphBuilder, key: string, x: Value, bias: boolean): Value {
  return g.conv(x, `${key}.weight`, bias ? `${key}.bias` : undefined, CONV3);
}

/** Frame t's input at frame t-1, zeros for frame 0: [T, C, H, W] -> [T, C, H, W]. */
function previousFrames(g: GraphBuilder, x: Value): Value {
  const first = g.slice(x, [0], [1], [0]);
  const zeros = g.op('ConstantOfShape', [shapeOf(g, first)], { value: { tensor: createTensor('float32', [1], [0]) } }, { dtype: x.dtype })[0]!;
  return g.concat([zeros, g.slice(x, [0], [-1], [0])], 0);
}

function memBlock(g: GraphBuilder, key: string, x: Value): Value {
  let h = relu(g, conv3(g, `${key}.conv.0`, g.concat([x, previousFrames(g, x)], 1), true));
  h = relu(g, conv3(g, `${key}.conv.2`, h, true));
  h = conv3(g, `${key}.conv.4`, h, true);
  return relu(g, g.add(h, x));
}

function nearestUp2x(g: GraphBuilder, x: Value): Value {
  const scales = g.constant(createTensor('float32', [4], [1, 1, 2, 2]), 'scales');
  return g.op('Resize', [x, undefined, scales], {
    mode: { string: 'nearest' },
    coordinate_transformation_mode: { string: 'asymmetric' },
    nearest_mode: { string: 'floor' },
  })[0]!;
}

/** 1x1 conv C -> s*C; channel block k of frame t becomes frame t*s + k. */
function temporalGrow(g: GraphBuilder, key: string, x: Value, channels: number, stride: number): Value {
  const grown = g.conv(x, `${key}.conv.weight`);
  return stride === 1 ? grown : g.reshape(grown, [-1, channels, 0, 0]);
}

/** Decoder body on frames-as-batch [T, latentChannels, h, w] -> [T * growth, 3, 8h, 8w], unclamped. */
export function taehvDecoderTrunk(g: GraphBuilder, config: TaehvDecoderConfig, frames: Value): Value {
  const [n0, n1, n2] = config.widths;
  const timeStrides = [1, config.timeUpscale[0] ? 2 : 1, config.timeUpscale[1] ? 2 : 1];
  const inWidths = [n0, n1, n2];
  const softClamped = g.mul(g.tanh(g.div(frames, g.scalar(3))), g.scalar(3));
  let x = relu(g, conv3(g, 'decoder.1', softClamped, true));
  let index = 3;
  for (let stage = 0; stage < 3; stage++) {
    for (let b = 0; b < 3; b++) x = memBlock(g, `decoder.${index++}`, x);
    if (config.spaceUpscale[stage]) x = nearestUp2x(g, x);
    index++;
    x = temporalGrow(g, `decoder.${index++}`, x, inWidths[stage]!, timeStrides[stage]!);
    x = conv3(g, `decoder.${index++}`, x, false);
  }
  return conv3(g, 'decoder.22', relu(g, x), true);
}

/**
 * Inputs: `latents` [1, z, T, h, w], diffusion-space latents fed as they are (FlashPortrait's
 * need_scaled=False). Outputs: `video` [1, 3, 4T-3, 8h, 8w] in [-1, 1] and `decoder_raw_untrimmed`
 * [1, 3, 4T, 8h, 8w].
 */
export function buildTaehvDecoder(weights: WeightIndex, config: TaehvDecoderConfig): GraphBuilder {
  const g = new GraphBuilder({ weights, computeDtype: 'float32', name: 'taehv_decoder' });
  const latents = g.input('latents', 'float32', [1, config.latentChannels, 'latent_frames', 'latent_height', 'latent_width']);
  const frames = g.squeeze(g.transpose(latents, [0, 2, 1, 3, 4]), [0]);
  const raw = taehvDecoderTrunk(g, config, frames);
  const toVideo = (x: Value): Value => g.transpose(g.unsqueeze(x, [0]), [0, 2, 1, 3, 4]);
  const unit = g.op('Clip', [raw, g.scalar(0), g.scalar(1)])[0]!;
  const trimmed = g.slice(unit, [config.framesToTrim], [Number.MAX_SAFE_INTEGER], [0]);
  g.output(toVideo(g.sub(g.mul(trimmed, g.scalar(2)), g.scalar(1))), 'video');
  g.output(toVideo(raw), 'decoder_raw_untrimmed');
  return g;
}
