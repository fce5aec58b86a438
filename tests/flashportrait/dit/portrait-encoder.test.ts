// PortraitEncoder against pe/: get_adapter_proj of a 9-frame window, then the per-latent-frame split
// (ranges, lengths, tokens) that feeds window/'s emo_proj.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenDir } from '../../helpers/golden.ts';
import { compareTensor, readGoldenCase } from '../../helpers/golden-io.ts';
import { createTensor, openWeights, sliceAxis } from '../../../server/ml/index.ts';
import { emotionTokenRange, splitEmotionTokens } from '../../../nodes/flashportrait/pipeline/emotion-tokens.ts';
import { portraitEncoderConfig } from '../../../nodes/flashportrait/models/portrait-encoder/config.ts';
import { PortraitEncoderModel } from '../../../nodes/flashportrait/models/portrait-encoder/model.ts';

const dir = goldenDir('dit');
const TINY_HEADS = 2;
const TOL = 1e-4;
const log = (): void => {};

describe.skipIf(!dir)('PortraitEncoder on the pe/ golden case', () => {
  const pe = dir ? readGoldenCase('dit', 'pe')! : undefined;
  const weightsPath = dir ? join(dir, 'FlashPortrait/portrait_encoder.pt') : '';
  const models: PortraitEncoderModel[] = [];
  beforeAll(async () => {
    for (const impl of ['fused', 'plain'] as const) models.push(await PortraitEncoderModel.create(weightsPath, { heads: TINY_HEADS, impl, session: { provider: 'cpu', log } }));
  });
  afterAll(async () => { for (const m of models) await m.release(); });

  it('reads the Resampler sizes from the weights', () => {
    const c = portraitEncoderConfig(openWeights(weightsPath), TINY_HEADS);
    expect(c.width).toBe(2048);
    expect([c.mouth.dim, c.mouth.depth, c.mouth.queries, c.mouth.headDim, c.mouth.inDim]).toEqual([32, 4, 16, 16, 512]);
    expect([c.emo.dim, c.emo.depth, c.emo.queries, c.emo.headDim, c.emo.inDim]).toEqual([32, 4, 4, 16, 30]);
  });

  it.each([0, 1])('adapter_proj of video frames 4..12 within 1e-4 (impl %i: fused, plain)', async (i) => {
    const window = sliceAxis(pe!.inputs.head_emo!, 1, 4, 13);
    const out = await models[i]!.encode(window);
    const r = compareTensor('adapter_proj', out, pe!.outputs.adapter_proj!, TOL);
    console.info(`[portrait-encoder ${i ? 'plain' : 'fused'}] max abs ${r.maxAbs.toExponential(2)}`);
    expect(r.pass).toBe(true);
  });

  it('a wrong head count is caught by the same comparison', async () => {
    const wrong = await PortraitEncoderModel.create(weightsPath, { heads: 1, session: { provider: 'cpu', log } });
    try {
      const out = await wrong.encode(sliceAxis(pe!.inputs.head_emo!, 1, 4, 13));
      expect(compareTensor('adapter_proj', out, pe!.outputs.adapter_proj!, TOL).pass).toBe(false);
    } finally {
      await wrong.release();
    }
  });

  it('the split reproduces pos_idx_range, emo_context_lens and window/ emo_proj exactly', () => {
    const ranges = Array.from(pe!.outputs.pos_idx_range!.data as BigInt64Array, Number);
    expect([0, 1, 2].flatMap((k) => emotionTokenRange(k))).toEqual(ranges);
    const proj = pe!.outputs.adapter_proj!;
    const split = splitEmotionTokens(proj.data as Float32Array, 2048, 3);
    expect(Array.from(split.lengths)).toEqual(Array.from(pe!.outputs.emo_context_lens!.data as BigInt64Array, Number));
    const windowCase = readGoldenCase('dit', 'window')!;
    const tokens = createTensor('float32', [1, 3, 97, 2048], split.tokens);
    expect(compareTensor('emo_proj', tokens, windowCase.inputs.emo_proj!, 0).pass).toBe(true);
  });
});
