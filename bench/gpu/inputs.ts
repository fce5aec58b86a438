// Seeded DiT call inputs of a given shape: the same numbers for every precision and provider, so
// outputs can be compared element by element.
import { createTensor } from '../../server/ml/index.ts';
import type { DitConfig } from '../../nodes/flashportrait/models/dit/config.ts';
import type { DitCallInputs } from '../../nodes/flashportrait/models/dit/model.ts';
import { ditShapeDims } from './plan.ts';
import type { DitShape } from './plan.ts';
import { SeededRandom } from './random-weights.ts';

export const BENCH_TIMESTEP = 500;

export function benchCallInputs(c: DitConfig, s: DitShape, seed = 7): DitCallInputs {
  const { latentHeight: h, latentWidth: w } = ditShapeDims(c, s);
  const rng = new SeededRandom(seed);
  const F = s.latentFrames;
  const tensor = (shape: number[], scale: number) => createTensor('float32', shape, rng.fill(shape.reduce((a, b) => a * b, 1), scale));
  return {
    x: tensor([1, c.outDim, F, h, w], 1),
    y: tensor([1, c.inDim - c.outDim, F, h, w], 1),
    t: BENCH_TIMESTEP,
    context: tensor([1, c.textLen, c.textDim], 0.5),
    clipFea: tensor([1, c.clipTokens, c.clipDim], 1),
    emoProj: tensor([1, F, c.emoTokens, c.emoDim], 0.5),
    ipScale: 1,
  };
}
