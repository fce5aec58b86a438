// wanDecoderParameterShapes (what the GPU bench makes random real-size VAE decoder weights from)
// against the golden Wan VAE checkpoint's keys at its tiny width, and the real decoder's size.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openWeights, shapeSize } from '../../server/ml/index.ts';
import { WAN_VAE_REAL, wanVaeConfigFromWeights } from '../../nodes/flashportrait/models/vae/config.ts';
import { wanDecoderParameterShapes } from '../../nodes/flashportrait/models/vae/parameter-shapes.ts';
import { buildWanDecoderStream } from '../../nodes/flashportrait/models/vae/wan-decoder.ts';
import { shapeOnlyWeights } from '../../nodes/flashportrait/models/shape-only-weights.ts';
import { goldenDir } from '../helpers/golden.ts';

const dir = goldenDir('vae');

describe('Wan VAE decoder parameter shapes', () => {
  it.skipIf(!dir)('equal the golden checkpoint\'s decoder keys and shapes (conv2 + decoder.*)', () => {
    const weights = openWeights(join(dir!, 'Wan2.1_VAE.pth'));
    const golden = new Map([...weights.tensors].filter(([k]) => k === 'conv2.weight' || k === 'conv2.bias' || k.startsWith('decoder.')).map(([k, e]) => [k, [...e.shape]]));
    const ours = new Map([...wanDecoderParameterShapes(wanVaeConfigFromWeights(weights))].map(([k, s]) => [k, [...s]]));
    expect([...ours.keys()].sort()).toEqual([...golden.keys()].sort());
    for (const [k, s] of golden) expect(ours.get(k), k).toEqual(s);
  });

  it('the real decoder: every key the streaming graphs (two halves) read, 73.3 M parameters', () => {
    const shapes = wanDecoderParameterShapes(WAN_VAE_REAL);
    const read = new Set<string>();
    for (const part of ['low', 'high'] as const) {
      const step = buildWanDecoderStream(shapeOnlyWeights(shapes, 'float32'), WAN_VAE_REAL, part);
      for (const ref of step.graph.weightReferences.values()) read.add(ref.entry.key);
    }
    expect([...read].sort()).toEqual([...shapes.keys()].sort());
    let n = 0;
    for (const s of shapes.values()) n += shapeSize(s);
    expect(n).toBe(73_295_603); // 293 MB in float32
  });
});
