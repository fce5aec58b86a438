// The DiT LoRA as a low-rank graph branch against the same LoRA merged into the weights
// (W' = W + alpha/rank * strength * B·A), on the window/ golden case's inputs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenDir } from '../../helpers/golden.ts';
import { compareTensor, readGoldenCase } from '../../helpers/golden-io.ts';
import { createTensor, openWeights, readTensorFloat32, writeSafetensors } from '../../../server/ml/index.ts';
import type { Tensor } from '../../../server/ml/index.ts';
import { DitModel } from '../../../nodes/flashportrait/models/dit/model.ts';
import { loadDitLora } from '../../../nodes/flashportrait/models/dit/lora.ts';
import { ditParameterShapes } from '../../../nodes/flashportrait/models/dit/parameter-shapes.ts';
import { loadDitWeights, overlayWeights } from '../../../nodes/flashportrait/models/dit/weights.ts';
import type { DitWeights } from '../../../nodes/flashportrait/models/dit/weights.ts';
import { SeededRandom } from '../../../nodes/flashportrait/seeded-noise.ts';
import { windowCall } from './window-call.ts';
import { ditGoldenFacts } from './golden-dit.ts';

const dir = goldenDir('dit');
const golden = dir ? readGoldenCase('dit', 'window')! : undefined;
const facts = dir ? ditGoldenFacts(dir, golden!) : undefined;
/** The golden model's last block and width; a block index past the last one matches nothing. */
const LAST = (facts?.config.numLayers ?? 2) - 1;
const DIM = facts?.config.dim ?? 0;
const scratch = mkdtempSync(join(tmpdir(), 'fg-dit-lora-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const log = (): void => {};
const RANK = 4;

/** target prefix, LoRA key stem, convention, alpha (undefined: none in the file). */
const TARGETS: ReadonlyArray<readonly [string, string, 'kohya' | 'peft', number | undefined]> = [
  ['blocks.0.self_attn.q', 'lora_unet_blocks_0_self_attn_q', 'kohya', 8],
  [`blocks.${LAST}.cross_attn.o`, `lora_unet_blocks_${LAST}_cross_attn_o`, 'kohya', undefined],
  ['blocks.0.ffn.0', 'diffusion_model.blocks.0.ffn.0', 'peft', 2],
  [`blocks.${LAST}.cross_attn.emo_k_proj`, `diffusion_model.blocks.${LAST}.cross_attn.emo_k_proj`, 'peft', undefined],
  [`blocks.${LAST}.cross_attn.k_img`, `diffusion_model.blocks.${LAST}.cross_attn.k_img`, 'peft', 4],
  ['time_embedding.0', 'lora_unet_time_embedding_0', 'kohya', 4],
  ['head.head', 'diffusion_model.head.head', 'peft', undefined],
];

describe.skipIf(!dir)('DiT LoRA branch on the window/ golden case', () => {
  let weights: DitWeights;
  let loraPath: string;
  const call = () => windowCall(golden!.inputs);
  const predict = async (w: DitWeights, options: Parameters<typeof DitModel.create>[1] = {}): Promise<Tensor> => {
    const model = await DitModel.create(w, { ...options, session: { provider: 'cpu', log } });
    try {
      return await model.predict(call());
    } finally {
      await model.release();
    }
  };

  beforeAll(() => {
    weights = loadDitWeights(join(dir!, 'Wan2.1-I2V-14B-720P'), join(dir!, 'FlashPortrait/transformer.pt'));
    const shapes = ditParameterShapes(weights.config);
    const random = new SeededRandom(17);
    const tensors: [string, Tensor][] = [];
    for (const [target, stem, style, alpha] of TARGETS) {
      const [out, inp] = shapes.get(`${target}.weight`)! as [number, number];
      const a = random.fillNormal(new Float32Array(RANK * inp)).map((v) => v / Math.sqrt(inp));
      const b = random.fillNormal(new Float32Array(out * RANK)).map((v) => v * 0.3);
      tensors.push([`${stem}.${style === 'kohya' ? 'lora_down' : 'lora_A'}.weight`, createTensor('float32', [RANK, inp], a)]);
      tensors.push([`${stem}.${style === 'kohya' ? 'lora_up' : 'lora_B'}.weight`, createTensor('float32', [out, RANK], b)]);
      if (alpha !== undefined) tensors.push([`${stem}.alpha`, createTensor('float32', [], [alpha])]);
    }
    tensors.push([`lora_unet_blocks_${LAST + 6}_self_attn_q.lora_down.weight`, createTensor('float32', [RANK, DIM], new Float32Array(RANK * DIM))]);
    loraPath = join(scratch, 'lora.safetensors');
    writeSafetensors(loraPath, tensors);
  });

  /** The same LoRA merged into the weights: W + alpha/rank * strength * B·A, as an overlay file. */
  function mergedWeights(strength: number): DitWeights {
    const lora = openWeights(loraPath);
    const merged: [string, Tensor][] = [];
    for (const [target, stem, style, alpha] of TARGETS) {
      const w = readTensorFloat32(weights.weights.tensors.get(`${target}.weight`)!);
      const a = readTensorFloat32(lora.tensors.get(`${stem}.${style === 'kohya' ? 'lora_down' : 'lora_A'}.weight`)!).data as Float32Array;
      const b = readTensorFloat32(lora.tensors.get(`${stem}.${style === 'kohya' ? 'lora_up' : 'lora_B'}.weight`)!).data as Float32Array;
      const [out, inp] = w.shape as [number, number];
      const scale = ((alpha ?? RANK) / RANK) * strength;
      const data = Float32Array.from(w.data as Float32Array);
      for (let o = 0; o < out; o++) {
        for (let i = 0; i < inp; i++) {
          let s = 0;
          for (let r = 0; r < RANK; r++) s += b[o * RANK + r]! * a[r * inp + i]!;
          data[o * inp + i] = data[o * inp + i]! + scale * s;
        }
      }
      merged.push([`${target}.weight`, createTensor('float32', [out, inp], data)]);
    }
    const path = join(scratch, `merged-${strength}.safetensors`);
    writeSafetensors(path, merged);
    return { ...weights, weights: overlayWeights(weights.weights, openWeights(path)) };
  }

  it('maps kohya and PEFT keys, reports the unmatched one, keeps A/B zero-copy', async () => {
    const lora = loadDitLora(loraPath, ditParameterShapes(weights.config), 0.7);
    expect([...lora.branches.keys()].sort()).toEqual(TARGETS.map(([t]) => t).sort());
    expect(lora.branches.get('blocks.0.self_attn.q')!.scale).toBeCloseTo((8 / RANK) * 0.7, 6);
    expect(lora.branches.get('head.head')!.scale).toBeCloseTo(0.7, 6);
    expect(lora.warnings).toEqual([`lora_unet_blocks_${LAST + 6}_self_attn_q.lora_down.weight: matches no DiT linear`]);
    const model = await DitModel.create(weights, { lora, session: { provider: 'cpu', log } });
    expect(model.build.zeroCopyWeights).toBe(facts!.weightKeys + 2 * TARGETS.length);
    expect(model.build.convertedWeights).toBe(0);
    await model.release();
  });

  it.each([1, 0.7])('strength %s: the branch equals the merged weights within 1e-4 (and changes the output)', async (strength) => {
    const lora = loadDitLora(loraPath, ditParameterShapes(weights.config), strength);
    const branch = await predict(weights, { lora });
    const merged = await predict(mergedWeights(strength));
    const report = compareTensor('lora branch vs merged', branch, merged, 1e-4);
    expect(report.pass, JSON.stringify(report)).toBe(true);
    const plain = await predict(weights);
    let diff = 0;
    (plain.data as Float32Array).forEach((v, i) => { diff = Math.max(diff, Math.abs(v - (branch.data as Float32Array)[i]!)); });
    expect(diff).toBeGreaterThan(1e-2);
  });

  it('strength 0 equals the plain DiT', async () => {
    const lora = loadDitLora(loraPath, ditParameterShapes(weights.config), 0);
    const branch = await predict(weights, { lora });
    const plain = await predict(weights);
    expect(compareTensor('strength 0 vs plain', branch, plain, 1e-6).pass).toBe(true);
  });

  it('an incomplete pair is reported and a wrong shape is an error', () => {
    const shapes = ditParameterShapes(weights.config);
    const half = join(scratch, 'half.safetensors');
    writeSafetensors(half, [['diffusion_model.blocks.0.self_attn.k.lora_A.weight', createTensor('float32', [RANK, DIM], new Float32Array(RANK * DIM))]]);
    const lora = loadDitLora(half, shapes);
    expect(lora.branches.size).toBe(0);
    expect(lora.warnings[0]).toMatch(/blocks\.0\.self_attn\.k lacks its up/);
    const bad = join(scratch, 'bad.safetensors');
    writeSafetensors(bad, [
      ['lora_unet_blocks_0_self_attn_k.lora_down.weight', createTensor('float32', [RANK, DIM - 1], new Float32Array(RANK * (DIM - 1)))],
      ['lora_unet_blocks_0_self_attn_k.lora_up.weight', createTensor('float32', [DIM, RANK], new Float32Array(DIM * RANK))],
    ]);
    expect(() => loadDitLora(bad, shapes)).toThrow(/blocks\.0\.self_attn\.k/);
  });
});
