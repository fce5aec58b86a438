// Query-tiled self-attention (attentionQueryChunk) on the window/ golden case: the tiled graph
// equals the untiled one, fused and plain, as an ONNX Loop (symbolic token count) and as unrolled
// tiles, with a chunk that does not divide the token count (4 on the shipped 18 tokens: 5 tiles, 2
// padded rows), a chunk of 1 and a chunk larger than the window; and in fp16 on the CPU within the
// fp16 budget.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenDir } from '../../helpers/golden.ts';
import { compareTensor, readGoldenCase } from '../../helpers/golden-io.ts';
import { buildModel, GraphBuilder } from '../../../server/ml/index.ts';
import type { Tensor } from '../../../server/ml/index.ts';
import { onnx } from '../../../server/ml/onnx/proto.ts';
import { DitModel } from '../../../nodes/flashportrait/models/dit/model.ts';
import type { DitModelOptions } from '../../../nodes/flashportrait/models/dit/model.ts';
import { buildDitGraph } from '../../../nodes/flashportrait/models/dit/graph.ts';
import type { AttentionImpl } from '../../../nodes/flashportrait/models/dit/graph.ts';
import { isEmotionProjection } from '../../../nodes/flashportrait/models/dit/parameter-shapes.ts';
import { loadDitWeights } from '../../../nodes/flashportrait/models/dit/weights.ts';
import type { DitWeights } from '../../../nodes/flashportrait/models/dit/weights.ts';
import { windowCall } from './window-call.ts';
import { ditGoldenFacts, partialTileChunk } from './golden-dit.ts';

const dir = goldenDir('dit');
const TOL = 1e-5;
/** The fp16 budget of fp16.test.ts: |a - e| <= FP16_TOL * max(1, |e|) against the fp32 graph. */
const FP16_TOL = 1e-2;
const log = (): void => {};

describe.skipIf(!dir)('DiT self-attention in query tiles (window/ golden case)', () => {
  const golden = dir ? readGoldenCase('dit', 'window')! : undefined;
  const TOKENS = dir ? ditGoldenFacts(dir, golden!).tokens : 0;
  const PARTIAL = partialTileChunk(TOKENS);
  const base = dir ? join(dir, 'Wan2.1-I2V-14B-720P') : '';
  const overlay = dir ? join(dir, 'FlashPortrait/transformer.pt') : '';
  const cacheDir = mkdtempSync(join(tmpdir(), 'flashgraph-dit-tiles-'));
  let weights: DitWeights;
  const reference = new Map<string, Tensor>();

  async function predict(options: DitModelOptions, ipScale = 1): Promise<Tensor> {
    const m = await DitModel.create(weights, { ...options, cacheDir, session: { provider: 'cpu', log } });
    try {
      return await m.predict(windowCall(golden!.inputs, ipScale));
    } finally {
      await m.release();
    }
  }

  beforeAll(async () => {
    weights = loadDitWeights(base, overlay);
    for (const impl of ['fused', 'plain'] as const) {
      for (const computeDtype of ['float32', 'float16'] as const) reference.set(`${impl}.${computeDtype}`, await predict({ impl, computeDtype }));
    }
  });
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('the partial-tile chunk leaves a partial last tile on the golden window', () => {
    const [, , f, h, w] = golden!.inputs.x!.shape as number[];
    expect((f! * h! * w!) / 4).toBe(TOKENS);
    expect(TOKENS % PARTIAL).not.toBe(0);
    expect(TOKENS).toBe(golden!.caseJson.seq_len);
  });

  const cases: Array<[AttentionImpl, 'loop' | 'unrolled', number]> = [];
  for (const impl of ['fused', 'plain'] as const) for (const tiling of ['loop', 'unrolled'] as const) for (const chunk of [PARTIAL, 1, TOKENS + 1]) cases.push([impl, tiling, chunk]);

  it.each(cases)(`%s, %s tiles of %i query tokens: equals the untiled graph within ${TOL}`, async (impl, tiling, chunk) => {
    const tiled = await predict({ impl, attentionQueryChunk: chunk, attentionTiling: tiling, attentionTokens: tiling === 'unrolled' ? TOKENS : undefined });
    const c = compareTensor(`${impl} ${tiling} chunk ${chunk}`, tiled, reference.get(`${impl}.float32`)!, TOL);
    console.info(`[dit tiles ${impl} ${tiling} chunk=${chunk}] max abs ${c.maxAbs.toExponential(2)} vs untiled`);
    expect(c.pass).toBe(true);
    // and the golden itself
    expect(compareTensor('golden', tiled, golden!.outputs.noise_pred_posi!, 1e-4).pass).toBe(true);
  });

  it.each(['fused', 'plain'] as const)('%s: fp16 loop tiles (partial-tile chunk) on the CPU: within the fp16 budget of fp32, and close to untiled fp16', async (impl) => {
    for (const ipScale of [1, 0]) {
      const tiled = await predict({ impl, computeDtype: 'float16', attentionQueryChunk: PARTIAL }, ipScale);
      const ref32 = ipScale ? reference.get(`${impl}.float32`)! : await predict({ impl }, 0);
      const ref16 = ipScale ? reference.get(`${impl}.float16`)! : await predict({ impl, computeDtype: 'float16' }, 0);
      const vs32 = compareTensor('fp16 tiles vs fp32', tiled, ref32, FP16_TOL);
      const vs16 = compareTensor('fp16 tiles vs fp16', tiled, ref16, FP16_TOL);
      console.info(`[dit tiles fp16 ${impl} ip_scale=${ipScale}] max abs ${vs32.maxAbs.toExponential(2)} vs fp32, ${vs16.maxAbs.toExponential(2)} vs untiled fp16`);
      expect(vs32.pass).toBe(true);
      expect(vs16.pass).toBe(true);
    }
  });

  it('the loop graph holds one Loop per layer (none for cross-attention); plain keeps Softmax float32 inside the body', () => {
    const g = new GraphBuilder({ weights: weights.weights, computeDtype: 'float16' });
    buildDitGraph(g, weights.config, { impl: 'plain', zeroWeights: new Set(weights.missing.filter(isEmotionProjection)), attentionQueryChunk: 4 });
    const model = onnx.ModelProto.decode(buildModel(g, { cacheDir }).bytes);
    const loops = model.graph!.node!.filter((n) => n.opType === 'Loop');
    expect(loops).toHaveLength(weights.config.numLayers);
    const body = loops[0]!.attribute!.find((a) => a.name === 'body')!.g!;
    const ops = body.node!.map((n) => n.opType);
    expect(ops).toContain('Softmax');
    const casts = body.node!.filter((n) => n.opType === 'Cast').map((n) => Number(n.attribute![0]!.i));
    expect(casts).toContain(1); // scores cast to float32 before scale + Softmax
    expect(casts).toContain(10); // probabilities back to float16 for the product with V
    // cross-attention stays untiled: 3 Softmax per layer outside the loops
    expect(model.graph!.node!.filter((n) => n.opType === 'Softmax')).toHaveLength(3 * weights.config.numLayers);
  });

  it('a model with unrolled tiles refuses a call with another token count', async () => {
    const m = await DitModel.create(weights, { attentionQueryChunk: PARTIAL, attentionTiling: 'unrolled', attentionTokens: TOKENS + 2, session: { provider: 'cpu', log } });
    try {
      await expect(m.predict(windowCall(golden!.inputs, 1))).rejects.toThrow(`built for ${TOKENS + 2} tokens, the call has ${TOKENS}`);
    } finally {
      await m.release();
    }
  });

  it('unrolled tiles need the token count; a bad chunk is refused', () => {
    const g = new GraphBuilder({ weights: weights.weights });
    expect(() => buildDitGraph(g, weights.config, { attentionQueryChunk: 4, attentionTiling: 'unrolled' })).toThrow(/attentionTokens/);
    expect(() => buildDitGraph(new GraphBuilder({ weights: weights.weights }), weights.config, { attentionQueryChunk: 0 })).toThrow(/attentionQueryChunk/);
  });
});
