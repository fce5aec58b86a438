// Our DiT graph computing in float16, built from parameter shapes alone, and the weights it keeps
// in float32 (the precision islands the torch reference must share).
import { GraphBuilder } from '../../server/ml/index.ts';
import type { DitConfig } from '../../nodes/flashportrait/models/dit/config.ts';
import { buildDitGraph } from '../../nodes/flashportrait/models/dit/graph.ts';
import { ditParameterShapes } from '../../nodes/flashportrait/models/dit/parameter-shapes.ts';
import { shapeOnlyWeights } from '../../nodes/flashportrait/models/shape-only-weights.ts';

export function fp16DitGraph(c: DitConfig): GraphBuilder {
  const g = new GraphBuilder({ weights: shapeOnlyWeights(ditParameterShapes(c), 'float16'), name: 'flashportrait_dit', computeDtype: 'float16' });
  buildDitGraph(g, c, { impl: 'fused' });
  return g;
}

export function float32Keys(g: GraphBuilder): string[] {
  return [...g.weightReferences.values()].filter((r) => r.dtype === 'float32').map((r) => r.entry.key).sort();
}
