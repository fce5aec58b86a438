// CLIP preprocessing and visual tower against the encoders golden (original open-clip code, tiny
// random fp32 weights, real 224 input so 257 tokens). Tolerances from the README and ERRATA.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenDir } from '../../helpers/golden.ts';
import { compareOutputs, compareTensor, readGoldenCase, expectPass } from '../../helpers/golden-io.ts';
import { buildModel, createSession, createTensor } from '../../../server/ml/index.ts';
import type { ModelSession, Tensor } from '../../../server/ml/index.ts';
import { openWeights } from '../../../server/ml/weights/index.ts';
import { buildClipGraph, ClipImageEncoder } from '../../../nodes/flashportrait/models/clip/image-encoder.ts';
import { clipPixelValues, u8HwcToSignedChw } from '../../../nodes/flashportrait/models/clip/preprocess.ts';
import { clipGoldenConfig, numbered } from './golden-encoders.ts';

const dir = goldenDir('encoders');
const TINY = dir ? clipGoldenConfig(dir) : undefined!;
const PIXELS = [1, 3, TINY?.imageSize, TINY?.imageSize] as number[];
/** The blocks the features come from: all but the checkpoint's last (use_31_block). */
const USED_BLOCKS = (TINY?.numLayers ?? 1) - 1;

function preprocessU8(image: Tensor): { resized_pm1: Tensor; pixel_values: Tensor } {
  const [h, w] = image.shape as [number, number, number];
  const p = clipPixelValues(u8HwcToSignedChw(image.data as BigInt64Array, h, w), h, w, TINY);
  return { resized_pm1: createTensor('float32', PIXELS, p.resizedSigned), pixel_values: createTensor('float32', PIXELS, p.pixelValues) };
}

describe.skipIf(!dir)('CLIP image encoder vs encoders/clip golden', () => {
  const weightsPath = dir ? join(dir, 'clip/models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth') : '';
  const sessions: ModelSession[] = [];
  let debugMha: ModelSession;
  let debugPlain: ModelSession;
  let encoder: ClipImageEncoder;

  beforeAll(async () => {
    const weights = openWeights(weightsPath);
    const open = async (attention: 'mha' | 'plain') => {
      const s = await createSession(buildModel(buildClipGraph(weights, { config: TINY, debugOutputs: true, attention })), { provider: 'cpu', log: () => {} });
      sessions.push(s);
      return s;
    };
    debugMha = await open('mha');
    debugPlain = await open('plain');
    encoder = await ClipImageEncoder.load(weightsPath, { config: TINY, session: { provider: 'cpu', log: () => {} } });
  });
  afterAll(async () => {
    for (const s of sessions) await s.release();
    await encoder?.release();
  });

  it('preprocessing: clip_preprocess_downscale (720 -> 224 in W, 64 -> 224 in H) within 1e-5', () => {
    const golden = readGoldenCase('encoders', 'clip/clip_preprocess_downscale')!;
    expectPass(compareOutputs(preprocessU8(golden.inputs.image_u8!), { resized_pm1: golden.outputs.resized_pm1!, pixel_values: golden.outputs.pixel_values! }, 1e-5));
  });

  it('preprocessing: clip_pipeline (160x256 noise, bicubic overshoot kept) within 1e-5', () => {
    const golden = readGoldenCase('encoders', 'clip/clip_pipeline')!;
    expectPass(compareOutputs(preprocessU8(golden.inputs.image_u8!), { resized_pm1: golden.outputs.resized_pm1!, pixel_values: golden.outputs.pixel_values! }, 1e-5));
  });

  it.each(['mha', 'plain'] as const)('clip_tower (%s attention): every intermediate and the penultimate-block features', async (impl) => {
    const golden = readGoldenCase('encoders', 'clip/clip_tower')!;
    const names = ['patch_tokens', 'token_embeddings', 'after_pre_norm', ...numbered('hidden_after_block_', USED_BLOCKS), 'features'];
    const actual = await (impl === 'mha' ? debugMha : debugPlain).run({ pixel_values: golden.inputs.pixel_values! }, names);
    expectPass(compareOutputs(actual, Object.fromEntries(names.map((n) => [n, golden.outputs[n]!])), 1e-4));
    // Running the checkpoint's last block as well would be the classic mistake; it must not match.
    expect(compareTensor('features', actual.features!, golden.outputs[`hidden_after_block_${USED_BLOCKS}_UNUSED_last_block`]!, 1e-4).pass).toBe(false);
  });

  it('clip_pipeline end to end from the uint8 image within 5e-4', async () => {
    const golden = readGoldenCase('encoders', 'clip/clip_pipeline')!;
    const [h, w] = golden.inputs.image_u8!.shape as [number, number, number];
    const features = await encoder.encode(u8HwcToSignedChw(golden.inputs.image_u8!.data as BigInt64Array, h, w), h, w);
    expectPass(compareOutputs({ features }, { features: golden.outputs.features! }, 5e-4));
  });

  it('never references textual.*, log_scale, post_norm, head or the last block', () => {
    const g = buildClipGraph(openWeights(weightsPath), { config: TINY });
    const used = [...g.weightReferences.keys()];
    expect(used.length).toBe(5 + 12 * USED_BLOCKS);
    expect(used.filter((k) => /^textual\.|^log_scale$|post_norm|^visual\.head$/.test(k) || k.startsWith(`visual.transformer.${USED_BLOCKS}.`))).toEqual([]);
  });

  it('a missing clip image gives zeros of [1, 257, dim]', () => {
    const z = encoder.absentImageFeatures();
    expect(z.shape).toEqual([1, (TINY.imageSize / TINY.patchSize) ** 2 + 1, TINY.dim]);
    expect((z.data as Float32Array).every((v) => v === 0)).toBe(true);
  });
});
