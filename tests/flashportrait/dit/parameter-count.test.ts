// The same builder sized by the real Wan2.1-I2V-14B config: every weight the graph requests is
// counted from the shapes alone (no weight file), and must add up to the README's figure.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { goldenDir } from '../../helpers/golden.ts';
import { GraphBuilder, shapeSize } from '../../../server/ml/index.ts';
import type { TensorEntry, WeightIndex } from '../../../server/ml/index.ts';
import { parseDitConfig } from '../../../nodes/flashportrait/models/dit/config.ts';
import type { DitConfig } from '../../../nodes/flashportrait/models/dit/config.ts';
import { buildDitGraph } from '../../../nodes/flashportrait/models/dit/graph.ts';
import { ditParameterShapes } from '../../../nodes/flashportrait/models/dit/parameter-shapes.ts';
import { openBaseWeights, overlayWeights } from '../../../nodes/flashportrait/models/dit/weights.ts';
import { openWeights } from '../../../server/ml/index.ts';

const REAL_CONFIG = { _class_name: 'WanModel', _diffusers_version: '0.30.0', dim: 5120, eps: 1e-06, ffn_dim: 13824, freq_dim: 256, in_dim: 36, model_type: 'i2v', num_heads: 40, num_layers: 40, out_dim: 16, text_len: 512 };
const dir = goldenDir('dit');

/** An index with shapes but no bytes: enough for the builder, which only records references. */
function shapeOnlyIndex(c: DitConfig): WeightIndex {
  const tensors = new Map<string, TensorEntry>();
  for (const [key, shape] of ditParameterShapes(c)) {
    tensors.set(key, { key, dtype: 'float32', shape, file: '(shape only)', offset: 0, length: shapeSize(shape) * 4, layout: 'contiguous', strides: [] });
  }
  return { format: 'safetensors', source: '(shape only)', files: [], tensors, metadata: {} };
}

function requestedParameters(c: DitConfig): { count: number; keys: number } {
  const g = new GraphBuilder({ weights: shapeOnlyIndex(c) });
  buildDitGraph(g, c, { impl: 'fused' });
  let count = 0;
  for (const ref of g.weightReferences.values()) count += shapeSize(ref.entry.shape);
  return { count, keys: g.weightReferences.size };
}

describe('DiT parameter count', () => {
  it('the real 40-layer 5120-wide graph requests 17,233,739,584 parameters (838,860,800 in emo_k/v)', () => {
    const c = parseDitConfig(REAL_CONFIG);
    const shapes = ditParameterShapes(c);
    const { count, keys } = requestedParameters(c);
    expect(keys).toBe(shapes.size); // the graph uses every parameter of the checkpoint
    expect(count).toBe(17_233_739_584);
    let emo = 0;
    for (const [k, s] of shapes) if (/emo_[kv]_proj/.test(k)) emo += shapeSize(s);
    expect(emo).toBe(838_860_800);
  });

  it.skipIf(!dir)('the golden config implies exactly the keys and shapes of the golden weights, and the graph requests all of them', () => {
    const base = join(dir!, 'Wan2.1-I2V-14B-720P');
    const c = parseDitConfig(JSON.parse(readFileSync(join(base, 'config.json'), 'utf8')) as Record<string, unknown>);
    const merged = overlayWeights(openBaseWeights(base), openWeights(join(dir!, 'FlashPortrait/transformer.pt')));
    const shapes = ditParameterShapes(c);
    expect([...merged.tensors.keys()].sort()).toEqual([...shapes.keys()].sort());
    let parameters = 0;
    for (const [k, s] of shapes) {
      expect(merged.tensors.get(k)!.shape, k).toEqual(s);
      parameters += shapeSize(merged.tensors.get(k)!.shape);
    }
    expect(requestedParameters(c)).toEqual({ count: parameters, keys: merged.tensors.size });
  });
});
