// The umT5 encoder graph and prompt path against the encoders golden (original PyTorch code, tiny
// random bf16 weights). Tolerance: the README's 1e-4 under the ERRATA rule.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenDir } from '../../helpers/golden.ts';
import { compareOutputs, compareTensor, readGoldenCase, expectPass } from '../../helpers/golden-io.ts';
import type { GoldenCase } from '../../helpers/golden-io.ts';
import { buildModel, createSession } from '../../../server/ml/index.ts';
import type { ModelSession, Tensor } from '../../../server/ml/index.ts';
import { openWeights } from '../../../server/ml/weights/index.ts';
import { relativeBucketTable } from '../../../nodes/flashportrait/models/t5/relative-position.ts';
import { buildUmt5Graph, stackContext, Umt5Encoder } from '../../../nodes/flashportrait/models/t5/text-encoder.ts';
import type { TokenBatch } from '../../../nodes/flashportrait/models/t5/text-encoder.ts';
import { numbered, t5GoldenConfig } from './golden-encoders.ts';

const dir = goldenDir('encoders');
const TOL = 1e-4;
const TINY = dir ? t5GoldenConfig(dir, 512) : undefined!;
const BLOCKS = TINY?.numLayers ?? 0;
const scratch = mkdtempSync(join(tmpdir(), 'fg-t5-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tokensOf(golden: GoldenCase, idsName: string, maskName: string): TokenBatch {
  const ids = golden.inputs[idsName]!;
  const [batch, length] = ids.shape as [number, number];
  return { batch, length, inputIds: ids.data as BigInt64Array, attentionMask: golden.inputs[maskName]!.data as BigInt64Array };
}

describe.skipIf(!dir)('umT5 encoder vs encoders/t5 golden', () => {
  const weightsPath = dir ? join(dir, 't5/models_t5_umt5-xxl-enc-bf16.pth') : '';
  let debug: ModelSession;
  let encoder: Umt5Encoder;

  beforeAll(async () => {
    const g = buildUmt5Graph(openWeights(weightsPath), { config: TINY, debugOutputs: true });
    debug = await createSession(buildModel(g, { cacheDir: scratch }), { provider: 'cpu', log: () => {} });
    encoder = await Umt5Encoder.load(weightsPath, { config: TINY, cacheDir: scratch, session: { provider: 'cpu', log: () => {} } });
  });
  afterAll(async () => { await debug?.release(); await encoder?.release(); });

  it('relative buckets equal out.rel_bucket for every offset of a full-length prompt', () => {
    const golden = readGoldenCase('encoders', 't5/t5_full_length_512')!;
    const textLen = golden.caseJson.text_len as number;
    const table = relativeBucketTable(textLen, TINY.numBuckets, TINY.maxDistance);
    expect((golden.outputs.rel_pos!.data as BigInt64Array)[0]).toBe(BigInt(1 - textLen));
    expect([...table]).toEqual([...(golden.outputs.rel_bucket!.data as BigInt64Array)]);
  });

  it('t5_single_padded: embedding, per-block bias and hidden states, output, trimmed and DiT contexts', async () => {
    const golden = readGoldenCase('encoders', 't5/t5_single_padded')!;
    const tokens = tokensOf(golden, 'input_ids', 'attention_mask');
    const names = ['last_hidden_state', ...numbered('hidden_after_block_', BLOCKS), ...numbered('pos_bias_block_', BLOCKS)];
    const actual: Record<string, Tensor> = await debug.run({ input_ids: golden.inputs.input_ids!, attention_mask: golden.inputs.attention_mask! }, names);
    const contexts = await encoder.encode(tokens);
    expect(contexts.map((c) => c.shape[0])).toEqual([Number((golden.outputs.seq_lens!.data as BigInt64Array)[0])]);
    actual.context_0 = contexts[0]!;
    actual.dit_context = stackContext(contexts, golden.caseJson.text_len as number);
    const expected = Object.fromEntries([...names, 'context_0', 'dit_context'].map((n) => [n, golden.outputs[n]!]));
    expectPass(compareOutputs(actual, expected, TOL));
  });

  it('t5_single_unpadded: the unpadded run', async () => {
    const golden = readGoldenCase('encoders', 't5/t5_single_unpadded')!;
    const actual = await encoder.lastHiddenState(tokensOf(golden, 'input_ids', 'attention_mask'));
    expectPass(compareOutputs({ last_hidden_state: actual }, { last_hidden_state: golden.outputs.last_hidden_state! }, TOL));
  });

  it('t5_pipeline_batch: prompt and negative batches (one empty prompt), padded and trimmed runs', async () => {
    const golden = readGoldenCase('encoders', 't5/t5_pipeline_batch')!;
    for (const tag of ['prompt', 'negative']) {
      const tokens = tokensOf(golden, `${tag}_input_ids`, `${tag}_attention_mask`);
      const padded = await encoder.lastHiddenState(tokens);
      const contexts = await encoder.encode(tokens);
      expect(contexts.map((c) => BigInt(c.shape[0]!))).toEqual([...(golden.outputs[`${tag}_seq_lens`]!.data as BigInt64Array)]);
      const actual: Record<string, Tensor> = { [`${tag}_last_hidden_state`]: padded, [`${tag}_dit_context`]: stackContext(contexts, golden.caseJson.text_len as number) };
      contexts.forEach((c, i) => { actual[`${tag}_context_${i}`] = c; });
      const expected = Object.fromEntries(Object.keys(actual).map((n) => [n, golden.outputs[n]!]));
      expectPass(compareOutputs(actual, expected, TOL));
    }
  });

  it('t5_full_length_512: a long prompt in the full text_len window (every bucket in use)', async () => {
    const golden = readGoldenCase('encoders', 't5/t5_full_length_512')!;
    const names = ['last_hidden_state', ...numbered('hidden_after_block_', BLOCKS)];
    const actual: Record<string, Tensor> = await debug.run({ input_ids: golden.inputs.input_ids!, attention_mask: golden.inputs.attention_mask! }, names);
    const contexts = await encoder.encode(tokensOf(golden, 'input_ids', 'attention_mask'));
    actual.context_0 = contexts[0]!;
    actual.dit_context = stackContext(contexts, golden.caseJson.text_len as number);
    const expected = Object.fromEntries(Object.keys(actual).map((n) => [n, golden.outputs[n]!]));
    expectPass(compareOutputs(actual, expected, TOL));
  });

  it('a wrong key mask fails the comparison (the check can fail)', async () => {
    const golden = readGoldenCase('encoders', 't5/t5_single_unpadded')!;
    const actual = await encoder.lastHiddenState(tokensOf(golden, 'input_ids', 'attention_mask'));
    // The last real key (the </s>) dropped from the mask.
    const wrongMask = (golden.inputs.attention_mask!.data as BigInt64Array).slice();
    wrongMask[wrongMask.lastIndexOf(1n)] = 0n;
    const wrong = await encoder.lastHiddenState({ batch: 1, length: wrongMask.length, inputIds: golden.inputs.input_ids!.data as BigInt64Array, attentionMask: wrongMask });
    expect(compareTensor('ok', actual, golden.outputs.last_hidden_state!, TOL).pass).toBe(true);
    expect(compareTensor('masked', wrong, golden.outputs.last_hidden_state!, TOL).pass).toBe(false);
  });
});
