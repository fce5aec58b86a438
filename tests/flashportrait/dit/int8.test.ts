// The 8-bit-weight DiT (GPU_memory_mode model_cpu_offload_and_qfloat8) on the window/ golden case:
// every compute-dtype linear runs as com.microsoft MatMulNBits (bits 8) on uint8 blocks + float32
// scales and matches the fp32 graph within a relative budget; the ModelProto really holds 8-bit
// weights; the quantised copies (about 1/4 of the float32 bytes) are written once into the cache and
// reused by the next build.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenDir } from '../../helpers/golden.ts';
import { compareTensor, readGoldenCase } from '../../helpers/golden-io.ts';
import { buildModel, GraphBuilder } from '../../../server/ml/index.ts';
import { onnxDataType } from '../../../server/ml/dtype.ts';
import { quantizeBlocks8 } from '../../../server/ml/onnx/weight-cache.ts';
import { onnx } from '../../../server/ml/onnx/proto.ts';
import type { OnnxTypes } from '../../../server/ml/onnx/proto.ts';
import { DitModel } from '../../../nodes/flashportrait/models/dit/model.ts';
import { buildDitGraph } from '../../../nodes/flashportrait/models/dit/graph.ts';
import type { AttentionImpl } from '../../../nodes/flashportrait/models/dit/graph.ts';
import { isEmotionProjection } from '../../../nodes/flashportrait/models/dit/parameter-shapes.ts';
import { loadDitWeights } from '../../../nodes/flashportrait/models/dit/weights.ts';
import type { DitWeights } from '../../../nodes/flashportrait/models/dit/weights.ts';
import { windowCall } from './window-call.ts';

const dir = goldenDir('dit');
/** 8-bit vs fp32 budget: |a - e| <= Q8_TOL * max(1, |e|) (measured worst: see the models README). */
const Q8_TOL = 5e-2;
const log = (): void => {};
const U8 = onnxDataType('uint8');
const F32 = onnxDataType('float32');

function buildProto(weights: DitWeights, impl: AttentionImpl, cacheDir: string): { model: OnnxTypes.ModelProto; converted: number; weightBytes: number } {
  const g = new GraphBuilder({ weights: weights.weights });
  buildDitGraph(g, weights.config, { impl, weightBits: 8, zeroWeights: new Set(weights.missing.filter(isEmotionProjection)) });
  const built = buildModel(g, { cacheDir });
  return { model: onnx.ModelProto.decode(built.bytes), converted: built.convertedWeights, weightBytes: built.weightBytes };
}

function listCache(root: string): Map<string, { mtime: number; size: number }> {
  const files = new Map<string, { mtime: number; size: number }>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.set(p, { mtime: statSync(p).mtimeMs, size: statSync(p).size });
    }
  };
  walk(root);
  return files;
}

describe('8-bit block quantisation', () => {
  it('round-trips within half a step per block, pads partial blocks with the zero point 128', () => {
    const N = 3;
    const K = 40;
    const w = Float32Array.from({ length: N * K }, (_, i) => Math.sin(i * 0.7) * (1 + (i % 5)));
    const { data, scales } = quantizeBlocks8(w, N, K, 16);
    expect(data.length).toBe(N * 3 * 16);
    expect(scales.length).toBe(N * 3);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const b = Math.floor(k / 16);
        const s = scales[n * 3 + b]!;
        const deq = (data[(n * 3 + b) * 16 + (k % 16)]! - 128) * s;
        expect(Math.abs(deq - w[n * K + k]!)).toBeLessThanOrEqual(s / 2 + 1e-7);
      }
      for (let k = K; k < 48; k++) expect(data[(n * 3 + 2) * 16 + (k % 16)]).toBe(128);
    }
  });
});

describe.skipIf(!dir)('FlashPortrait DiT with 8-bit linear weights', () => {
  const golden = dir ? readGoldenCase('dit', 'window')! : undefined;
  const base = dir ? join(dir, 'Wan2.1-I2V-14B-720P') : '';
  const overlay = dir ? join(dir, 'FlashPortrait/transformer.pt') : '';
  const cacheDir = mkdtempSync(join(tmpdir(), 'flashgraph-dit-q8-'));
  const call = (ipScale: number) => windowCall(golden!.inputs, ipScale);
  let weights: DitWeights;
  const models = new Map<string, DitModel>();
  beforeAll(async () => {
    weights = loadDitWeights(base, overlay);
    for (const impl of ['fused', 'plain'] as const) {
      models.set(`${impl}.f32`, await DitModel.create(weights, { impl, computeDtype: 'float32', session: { provider: 'cpu', log } }));
      models.set(`${impl}.q8`, await DitModel.create(weights, { impl, computeDtype: 'float32', weightBits: 8, cacheDir, session: { provider: 'cpu', log } }));
    }
  });
  afterAll(async () => {
    for (const m of models.values()) await m.release();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it.each(['fused', 'plain'] as const)(`%s: 8-bit weights match fp32 within ${Q8_TOL} relative, and are not bit-identical`, async (impl) => {
    for (const ipScale of [1, 0]) {
      const ref = await models.get(`${impl}.f32`)!.predict(call(ipScale));
      const q8 = await models.get(`${impl}.q8`)!.predict(call(ipScale));
      expect(q8.dtype).toBe('float32');
      const c = compareTensor(`q8 ${impl} ip_scale=${ipScale}`, q8, ref, Q8_TOL);
      const r = ref.data as Float32Array;
      const rms = Math.sqrt(r.reduce((a, v) => a + v * v, 0) / r.length);
      console.info(`[dit q8 ${impl} ip_scale=${ipScale}] max abs ${c.maxAbs.toExponential(2)}, max rel ${c.maxRel.toExponential(2)}, output rms ${rms.toExponential(2)}, max |ref| ${Math.max(...r.map(Math.abs)).toExponential(2)}`);
      expect(c.pass).toBe(true);
      expect(c.maxAbs).toBeGreaterThan(1e-5); // the weights really were rounded to 8 bits
    }
  });

  it('the ModelProto holds uint8 weights for every compute-dtype linear; time embedding, norms and biases stay float32', () => {
    const { model } = buildProto(weights, 'fused', cacheDir);
    const graph = model.graph!;
    const inits = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
    const nbits = graph.node!.filter((n) => n.opType === 'MatMulNBits');
    // per block: self q/k/v/o, cross q/k/v/k_img/v_img/o, emo_k/v, ffn.0/.2 = 14; plus text x2, img x2, head
    expect(nbits).toHaveLength(14 * weights.config.numLayers + 5);
    for (const n of nbits) {
      const data = inits.get(n.input![1]!)!;
      const scales = inits.get(n.input![2]!)!;
      expect(data.dataType).toBe(U8);
      expect(scales.dataType).toBe(F32);
      const bits = n.attribute!.find((a) => a.name === 'bits')!;
      expect(Number(bits.i)).toBe(8);
      const [N, blocks, bs] = data.dims!.map(Number) as [number, number, number];
      expect(Number(scales.dims![0])).toBe(N * blocks);
      expect(blocks * bs).toBeGreaterThanOrEqual(Number(n.attribute!.find((a) => a.name === 'K')!.i));
    }
    // The float linears left: exactly the three float32 time-embedding / projection ones.
    const floatLinears = graph.node!.filter((n) => n.opType === 'FusedMatMul' && inits.has(n.input![1]!));
    expect(floatLinears.map((n) => n.input![1]).sort()).toEqual(['time_embedding.0.weight', 'time_embedding.2.weight', 'time_projection.1.weight']);
    for (const n of floatLinears) expect(inits.get(n.input![1]!)!.dataType).toBe(F32);
    // No float copy of a quantised weight is kept.
    for (const n of nbits) expect(inits.has(n.input![1]!.split('::')[0]!)).toBe(false);
  });

  it('quantised copies are ~1/4 of the float32 bytes, written on the first build and reused on the second', () => {
    const own = mkdtempSync(join(tmpdir(), 'flashgraph-dit-q8-cache-'));
    try {
      const first = buildProto(weights, 'fused', own);
      const before = listCache(own);
      const data = [...before].filter(([f]) => f.endsWith('.uint8.bin'));
      const scales = [...before].filter(([f]) => f.endsWith('.scales.float32.bin'));
      expect(data).toHaveLength(14 * weights.config.numLayers + 5);
      expect(scales).toHaveLength(data.length);
      expect(first.converted).toBe(data.length + scales.length);
      // The float32 bytes these weights take (N * K * 4) against the 8-bit files (data + scales).
      const g = new GraphBuilder({ weights: weights.weights });
      buildDitGraph(g, weights.config, { zeroWeights: new Set(weights.missing.filter(isEmotionProjection)) });
      let f32Bytes = 0;
      for (const n of first.model.graph!.node!.filter((x) => x.opType === 'MatMulNBits')) {
        f32Bytes += 4 * Number(n.attribute!.find((a) => a.name === 'K')!.i) * Number(n.attribute!.find((a) => a.name === 'N')!.i);
      }
      const q8Bytes = [...data, ...scales].reduce((a, [, s]) => a + s.size, 0);
      console.info(`[dit q8] quantised ${q8Bytes} B vs float32 ${f32Bytes} B (${(q8Bytes / f32Bytes).toFixed(3)})`);
      expect(q8Bytes / f32Bytes).toBeGreaterThan(0.25);
      expect(q8Bytes / f32Bytes).toBeLessThan(0.35);
      const second = buildProto(weights, 'fused', own);
      expect(second.converted).toBe(first.converted);
      expect(listCache(own)).toEqual(before); // same files, same sizes, same mtimes
      expect(first.weightBytes).toBe(second.weightBytes);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('DitModel reports the 8-bit build, and refuses to quantise without a cache folder', async () => {
    const q8 = models.get('fused.q8')!.build;
    const f32 = models.get('fused.f32')!.build;
    expect(q8.weightBits).toBe(8);
    expect(f32.weightBits).toBeUndefined();
    expect(q8.weightBytes).toBeLessThan(f32.weightBytes * 0.45);
    await expect(DitModel.create(weights, { weightBits: 8, session: { provider: 'cpu', log } })).rejects.toThrow(/cacheDir/);
  });
});
