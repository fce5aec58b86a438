// The real-size umT5-XXL and ViT-H/14 graphs build from their configs alone (shape-only weights),
// and the parameters they reference add up to the released checkpoints' sizes.
import { describe, expect, it } from 'vitest';
import { onnx } from '../../../server/ml/onnx/proto.ts';
import type { GraphBuilder } from '../../../server/ml/index.ts';
import { CLIP_VIT_H_14, clipVisualWeightShapes } from '../../../nodes/flashportrait/models/clip/config.ts';
import { buildClipGraph } from '../../../nodes/flashportrait/models/clip/image-encoder.ts';
import { referencedParameterCount, shapeOnlyWeights } from '../../../nodes/flashportrait/models/shape-only-weights.ts';
import { UMT5_XXL, umt5WeightShapes } from '../../../nodes/flashportrait/models/t5/config.ts';
import { buildUmt5Graph } from '../../../nodes/flashportrait/models/t5/text-encoder.ts';

function serialises(g: GraphBuilder): number {
  const model = g.toModelProto((ref) => ({ name: ref.name, dims: [...ref.entry.shape], dataType: 1 }));
  return onnx.ModelProto.encode(model).finish().length;
}

function sum(shapes: ReadonlyMap<string, readonly number[]>): number {
  let n = 0;
  for (const s of shapes.values()) n += s.reduce((a, b) => a * b, 1);
  return n;
}

describe('real-size encoder graphs (shapes only)', () => {
  it('umT5-XXL: 24 blocks reference all 5.68 B parameters, 11.4 GB in bf16 like the release file', () => {
    const shapes = umt5WeightShapes(UMT5_XXL);
    const g = buildUmt5Graph(shapeOnlyWeights(shapes, 'bfloat16'), { config: UMT5_XXL });
    expect(g.weightReferences.size).toBe(shapes.size);
    const params = referencedParameterCount(g.weightReferences);
    expect(params).toBe(sum(shapes));
    expect(params).toBe(5_680_910_336);
    // models_t5_umt5-xxl-enc-bf16.pth: about 11.4 GB
    expect(Math.abs(params * 2 - 11.4e9) / 11.4e9).toBeLessThan(0.01);
    expect(serialises(g)).toBeGreaterThan(0);
  });

  it('ViT-H/14: the graph runs 31 of 32 blocks; visual + XLM-R textual tower = 4.77 GB in fp32', () => {
    const visual = clipVisualWeightShapes(CLIP_VIT_H_14);
    const g = buildClipGraph(shapeOnlyWeights(visual, 'float32'), { config: CLIP_VIT_H_14 });
    const used = referencedParameterCount(g.weightReferences);
    const perBlock = sum(new Map([...visual].filter(([k]) => k.startsWith('visual.transformer.0.'))));
    expect(perBlock).toBe(19_677_440);
    const unused = perBlock + 1280 * 1024 + 2 * 1280; // last block, head, post_norm
    expect(used).toBe(sum(visual) - unused);
    expect(used).toBe(611_086_080);
    // XLM-RoBERTa-large textual tower (never built): embeddings (250002 tokens, 514 positions, 1 type,
    // LN), 24 post-norm layers of width 1024 / FFN 4096, and the 2-layer bias-free head.
    const layer = 4 * (1024 * 1024 + 1024) + (1024 * 4096 + 4096) + (4096 * 1024 + 1024) + 2 * 2 * 1024;
    const textual = (250_002 + 514 + 1) * 1024 + 2 * 1024 + 24 * layer + 2 * 1024 * 1024;
    const fileParams = sum(visual) + textual + 1; // + log_scale
    expect(fileParams).toBe(1_193_014_785);
    // models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth: about 4.77 GB
    expect(Math.abs(fileParams * 4 - 4.77e9) / 4.77e9).toBeLessThan(0.01);
    expect(serialises(g)).toBeGreaterThan(0);
  });
});
