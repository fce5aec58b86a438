// The Wan VAE's building blocks as graph fragments over [1, C, T, H, W] tensors: causal 3-D convs,
// the channel RMS norm, residual and attention blocks, and the spatial halves of the resamplers.
// Every 2-D (per-frame) conv of the original runs as a 3-D conv with a 1-frame kernel so the
// tensors never leave the 5-D layout.
import type { GraphBuilder, Value } from '../../../../server/ml/onnx/graph-builder.ts';
import { createTensor } from '../../../../server/ml/tensor.ts';
import { FixedPastHistory, StreamedHistory, after, frameCount, zeroFramesLike } from './history.ts';
import type { CausalConv, TemporalHistory, TemporalPass } from './history.ts';

export interface LayerContext {
  readonly g: GraphBuilder;
  readonly history: TemporalHistory;
}

export function shapeOf(g: GraphBuilder, x: Value): Value {
  return g.op('Shape', [x], {}, { dtype: 'int64' })[0]!;
}

/** A 2-D conv weight [O, I, kh, kw] seen as a 3-D one [O, I, 1, kh, kw] (folded by ORT at load). */
export function perFrameWeight(g: GraphBuilder, key: string): Value {
  return g.unsqueeze(g.weight(key), [2]);
}

/**
 * CausalConv3d: the declared temporal padding moves entirely to the past (2 frames for a 3-frame
 * kernel), spatial padding stays symmetric.
 */
export function causalConv3d(ctx: LayerContext, prefix: string, x: Value, channels: number, spatialScale: number): Value {
  const { g } = ctx;
  const weight = g.weight(`${prefix}.weight`);
  const [, , kt, kh, kw] = weight.shape as number[];
  const pastFrames = kt! - 1;
  const ph = (kh! - 1) / 2;
  const pw = (kw! - 1) / 2;
  if (pastFrames === 0) return g.conv(x, weight, `${prefix}.bias`);
  const conv: CausalConv = (b, input, zeroFrames) => b.conv(input, weight, `${prefix}.bias`, { pads: [zeroFrames, ph, pw, 0, ph, pw] });
  if (ctx.history.convolve) return ctx.history.convolve(g, prefix, x, pastFrames, channels, spatialScale, conv);
  const ext = ctx.history.extend(g, prefix, x, pastFrames, channels, spatialScale);
  const y = conv(g, ext.input, ext.zeroFrames);
  return ext.kept ? after(g, y, ext.kept) : y;
}

/** F.normalize over channels (norm clamped at 1e-12, no eps inside a sqrt) * sqrt(C) * gamma. */
export function channelRmsNorm(g: GraphBuilder, x: Value, gammaKey: string, channels: number): Value {
  const norm = g.op('ReduceL2', [x, g.ints([1])], { keepdims: { int: 1 } })[0]!;
  const unit = g.div(x, g.op('Max', [norm, g.scalar(1e-12, x.dtype)])[0]!);
  return g.mul(g.mul(unit, g.scalar(Math.sqrt(channels), x.dtype)), g.weight(gammaKey));
}

export function residualBlock(ctx: LayerContext, prefix: string, x: Value, inDim: number, outDim: number, spatialScale: number): Value {
  const { g } = ctx;
  let h = g.silu(channelRmsNorm(g, x, `${prefix}.residual.0.gamma`, inDim));
  h = causalConv3d(ctx, `${prefix}.residual.2`, h, inDim, spatialScale);
  h = g.silu(channelRmsNorm(g, h, `${prefix}.residual.3.gamma`, outDim));
  h = causalConv3d(ctx, `${prefix}.residual.6`, h, outDim, spatialScale);
  const shortcut = inDim === outDim ? x : g.conv(x, `${prefix}.shortcut.weight`, `${prefix}.shortcut.bias`);
  return g.add(h, shortcut);
}

/** Single-head self-attention over the H*W positions of each frame separately. */
export function attentionBlock(g: GraphBuilder, prefix: string, x: Value, channels: number): Value {
  const frames = g.squeeze(g.transpose(x, [0, 2, 1, 3, 4]), [0]); // [T, C, H, W]
  const normed = channelRmsNorm(g, frames, `${prefix}.norm.gamma`, channels);
  const qkv = g.conv(normed, `${prefix}.to_qkv.weight`, `${prefix}.to_qkv.bias`);
  const tokens = g.transpose(g.reshape(qkv, [0, 3 * channels, -1]), [0, 2, 1]); // [T, HW, 3C]
  const [q, k, v] = g.op('Split', [tokens, g.ints([channels, channels, channels])], { axis: { int: 2 } }, { outputs: 3 });
  const attended = g.attention(q!, k!, v!, { numHeads: 1, headDim: channels });
  const spatial = g.op('Reshape', [g.transpose(attended, [0, 2, 1]), shapeOf(g, frames)])[0]!;
  const projected = g.add(g.conv(spatial, `${prefix}.proj.weight`, `${prefix}.proj.bias`), frames);
  return g.transpose(g.unsqueeze(projected, [0]), [0, 2, 1, 3, 4]);
}

/** ZeroPad2d((0,1,0,1)) then a 3x3 stride-2 conv, per frame. */
export function spatialDownsample(g: GraphBuilder, prefix: string, x: Value): Value {
  return g.conv(x, perFrameWeight(g, `${prefix}.resample.1.weight`), `${prefix}.resample.1.bias`, { strides: [1, 2, 2], pads: [0, 0, 0, 0, 1, 1] });
}

/** Nearest 2x per frame, then a 3x3 conv (padding 1) that halves the channels. */
export function spatialUpsample(g: GraphBuilder, prefix: string, x: Value): Value {
  const scales = g.constant(createTensor('float32', [5], [1, 1, 1, 2, 2]), 'scales');
  const up = g.op('Resize', [x, undefined, scales], {
    mode: { string: 'nearest' },
    coordinate_transformation_mode: { string: 'asymmetric' },
    nearest_mode: { string: 'floor' },
  })[0]!;
  return g.conv(up, perFrameWeight(g, `${prefix}.resample.1.weight`), `${prefix}.resample.1.bias`, { pads: [0, 1, 1, 0, 1, 1] });
}

/**
 * downsample3d's time conv (kernel 3, stride 2, no padding), run after the spatial half.
 * - whole: frame 0 passes alone, then windows of 3 starting at frames 0, 2, 4, ... (the chunked
 *   original always prepends the previous chunk's last frame). Two end frames of padding keep the
 *   conv valid for a 1-frame input; the extra output is dropped.
 * - stream-first: the original skips the conv on its 1-frame first chunk and caches that frame.
 * - stream-next: the conv runs over [previous chunk's last frame, this chunk]; 2n+1 frames give n.
 */
export function temporalDownsample(ctx: LayerContext, pass: TemporalPass, prefix: string, x: Value, channels: number, spatialScale: number): Value {
  const { g } = ctx;
  const conv = (input: Value, pads: number[]): Value =>
    g.conv(input, `${prefix}.time_conv.weight`, `${prefix}.time_conv.bias`, { strides: [2, 1, 1], pads });
  if (pass === 'whole') {
    const first = g.slice(x, [0], [1], [2]);
    return g.concat([first, g.slice(conv(x, [0, 0, 0, 2, 0, 0]), [0], [-1], [2])], 2);
  }
  const key = `${prefix}.time_conv`;
  if (pass === 'stream-first') {
    ctx.history.keep(g, key, x, 1, channels, spatialScale);
    return x;
  }
  const ext = ctx.history.extend(g, key, x, 1, channels, spatialScale);
  const y = conv(ext.input, [ext.zeroFrames, 0, 0, 0, 0, 0]);
  return ext.kept ? after(g, y, ext.kept) : y;
}

/**
 * upsample3d's time conv (C -> 2C, causal) with its output interleaved: frame 2t from channels
 * [0:C], frame 2t+1 from [C:2C].
 */
function temporalUpsampleFrames(ctx: LayerContext, prefix: string, x: Value, channels: number, spatialScale: number): Value {
  const { g } = ctx;
  const doubled = causalConv3d(ctx, `${prefix}.time_conv`, x, channels, spatialScale); // [1, 2C, T, H, W]
  const [even, odd] = g.op('Split', [doubled, g.ints([channels, channels])], { axis: { int: 1 } }, { outputs: 2 });
  const pairs = g.concat([g.unsqueeze(even!, [3]), g.unsqueeze(odd!, [3])], 3); // [1, C, T, 2, H, W]
  const target = g.concat([g.ints([1, channels, -1]), g.slice(shapeOf(g, doubled), [3], [5], [0])], 0);
  return g.op('Reshape', [pairs, target])[0]!;
}

/**
 * upsample3d's time half, run before the spatial half.
 * - whole: frame 0 passes through un-doubled, frames 1.. go through the causal time conv.
 * - stream-first: the original marks the first chunk 'Rep' and leaves its frame alone; the next
 *   chunk then sees zeros as its past, which is what the zero-initialised cache holds.
 * - stream-next: the causal time conv with the carried past.
 */
export function temporalUpsample(ctx: LayerContext, pass: TemporalPass, prefix: string, x: Value, channels: number, spatialScale: number): Value {
  const { g } = ctx;
  if (pass === 'stream') return streamedTemporalUpsample(ctx, prefix, x, channels, spatialScale);
  if (pass === 'whole') {
    const head = g.slice(x, [0], [1], [2]);
    const rest = g.slice(x, [1], [Number.MAX_SAFE_INTEGER], [2]);
    return g.concat([head, temporalUpsampleFrames(ctx, prefix, rest, channels, spatialScale)], 2);
  }
  if (pass === 'stream-first') return x;
  return temporalUpsampleFrames(ctx, prefix, x, channels, spatialScale);
}

/**
 * upsample3d's time half in the one-graph streaming decoder: an If on its own cache. Empty (the
 * first call): the frame passes alone (the original's 'Rep') and the cache becomes 2 zero frames,
 * the past the original's second chunk sees. Otherwise the causal time conv over [cache, x].
 */
function streamedTemporalUpsample(ctx: LayerContext, prefix: string, x: Value, channels: number, spatialScale: number): Value {
  const { g, history } = ctx;
  if (!(history instanceof StreamedHistory)) throw new Error('the one-graph streaming pass needs a StreamedHistory');
  const key = `${prefix}.time_conv`;
  const past = history.past(key, channels, 2, spatialScale, 2);
  const first = g.op('Equal', [frameCount(g, past), g.ints([0])], {}, { dtype: 'bool' })[0]!;
  const rep = g.subgraph(`${prefix}_rep`, [], (b) => [b.op('Identity', [x])[0]!, zeroFramesLike(b, x, b.ints([2]), channels)]);
  const conv = g.subgraph(`${prefix}_time_conv`, [], (b) => {
    const fixed = new FixedPastHistory(past);
    const doubled = temporalUpsampleFrames({ g: b, history: fixed }, prefix, x, channels, spatialScale);
    return [doubled, fixed.cache!];
  });
  const [y, cache] = g.op('If', [first], { then_branch: { graph: rep }, else_branch: { graph: conv } }, { outputs: 2, dtype: x.dtype });
  history.keepAs(key, cache!);
  return y!;
}
