// The graph the GPU bench times: the real 40-layer, 5120-wide DiT computing in float16, built from
// parameter shapes alone (no weights exist here). Checks that it builds, which weights stay float32
// (the precision islands the torch reference must share), its weight bytes, and that it encodes.
import { describe, expect, it } from 'vitest';
import { shapeSize } from '../../server/ml/index.ts';
import { onnxDataType } from '../../server/ml/dtype.ts';
import { DATA_LOCATION_EXTERNAL, onnx } from '../../server/ml/onnx/proto.ts';
import { ditParameterShapes } from '../../nodes/flashportrait/models/dit/parameter-shapes.ts';
import { benchDitConfig } from '../../bench/gpu/plan.ts';
import { float32Keys as keysKeptFloat32, fp16DitGraph } from './fp16-graph.ts';

const FLOAT = onnxDataType('float32');

describe('real-size fp16 DiT graph (shape only)', () => {
  const g = fp16DitGraph(benchDitConfig('real'));
  const refs = [...g.weightReferences.values()];
  const float32Keys = keysKeptFloat32(g);

  it('references every parameter; only norms, modulation and the time embedding stay float32', () => {
    expect(refs.length).toBe(ditParameterShapes(benchDitConfig('real')).size);
    expect(refs.every((r) => r.dtype === 'float16' || r.dtype === 'float32')).toBe(true);
    // per block: modulation, 5 RMSNorm gains, norm3 weight + bias; head.modulation; img_emb LayerNorms
    // (2 x weight + bias); time_embedding.0/2 and time_projection.1 (weight + bias each)
    expect(float32Keys.length).toBe(40 * 8 + 1 + 4 + 6);
    expect(float32Keys.every((k) => /norm|modulation|time_embedding|time_projection|img_emb\.proj\.[04]\./.test(k))).toBe(true);
  });

  it('holds 34.5 GB of fp16 weights (fits an 80 GB card with room for 75,600-token activations)', () => {
    let bytes = 0;
    for (const r of refs) bytes += shapeSize(r.entry.shape) * (r.dtype === 'float32' ? 4 : 2);
    expect(bytes).toBeGreaterThan(34e9);
    expect(bytes).toBeLessThan(35.5e9);
  });

  it('encodes as an ONNX model with float32 inputs and output and external weights (a few MB)', () => {
    const model = g.toModelProto((ref) => ({
      name: ref.name,
      dims: ref.entry.shape.map(Number),
      dataType: onnxDataType(ref.dtype),
      dataLocation: DATA_LOCATION_EXTERNAL,
      externalData: [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: '0' }, { key: 'length', value: String(ref.entry.length) }],
    }));
    const bytes = onnx.ModelProto.encode(model).finish();
    expect(bytes.length).toBeLessThan(16 << 20);
    const graph = model.graph!;
    expect(graph.input!.map((i) => i.type!.tensorType!.elemType)).toEqual(graph.input!.map(() => FLOAT));
    expect(graph.output!.map((o) => [o.name, o.type!.tensorType!.elemType])).toEqual([['noise_pred', FLOAT]]);
    expect(graph.node!.filter((n) => n.opType === 'MultiHeadAttention').length).toBe(40 * 4); // self, text, image, emotion
  });
});
