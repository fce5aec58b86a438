// PortraitEncoder against pe/: get_adapter_proj of the window's driving frames, then the
// per-latent-frame split (ranges, lengths, tokens) that feeds window/'s emo_proj.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenDir } from '../../helpers/golden.ts';
import { compareTensor, readGoldenCase } from '../../helpers/golden-io.ts';
import { createTensor, openWeights, sliceAxis } from '../../../server/ml/index.ts';
import { emotionTokenRange, splitEmotionTokens } from '../../../nodes/flashportrait/pipeline/emotion-tokens.ts';
import { portraitEncoderConfig } from '../../../nodes/flashportrait/models/portrait-encoder/config.ts';
import { PortraitEncoderModel } from '../../../nodes/flashportrait/models/portrait-encoder/model.ts';
import { ditGoldenFacts } from './golden-dit.ts';

const dir = goldenDir('dit');
const TOL = 1e-4;
const log = (): void => {};

describe.skipIf(!dir)('PortraitEncoder on the pe/ golden case', () => {
  const pe = dir ? readGoldenCase('dit', 'pe')! : undefined;
  const windowCase = dir ? readGoldenCase('dit', 'window')! : undefined;
  const facts = dir ? ditGoldenFacts(dir, windowCase!) : undefined;
  const heads = facts?.resamplerHeads ?? 0;
  const [first, end] = facts?.emotionFrames ?? [0, 0];
  const weightsPath = dir ? join(dir, 'FlashPortrait/portrait_encoder.pt') : '';
  const models: PortraitEncoderModel[] = [];
  beforeAll(async () => {
    for (const impl of ['fused', 'plain'] as const) models.push(await PortraitEncoderModel.create(weightsPath, { heads, impl, session: { provider: 'cpu', log } }));
  });
  afterAll(async () => { for (const m of models) await m.release(); });

  it('reads the Resampler sizes from the weights', () => {
    const weights = openWeights(weightsPath);
    const c = portraitEncoderConfig(weights, heads);
    // Literals of the original (dit/README.md): output width 2048, depth 4, 16 mouth queries on the
    // 512-wide mouth feature, 4 emotion queries on the 30-wide emotion feature. The width is the
    // fixture's own: proj_in's output rows.
    expect(c.width).toBe(2048);
    const width = (prefix: string): number => weights.tensors.get(`${prefix}.proj_in.weight`)!.shape[0]!;
    expect([c.mouth.dim, c.mouth.depth, c.mouth.queries, c.mouth.headDim, c.mouth.inDim]).toEqual([width('mouth_proj_model'), 4, 16, width('mouth_proj_model') / heads, 512]);
    expect([c.emo.dim, c.emo.depth, c.emo.queries, c.emo.headDim, c.emo.inDim]).toEqual([width('emo_proj_model'), 4, 4, width('emo_proj_model') / heads, 30]);
  });

  it.each([0, 1])('adapter_proj of the window\'s driving frames within 1e-4 (impl %i: fused, plain)', async (i) => {
    const window = sliceAxis(pe!.inputs.head_emo!, 1, first, end);
    const out = await models[i]!.encode(window);
    const r = compareTensor('adapter_proj', out, pe!.outputs.adapter_proj!, TOL);
    console.info(`[portrait-encoder ${i ? 'plain' : 'fused'}] max abs ${r.maxAbs.toExponential(2)}`);
    expect(r.pass).toBe(true);
  });

  it('a wrong head count is caught by the same comparison', async () => {
    const wrong = await PortraitEncoderModel.create(weightsPath, { heads: heads > 1 ? 1 : 2, session: { provider: 'cpu', log } });
    try {
      const out = await wrong.encode(sliceAxis(pe!.inputs.head_emo!, 1, first, end));
      expect(compareTensor('adapter_proj', out, pe!.outputs.adapter_proj!, TOL).pass).toBe(false);
    } finally {
      await wrong.release();
    }
  });

  it('the split reproduces pos_idx_range, emo_context_lens and window/ emo_proj exactly', () => {
    const ranges = Array.from(pe!.outputs.pos_idx_range!.data as BigInt64Array, Number);
    const frames = facts!.latentFrames;
    expect(Array.from({ length: frames }, (_, k) => emotionTokenRange(k)).flat()).toEqual(ranges);
    const proj = pe!.outputs.adapter_proj!;
    const { emoDim, emoTokens } = facts!.config;
    const split = splitEmotionTokens(proj.data as Float32Array, emoDim, frames);
    expect(Array.from(split.lengths)).toEqual(Array.from(pe!.outputs.emo_context_lens!.data as BigInt64Array, Number));
    const tokens = createTensor('float32', [1, frames, emoTokens, emoDim], split.tokens);
    expect(compareTensor('emo_proj', tokens, windowCase!.inputs.emo_proj!, 0).pass).toBe(true);
  });
});
