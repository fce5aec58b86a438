// Size of the real-size DiT graph (40 layers, dim 5120, 40 heads) with query-tiled self-attention,
// built from parameter shapes alone, and ORT's CPU session creation time for it: the weights become
// graph inputs (no data exists here), so the session builds without the 34.5 GB of files.
//   node --import tsx bench/dit-attention-tiles.bench.ts
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../server/ml/index.ts';
import type { DType } from '../server/ml/index.ts';
import { onnx } from '../server/ml/onnx/proto.ts';
import type { OnnxTypes } from '../server/ml/onnx/proto.ts';
import { onnxDataType } from '../server/ml/dtype.ts';
import { buildDitGraph } from '../nodes/flashportrait/models/dit/graph.ts';
import type { DitGraphOptions } from '../nodes/flashportrait/models/dit/graph.ts';
import { ditParameterShapes } from '../nodes/flashportrait/models/dit/parameter-shapes.ts';
import { shapeOnlyWeights } from '../nodes/flashportrait/models/shape-only-weights.ts';
import { benchDitConfig } from './gpu/plan.ts';

export interface TiledGraphSize {
  readonly nodes: number;
  /** Nodes inside Loop bodies. */
  readonly bodyNodes: number;
  /** Bytes of the encoded ModelProto with every weight as a graph input (no weight bytes). */
  readonly bytes: number;
  readonly model: OnnxTypes.ModelProto;
}

/** The real-size DiT graph, weights turned into graph inputs (shapes only). */
export function realDitGraphWithoutWeights(options: DitGraphOptions, computeDtype: DType = 'float16', layers?: number): TiledGraphSize {
  const c = benchDitConfig('real', layers);
  const g = new GraphBuilder({ weights: shapeOnlyWeights(ditParameterShapes(c), computeDtype), name: 'flashportrait_dit', computeDtype });
  buildDitGraph(g, c, { impl: 'fused', ...options });
  const model = g.toModelProto((ref) => ({ name: ref.name, dims: [0], dataType: onnxDataType(ref.dtype), rawData: new Uint8Array(0) }));
  const graph = model.graph!;
  const weightNames = new Set([...g.weightReferences.values()].map((r) => r.name));
  const weightInputs = [...g.weightReferences.values()].map((r) => ({ name: r.name, type: { tensorType: { elemType: onnxDataType(r.dtype), shape: { dim: (r.shape ?? r.entry.shape).map((d) => ({ dimValue: d })) } } } }));
  graph.initializer = graph.initializer!.filter((t) => !weightNames.has(t.name!));
  graph.input = [...graph.input!, ...weightInputs];
  let bodyNodes = 0;
  for (const n of graph.node!) for (const a of n.attribute ?? []) if (a.g) bodyNodes += a.g.node!.length;
  return { nodes: graph.node!.length, bodyNodes, bytes: onnx.ModelProto.encode(model).finish().length, model };
}

export async function sessionCreationMs(model: OnnxTypes.ModelProto): Promise<number> {
  const bytes = onnx.ModelProto.encode(model).finish();
  const t0 = performance.now();
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const ms = performance.now() - t0;
  await s.release();
  return ms;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows: Array<[string, DitGraphOptions]> = [
    ['untiled', {}],
    ['loop, chunk 4096', { attentionQueryChunk: 4096 }],
    ['loop, chunk 1024', { attentionQueryChunk: 1024 }],
    ['unrolled 4096, L 32,760', { attentionQueryChunk: 4096, attentionTiling: 'unrolled', attentionTokens: 32_760 }],
    ['unrolled 4096, L 75,600', { attentionQueryChunk: 4096, attentionTiling: 'unrolled', attentionTokens: 75_600 }],
    ['unrolled 1024, L 75,600', { attentionQueryChunk: 1024, attentionTiling: 'unrolled', attentionTokens: 75_600 }],
  ];
  const sessions = !process.argv.includes('--no-session');
  for (const [name, o] of rows) {
    const size = realDitGraphWithoutWeights(o, 'float32');
    const ms = sessions ? await sessionCreationMs(size.model) : NaN;
    console.log(`${name.padEnd(26)} nodes ${String(size.nodes).padStart(6)} (+${size.bodyNodes} in loop bodies)  ${(size.bytes / 1024).toFixed(0).padStart(6)} KiB  session (CPU, fp32 structure) ${ms.toFixed(0)} ms`);
  }
}
