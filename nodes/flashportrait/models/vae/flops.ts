// Analytic multiply-add counts of the Wan VAE decoder, per video frame in steady state (a latent
// frame after the first yields 4 video frames). Convs and attention only: norms and activations
// are a few percent and memory-bound anyway.
import { SPATIAL_STRIDE, TEMPORAL_STRIDE } from './config.ts';
import type { WanVaeConfig } from './config.ts';

/** FLOPs (2 x MACs) the decoder spends per output video frame at height x width pixels. */
export function wanDecoderFlopsPerFrame(config: WanVaeConfig, height: number, width: number): number {
  let pixels = (height / SPATIAL_STRIDE) * (width / SPATIAL_STRIDE);
  let frames = 1; // per latent frame at the current level
  let macs = 0;
  const conv = (kernel: number, cin: number, cout: number): void => { macs += kernel * cin * cout * pixels * frames; };
  const res = (cin: number, cout: number): void => {
    conv(27, cin, cout);
    conv(27, cout, cout);
    if (cin !== cout) conv(1, cin, cout);
  };
  const mults = [config.dimMult[config.dimMult.length - 1]!, ...[...config.dimMult].reverse()];
  const dims = mults.map((m) => m * config.dim);
  const temporalUpsample = [...config.temporalDownsample].reverse();
  conv(1, config.zDim, config.zDim);
  conv(27, config.zDim, dims[0]!);
  res(dims[0]!, dims[0]!);
  conv(1, dims[0]!, 4 * dims[0]!); // to_qkv + proj
  macs += 2 * pixels * pixels * dims[0]! * frames; // q k^T and attn v
  res(dims[0]!, dims[0]!);
  for (let stage = 0; stage < dims.length - 1; stage++) {
    let inDim = stage > 0 ? dims[stage]! / 2 : dims[stage]!;
    const outDim = dims[stage + 1]!;
    for (let r = 0; r < config.numResBlocks + 1; r++) { res(inDim, outDim); inDim = outDim; }
    if (stage === dims.length - 2) break;
    if (temporalUpsample[stage]) { conv(3, outDim, 2 * outDim); frames *= 2; }
    pixels *= 4;
    conv(9, outDim, outDim / 2);
  }
  conv(27, dims[dims.length - 1]!, 3);
  return (2 * macs) / TEMPORAL_STRIDE;
}
