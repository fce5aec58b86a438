// node --import tsx bench/ml-weights.bench.ts
// 1. Indexing a sharded safetensors checkpoint (50 shards, 5,000 tensors): target < 200 ms.
// 2. A MatMul-heavy graph made with the GraphBuilder vs the same graph written by hand as raw
//    protobuf, and vs a conventional model with embedded pre-transposed weights: ORT CPU times.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../server/ml/onnx/graph-builder.ts';
import { buildModel } from '../server/ml/onnx/build-model.ts';
import { onnx } from '../server/ml/onnx/proto.ts';
import type { OnnxTypes } from '../server/ml/onnx/proto.ts';
import { createSession } from '../server/ml/session.ts';
import { createTensor } from '../server/ml/tensor.ts';
import type { Tensor } from '../server/ml/tensor.ts';
import { openWeights, readShardedSafetensorsIndex, readTensor, writeSafetensors } from '../server/ml/weights/index.ts';

const work = mkdtempSync(join(tmpdir(), 'fg-ml-bench-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.1;
}

try {
  // ---- 1. sharded index ----
  const SHARDS = 50;
  const PER_SHARD = 100;
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < SHARDS; s++) {
    const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(SHARDS).padStart(5, '0')}.safetensors`;
    const tensors: [string, Tensor][] = [];
    for (let t = 0; t < PER_SHARD; t++) {
      const key = `blocks.${s}.layer_${t}.weight`;
      tensors.push([key, createTensor('float32', [8, 16])]);
      weightMap[key] = name;
    }
    writeSafetensors(join(work, name), tensors);
  }
  writeFileSync(join(work, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: SHARDS * PER_SHARD * 512 }, weight_map: weightMap }));
  const indexTimes: number[] = [];
  let tensorCount = 0;
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const idx = readShardedSafetensorsIndex(join(work, 'model.safetensors.index.json'));
    indexTimes.push(performance.now() - t0);
    tensorCount = idx.tensors.size;
  }
  console.log(`index ${SHARDS} shards / ${tensorCount} tensors: first ${indexTimes[0]!.toFixed(1)} ms, median ${median(indexTimes).toFixed(1)} ms (target < 200 ms)`);

  // ---- 2. MatMul-heavy graph ----
  const LAYERS = 16;
  const DIM = 1024;
  const ROWS = 64;
  const r = rand(7);
  const layerTensors: [string, Tensor][] = [];
  for (let l = 0; l < LAYERS; l++) layerTensors.push([`layers.${l}.weight`, createTensor('float32', [DIM, DIM], Float32Array.from({ length: DIM * DIM }, r))]);
  const weightFile = join(work, 'mlp.safetensors');
  writeSafetensors(weightFile, layerTensors);
  const weights = openWeights(weightFile);

  const g = new GraphBuilder({ weights });
  let h = g.input('x', 'float32', [ROWS, DIM]);
  for (let l = 0; l < LAYERS; l++) h = g.tanh(g.linear(h, `layers.${l}.weight`));
  g.output(h, 'y');
  const built = buildModel(g);

  // The same graph, written directly with onnx-proto: FusedMatMul(transB) + Tanh, external data.
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: ROWS }, { dimValue: DIM }] } } } });
  const handNodes: OnnxTypes.INodeProto[] = [];
  const handInits: OnnxTypes.ITensorProto[] = [];
  let prev = 'x';
  for (let l = 0; l < LAYERS; l++) {
    const e = weights.tensors.get(`layers.${l}.weight`)!;
    handInits.push({ name: `w${l}`, dims: [DIM, DIM], dataType: 1, dataLocation: 1, externalData: [
      { key: 'location', value: 'mlp.safetensors' }, { key: 'offset', value: String(e.offset) }, { key: 'length', value: String(e.length) }] });
    handNodes.push({ opType: 'FusedMatMul', domain: 'com.microsoft', input: [prev, `w${l}`], output: [`m${l}`], attribute: [{ name: 'transB', type: 2, i: 1 }] });
    handNodes.push({ opType: 'Tanh', input: [`m${l}`], output: [(prev = l === LAYERS - 1 ? 'y' : `h${l}`)] });
  }
  const handBytes = onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 8, opsetImport: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }],
    graph: { name: 'hand', node: handNodes, initializer: handInits, input: [vi('x')], output: [vi('y')] },
  })).finish();

  // Conventional export: MatMul with the weights transposed and embedded in the .onnx file.
  const embNodes: OnnxTypes.INodeProto[] = [];
  const embInits: OnnxTypes.ITensorProto[] = [];
  prev = 'x';
  for (let l = 0; l < LAYERS; l++) {
    const w = readTensor(weights.tensors.get(`layers.${l}.weight`)!).data as Float32Array;
    const wt = new Float32Array(DIM * DIM);
    for (let i = 0; i < DIM; i++) for (let j = 0; j < DIM; j++) wt[j * DIM + i] = w[i * DIM + j]!;
    embInits.push({ name: `w${l}`, dims: [DIM, DIM], dataType: 1, rawData: new Uint8Array(wt.buffer) });
    embNodes.push({ opType: 'MatMul', input: [prev, `w${l}`], output: [`m${l}`] });
    embNodes.push({ opType: 'Tanh', input: [`m${l}`], output: [(prev = l === LAYERS - 1 ? 'y' : `h${l}`)] });
  }
  const embeddedPath = join(work, 'embedded.onnx');
  writeFileSync(embeddedPath, onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 8, opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'embedded', node: embNodes, initializer: embInits, input: [vi('x')], output: [vi('y')] },
  })).finish());

  const x = createTensor('float32', [ROWS, DIM], Float32Array.from({ length: ROWS * DIM }, rand(9)));
  const ortX = new ort.Tensor('float32', x.data as Float32Array, [ROWS, DIM]);
  const RUNS = 15;
  // Sessions are created first, then timed in interleaved rounds so drift hits all of them alike.
  type Candidate = { name: string; createMs: number; run: () => Promise<Float32Array>; release: () => Promise<void>; times: number[]; out?: Float32Array };
  const candidates: Candidate[] = [];
  for (const [name, prepack] of [['builder', false], ['builder+prepack', true]] as const) {
    const t0 = performance.now();
    const s = await createSession(built, { provider: 'cpu', memoryMapped: !prepack, log: () => {} });
    candidates.push({ name, createMs: performance.now() - t0, run: async () => (await s.run({ x })).y!.data as Float32Array, release: () => s.release(), times: [] });
  }
  const ortCandidate = async (name: string, model: Uint8Array | string, extra: Record<string, string>) => {
    const t0 = performance.now();
    const s = await ort.InferenceSession.create(model as Uint8Array, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', extra: { session: extra } });
    candidates.push({ name, createMs: performance.now() - t0, run: async () => (await s.run({ x: ortX })).y!.data as Float32Array, release: () => s.release(), times: [] });
  };
  await ortCandidate('hand-protobuf', handBytes, { model_external_initializers_file_folder_path: work, disable_prepacking: '1' });
  await ortCandidate('hand-protobuf+prepack', handBytes, { model_external_initializers_file_folder_path: work });
  await ortCandidate('embedded-matmul.onnx', embeddedPath, {});
  for (const c of candidates) c.out = await c.run();
  for (let i = 0; i < RUNS; i++) {
    for (const c of candidates) { const t0 = performance.now(); await c.run(); c.times.push(performance.now() - t0); }
  }
  const results = candidates.map((c) => ({ name: c.name, createMs: c.createMs, runMs: median(c.times), out: c.out! }));
  for (const c of candidates) await c.release();
  const base = results.find((q) => q.name === 'hand-protobuf')!;
  console.log(`\nMatMul-heavy graph: ${LAYERS} x Linear(${DIM}, ${DIM}) + Tanh on [${ROWS}, ${DIM}], ORT CPU, median of ${RUNS} runs`);
  for (const q of results) {
    let maxDiff = 0;
    q.out.forEach((v, i) => { maxDiff = Math.max(maxDiff, Math.abs(v - base.out[i]!)); });
    console.log(`${q.name.padEnd(22)} session ${q.createMs.toFixed(1).padStart(7)} ms   run ${q.runMs.toFixed(2).padStart(7)} ms   run ratio vs hand-protobuf ${(q.runMs / base.runMs).toFixed(2)}   max |diff| ${maxDiff.toExponential(1)}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
