// Every parameter the Wan VAE decoder graph reads (the post-quant conv2 and decoder.*), key -> shape,
// derived from the config alone: lets a bench make real-size random weights without the 500 MB file.
// The layout mirrors wan-decoder.ts: middle (res, attention, res), then per stage numResBlocks + 1
// residual blocks and, between stages, an upsampler (time_conv only where time doubles).
import type { WanVaeConfig } from './config.ts';

export function wanDecoderParameterShapes(c: WanVaeConfig): Map<string, readonly number[]> {
  const shapes = new Map<string, readonly number[]>();
  const conv = (prefix: string, shape: readonly number[]): void => {
    shapes.set(`${prefix}.weight`, shape);
    shapes.set(`${prefix}.bias`, [shape[0]!]);
  };
  const res = (prefix: string, inDim: number, outDim: number): void => {
    shapes.set(`${prefix}.residual.0.gamma`, [inDim, 1, 1, 1]);
    conv(`${prefix}.residual.2`, [outDim, inDim, 3, 3, 3]);
    shapes.set(`${prefix}.residual.3.gamma`, [outDim, 1, 1, 1]);
    conv(`${prefix}.residual.6`, [outDim, outDim, 3, 3, 3]);
    if (inDim !== outDim) conv(`${prefix}.shortcut`, [outDim, inDim, 1, 1, 1]);
  };
  const mults = [c.dimMult[c.dimMult.length - 1]!, ...[...c.dimMult].reverse()];
  const dims = mults.map((m) => m * c.dim);
  const temporalUpsample = [...c.temporalDownsample].reverse();
  conv('conv2', [c.zDim, c.zDim, 1, 1, 1]);
  conv('decoder.conv1', [dims[0]!, c.zDim, 3, 3, 3]);
  res('decoder.middle.0', dims[0]!, dims[0]!);
  shapes.set('decoder.middle.1.norm.gamma', [dims[0]!, 1, 1]);
  conv('decoder.middle.1.to_qkv', [3 * dims[0]!, dims[0]!, 1, 1]);
  conv('decoder.middle.1.proj', [dims[0]!, dims[0]!, 1, 1]);
  res('decoder.middle.2', dims[0]!, dims[0]!);
  let index = 0;
  for (let stage = 0; stage < dims.length - 1; stage++) {
    let inDim = stage > 0 ? dims[stage]! / 2 : dims[stage]!;
    const outDim = dims[stage + 1]!;
    for (let r = 0; r < c.numResBlocks + 1; r++) {
      res(`decoder.upsamples.${index++}`, inDim, outDim);
      inDim = outDim;
    }
    if (stage === dims.length - 2) break;
    const prefix = `decoder.upsamples.${index++}`;
    conv(`${prefix}.resample.1`, [outDim / 2, outDim, 3, 3]);
    if (temporalUpsample[stage]) conv(`${prefix}.time_conv`, [2 * outDim, outDim, 3, 1, 1]);
  }
  const last = dims[dims.length - 1]!;
  shapes.set('decoder.head.0.gamma', [last, 1, 1, 1]);
  conv('decoder.head.2', [3, last, 3, 3, 3]);
  return shapes;
}
