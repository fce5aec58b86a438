// The reduced-precision DiT variants on the window/ golden case: the fp16 graph runs on the CPU (ORT
// inserts Casts around ops without f16 kernels) and stays within a relative error budget of the fp32
// graph; the ModelProto really computes in fp16 (linear/conv weights f16, norms/softmax/RoPE/time
// embedding f32, float32 inputs/outputs); converted weights are written once into the cache and reused.
// bf16: built and dtype-checked only (the CPU has no bf16 MatMul kernel).
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenDir } from '../../helpers/golden.ts';
import { compareTensor, readGoldenCase } from '../../helpers/golden-io.ts';
import { buildModel, GraphBuilder } from '../../../server/ml/index.ts';
import { onnxDataType } from '../../../server/ml/dtype.ts';
import type { DType, ProviderChoice } from '../../../server/ml/index.ts';
import { onnx } from '../../../server/ml/onnx/proto.ts';
import type { OnnxTypes } from '../../../server/ml/onnx/proto.ts';
import { DitModel } from '../../../nodes/flashportrait/models/dit/model.ts';
import { buildDitGraph } from '../../../nodes/flashportrait/models/dit/graph.ts';
import type { AttentionImpl } from '../../../nodes/flashportrait/models/dit/graph.ts';
import { isEmotionProjection } from '../../../nodes/flashportrait/models/dit/parameter-shapes.ts';
import { loadDitWeights } from '../../../nodes/flashportrait/models/dit/weights.ts';
import type { DitWeights } from '../../../nodes/flashportrait/models/dit/weights.ts';
import { windowCall } from './window-call.ts';
import { ditGoldenFacts } from './golden-dit.ts';

const dir = goldenDir('dit');
/** fp16 vs fp32 budget: |a - e| <= FP16_TOL * max(1, |e|) (measured worst: see the README). */
const FP16_TOL = 1e-2;
const log = (): void => {};
const F32 = onnxDataType('float32');

/** Element type of every value in the graph (a small forward inference over the ops the DiT uses). */
function valueTypes(model: OnnxTypes.ModelProto): Map<string, number> {
  const graph = model.graph!;
  const types = new Map<string, number>();
  for (const t of graph.initializer ?? []) types.set(t.name!, t.dataType!);
  for (const v of graph.input ?? []) types.set(v.name!, v.type!.tensorType!.elemType!);
  for (const n of graph.node ?? []) {
    const attr = (name: string) => n.attribute?.find((a) => a.name === name);
    let t: number;
    if (n.opType === 'Cast') t = Number(attr('to')!.i);
    else if (n.opType === 'Shape' || n.opType === 'Size') t = onnxDataType('int64');
    else if (n.opType === 'ConstantOfShape') t = attr('value')!.t!.dataType!;
    else t = types.get(n.input!.find((i) => i !== '')!)!;
    for (const o of n.output ?? []) types.set(o, t);
  }
  return types;
}

function buildProto(weights: DitWeights, computeDtype: DType, impl: AttentionImpl, cacheDir: string): { model: OnnxTypes.ModelProto; zeroCopy: number; converted: number } {
  const g = new GraphBuilder({ weights: weights.weights, computeDtype });
  buildDitGraph(g, weights.config, { impl, zeroWeights: new Set(weights.missing.filter(isEmotionProjection)) });
  const built = buildModel(g, { cacheDir });
  return { model: onnx.ModelProto.decode(built.bytes), zeroCopy: built.zeroCopyWeights, converted: built.convertedWeights };
}

function listCache(root: string): Map<string, number> {
  const files = new Map<string, number>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.set(p, statSync(p).mtimeMs);
    }
  };
  walk(root);
  return files;
}

/** Weight matrices of the linears and the patch conv (dit/README.md): per block self q/k/v/o, cross
 *  q/k/v/o/k_img/v_img, emo_k/v and ffn.0/.2 (14); outside, the patch conv, text x2, img x2, head and
 *  the three time-embedding linears. */
function linearWeights(layers: number): number {
  return 14 * layers + 6 + 3;
}

/** Checks the dtype layout of a reduced-precision DiT graph. */
function expectPrecisionLayout(model: OnnxTypes.ModelProto, impl: AttentionImpl, low: DType, layers: number): void {
  const LOW = onnxDataType(low);
  const graph = model.graph!;
  const types = valueTypes(model);
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name!, t.dataType!]));
  for (const v of [...graph.input!, ...graph.output!]) expect(v.type!.tensorType!.elemType, v.name!).toBe(F32);

  const matmuls = graph.node!.filter((n) => n.opType === 'FusedMatMul' || n.opType === 'MatMul' || n.opType === 'Conv');
  const weightTypes = matmuls.map((n) => inits.get(n.input![1]!)).filter((t) => t !== undefined);
  // time_embedding.0/.2 and time_projection.1 stay float32; every other linear / conv weight is `low`.
  expect(weightTypes).toHaveLength(linearWeights(layers));
  expect(weightTypes.filter((t) => t === F32)).toHaveLength(3);
  expect(weightTypes.every((t) => t === F32 || t === LOW)).toBe(true);
  // Activations into the linears: all `low` except the three time-embedding ones.
  const lowMatmuls = matmuls.filter((n) => types.get(n.input![0]!) === LOW);
  expect(lowMatmuls.length).toBe(matmuls.length - 3);

  const norms = graph.node!.filter((n) => ['LayerNormalization', 'RMSNormalization', 'Softmax', 'RotaryEmbedding', 'ReduceMean', 'ReduceSumSquare'].includes(n.opType!));
  expect(norms.filter((n) => n.opType === 'LayerNormalization').length).toBeGreaterThan(0);
  expect(norms.filter((n) => n.opType === (impl === 'plain' ? 'Softmax' : 'RMSNormalization')).length).toBeGreaterThan(0);
  for (const n of norms) {
    for (const i of n.input!.filter((x) => x !== '' && types.get(x) !== onnxDataType('int64'))) expect(types.get(i), `${n.opType} ${i}`).toBe(F32);
  }
  if (impl === 'fused') {
    for (const n of graph.node!.filter((x) => x.opType === 'MultiHeadAttention')) expect(types.get(n.input![0]!)).toBe(LOW);
  }
}

describe.skipIf(!dir)('FlashPortrait DiT in fp16 / bf16', () => {
  const golden = dir ? readGoldenCase('dit', 'window')! : undefined;
  const facts = dir ? ditGoldenFacts(dir, golden!) : undefined;
  const base = dir ? join(dir, 'Wan2.1-I2V-14B-720P') : '';
  const overlay = dir ? join(dir, 'FlashPortrait/transformer.pt') : '';
  const cacheDir = mkdtempSync(join(tmpdir(), 'flashgraph-dit-fp16-'));
  const call = (ipScale: number) => windowCall(golden!.inputs, ipScale);
  let weights: DitWeights;
  const models = new Map<string, DitModel>();
  beforeAll(async () => {
    weights = loadDitWeights(base, overlay);
    for (const impl of ['fused', 'plain'] as const) {
      for (const computeDtype of ['float32', 'float16'] as const) {
        models.set(`${impl}.${computeDtype}`, await DitModel.create(weights, { impl, computeDtype, cacheDir, session: { provider: 'cpu', log } }));
      }
    }
  });
  afterAll(async () => {
    for (const m of models.values()) await m.release();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it.each(['fused', 'plain'] as const)(`%s: fp16 on the CPU matches fp32 within ${FP16_TOL} relative, and is not bit-identical`, async (impl) => {
    for (const ipScale of [1, 0]) {
      const ref = await models.get(`${impl}.float32`)!.predict(call(ipScale));
      const half = await models.get(`${impl}.float16`)!.predict(call(ipScale));
      expect(half.dtype).toBe('float32');
      const c = compareTensor(`fp16 ${impl} ip_scale=${ipScale}`, half, ref, FP16_TOL);
      console.info(`[dit fp16 ${impl} ip_scale=${ipScale}] max abs ${c.maxAbs.toExponential(2)}, max rel ${c.maxRel.toExponential(2)}`);
      expect(c.pass).toBe(true);
      expect(c.maxAbs).toBeGreaterThan(1e-6); // really computed in reduced precision
      // and the fp32 graph still matches the golden
      expect(compareTensor('fp32', ref, golden!.outputs[ipScale ? 'noise_pred_posi' : 'noise_pred_no_emo']!, 1e-4).pass).toBe(true);
    }
  });

  it('build stats: fp32 is all zero-copy; fp16 converts the linear/conv weights and keeps float32 ones in place', () => {
    for (const impl of ['fused', 'plain']) {
      expect(models.get(`${impl}.float32`)!.build).toMatchObject({ computeDtype: 'float32', zeroCopyWeights: facts!.weightKeys, convertedWeights: 0 });
      const half = models.get(`${impl}.float16`)!.build;
      expect(half.computeDtype).toBe('float16');
      expect(half.zeroCopyWeights + half.convertedWeights).toBe(facts!.weightKeys);
      expect(half.convertedWeights).toBeGreaterThan(linearWeights(facts!.config.numLayers) - 3);
      expect(half.weightBytes).toBeLessThan(facts!.parameters * 4 * 0.6);
    }
  });

  it.each(['fused', 'plain'] as const)('%s: the fp16 ModelProto computes in float16 (norms, softmax, RoPE, time embedding in float32)', (impl) => {
    expectPrecisionLayout(buildProto(weights, 'float16', impl, cacheDir).model, impl, 'float16', weights.config.numLayers);
  });

  it('the fp32 ModelProto has no float16 anywhere', () => {
    const types = valueTypes(buildProto(weights, 'float32', 'fused', cacheDir).model);
    expect([...types.values()].includes(onnxDataType('float16'))).toBe(false);
  });

  it('conversion cache: converted weights are written on the first build and reused (not rewritten) on the second', () => {
    const own = mkdtempSync(join(tmpdir(), 'flashgraph-dit-cache-'));
    try {
      const first = buildProto(weights, 'float16', 'fused', own);
      const before = listCache(own);
      const bins = [...before.keys()].filter((f) => f.endsWith('.float16.bin'));
      expect(bins).toHaveLength(first.converted);
      const second = buildProto(weights, 'float16', 'fused', own);
      expect(second.converted).toBe(first.converted);
      expect(listCache(own)).toEqual(before); // same files, same mtimes
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('bf16: the graph builds with bfloat16 linear weights and float32 norms (dtypes only: no CPU bf16 MatMul)', () => {
    const built = buildProto(weights, 'bfloat16', 'plain', cacheDir);
    expect(built.converted).toBeGreaterThan(linearWeights(weights.config.numLayers) - 3);
    expectPrecisionLayout(built.model, 'plain', 'bfloat16', weights.config.numLayers);
  });

  it('DitModel.create follows the provider choice: CPU with fp16 requested stays fp32; a choice computing in float16 gets the fp16 graph', async () => {
    const cpu = await DitModel.create(weights, { session: { provider: 'cpu', precision: 'fp16', log } });
    try {
      expect(cpu.build).toMatchObject({ computeDtype: 'float32', convertedWeights: 0 });
    } finally {
      await cpu.release();
    }
    const choice: ProviderChoice = { provider: 'cpu', requested: 'cpu', computeDtype: 'float16', message: 'test choice', fallbacks: [] };
    const half = await DitModel.create(weights, { cacheDir, session: { provider: choice, log } });
    try {
      expect(half.build.computeDtype).toBe('float16');
      const ref = await models.get('fused.float16')!.predict(call(1));
      expect(compareTensor('choice fp16', await half.predict(call(1)), ref, 1e-6).pass).toBe(true);
    } finally {
      await half.release();
    }
  });
});
