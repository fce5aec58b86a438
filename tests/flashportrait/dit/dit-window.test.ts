// The whole tiny FlashPortrait transformer against the window/ golden case: the three CFG branches,
// their combinations, the posi branch's intermediates, and the loader's transformer.pt overlay.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenDir } from '../../helpers/golden.ts';
import { compareOutputs, compareTensor, readGoldenCase } from '../../helpers/golden-io.ts';
import { createTensor } from '../../../server/ml/index.ts';
import type { Tensor } from '../../../server/ml/index.ts';
import { DitModel } from '../../../nodes/flashportrait/models/dit/model.ts';
import { loadDitWeights } from '../../../nodes/flashportrait/models/dit/weights.ts';
import type { AttentionImpl } from '../../../nodes/flashportrait/models/dit/graph.ts';
import { ditTransformer } from '../../../nodes/flashportrait/models/dit/transformer-call.ts';
import type { TransformerCall } from '../../../nodes/flashportrait/pipeline/networks.ts';
import { windowCall } from './window-call.ts';
import { ditGoldenFacts, emotionProjectionKeys } from './golden-dit.ts';

const dir = goldenDir('dit');
const TOL = 1e-4;
const log = (): void => {};

function combine(parts: ReadonlyArray<readonly [number, Tensor]>): Tensor {
  const first = parts[0]![1];
  const out = new Float32Array(first.data.length);
  for (const [k, t] of parts) (t.data as Float32Array).forEach((v, i) => { out[i] = out[i]! + k * v; });
  return createTensor('float32', first.shape, out);
}

describe.skipIf(!dir)('FlashPortrait DiT on the window/ golden case', () => {
  const golden = dir ? readGoldenCase('dit', 'window')! : undefined;
  const facts = dir ? ditGoldenFacts(dir, golden!) : undefined;
  const base = dir ? join(dir, 'Wan2.1-I2V-14B-720P') : '';
  const overlay = dir ? join(dir, 'FlashPortrait/transformer.pt') : '';
  const call = (context: 'context' | 'context_neg', ipScale: number) => windowCall(golden!.inputs, ipScale, context);
  const models = new Map<AttentionImpl, DitModel>();
  beforeAll(async () => {
    const weights = loadDitWeights(base, overlay);
    for (const impl of ['fused', 'plain'] as const) models.set(impl, await DitModel.create(weights, { impl, debug: true, session: { provider: 'cpu', log } }));
  });
  afterAll(async () => { for (const m of models.values()) await m.release(); });

  it.each(['fused', 'plain'] as const)('%s: posi branch and every intermediate within 1e-4', async (impl) => {
    const out = golden!.outputs;
    const debugNames = Object.keys(out).filter((k) => k.startsWith('dbg.') && !k.startsWith('dbg.rope'));
    expect(debugNames.length).toBeGreaterThan(10);
    const actual = await models.get(impl)!.run(call('context', 1), ['noise_pred', ...debugNames]);
    const expected: Record<string, Tensor> = { noise_pred: out.noise_pred_posi! };
    for (const n of debugNames) expected[n] = out[n]!;
    const report = compareOutputs(actual, expected, TOL);
    console.info(`[dit ${impl}]\n${report.text}`);
    expect(report.pass).toBe(true);
  });

  it.each(['fused', 'plain'] as const)('%s: no_emo, no_cond and both CFG combinations within 1e-4', async (impl) => {
    const m = models.get(impl)!;
    const posi = await m.predict(call('context', 1));
    const noEmo = await m.predict(call('context', 0));
    const noCond = await m.predict(call('context_neg', 0));
    const actual = {
      noise_pred_posi: posi,
      noise_pred_no_emo: noEmo,
      noise_pred_no_cond: noCond,
      noise_pred_cfg_default: combine([[1, noEmo], [4, posi], [-4, noEmo]]),
      noise_pred_cfg_3way: combine([[1, noCond], [2.5, noEmo], [-2.5, noCond], [4, posi], [-4, noEmo]]),
    };
    const out = golden!.outputs;
    const expected = Object.fromEntries(Object.keys(actual).map((k) => [k, out[k]!]));
    const report = compareOutputs(actual, expected, TOL);
    console.info(`[dit ${impl} branches]\n${report.text}`);
    expect(report.pass).toBe(true);
  });

  it('every weight is zero-copy: overlay keys point into transformer.pt, nothing converted', () => {
    for (const m of models.values()) expect(m.build).toEqual({ computeDtype: 'float32', zeroCopyWeights: facts!.weightKeys, convertedWeights: 0, weightBytes: facts!.parameters * 4 });
  });

  it('fused and plain attention agree', async () => {
    const a = await models.get('fused')!.predict(call('context', 1));
    const b = await models.get('plain')!.predict(call('context', 1));
    expect(compareTensor('fused vs plain', a, b, 1e-5).pass).toBe(true);
  });

  it('the sampling loop adapter (transformer(call)) gives the no_cond branch from host arrays', async () => {
    const i = golden!.inputs;
    const [, channels, frames, height, width] = i.x!.shape as [number, number, number, number, number];
    const transformer = ditTransformer(models.get('fused')!);
    const loopCall: TransformerCall = {
      x: i.x!.data as Float32Array, shape: { channels, frames, height, width }, timestep: (i.t!.data as Float32Array)[0]!, timestepDtype: 'float32',
      prompt: 'negative', text: i.context_neg!, clip: i.clip_fea!, y: i.y!.data as Float32Array,
      emotion: { tokens: i.emo_proj!.data as Float32Array, latentFrames: frames, width: i.emo_proj!.shape[3]!, lengths: Int32Array.from(facts!.emotionLengths) },
      ipScale: 0, seqLen: facts!.seqLen, step: 10, window: 0, branch: 'no_cond',
    };
    const pred = await transformer(loopCall);
    const expected = golden!.outputs.noise_pred_no_cond!;
    expect(compareTensor('no_cond', createTensor('float32', expected.shape, pred), expected, TOL).pass).toBe(true);
    const wrongSeqLen = facts!.seqLen + 2;
    await expect(transformer({ ...loopCall, seqLen: wrongSeqLen })).rejects.toThrow(new RegExp(`seq_len ${wrongSeqLen}`));
  });

  it('a loader that skips the transformer.pt overlay reproduces the known wrong answer and fails the golden', async () => {
    const bare = loadDitWeights(base, undefined);
    expect(bare.missing).toEqual(emotionProjectionKeys(facts!.config));
    const m = await DitModel.create(bare, { impl: 'fused', session: { provider: 'cpu', log } });
    try {
      const pred = await m.predict(call('context', 1));
      expect(compareTensor('base only', pred, golden!.outputs['wrong.posi_base_weights_only']!, TOL).pass).toBe(true);
      const vsRight = compareTensor('base only vs posi', pred, golden!.outputs.noise_pred_posi!, TOL);
      expect(vsRight.pass).toBe(false);
      expect(vsRight.maxAbs).toBeGreaterThan(0.5);
    } finally {
      await m.release();
    }
  });
});
