import { describe, expect, it } from 'vitest';
import { combineCfg, planCfg } from '../../../nodes/flashportrait/pipeline/cfg.ts';
import { runFlashPortraitNode } from '../../../nodes/flashportrait/pipeline/node.ts';
import { GoldenCase, SAMPLER_GOLDEN, expectClose, slab } from './golden-case.ts';
import { goldenStandIns } from './stand-ins.ts';

interface CfgConfig {
  emo_cfg_scale: number;
  text_cfg_scale: number;
  branches: string[];
  calls: { branch: string; context: string; ip_scale: number }[];
}

describe.skipIf(!SAMPLER_GOLDEN)('CFG and node vs goldens', () => {
  it('cfg_branches: which branches run and how they combine, for all six scale pairs', () => {
    const golden = new GoldenCase('cfg_branches');
    const configs = golden.json.configs as Record<string, CfgConfig>;
    expect(Object.keys(configs)).toHaveLength(6);
    for (const [key, cfg] of Object.entries(configs)) {
      const plan = planCfg(cfg.emo_cfg_scale, cfg.text_cfg_scale, 1);
      expect(plan.calls.map((c) => ({ branch: c.branch, context: c.prompt === 'positive' ? 'pos' : 'neg', ip_scale: c.ipScale }))).toEqual(cfg.calls);
      const outputs = plan.calls.map((c) => golden.f32(`in.${key}.${c.branch}`).data);
      const expected = golden.f32(`out.${key}.noise_pred`).data;
      const out = new Float32Array(expected.length);
      combineCfg(plan, outputs, out);
      expectClose(out, expected, key);
    }
  });

  it('node_short: FlashPortraitSampler.sample end to end (resize, conditioning, loop, decode, postprocess)', async () => {
    const golden = new GoldenCase('node_short');
    const args = golden.json.node_inputs as { steps: number; emo_cfg_scale: number; text_cfg_scale: number; max_size: number; shift: number; context_size: number; context_overlap: number };
    const image = golden.f32('in.image');
    const head = golden.f32('in.head_emo_features');
    const standIns = goldenStandIns(golden, { windowed: false });
    const noisePred = golden.f32('out.noise_pred');
    const latents = golden.f32('out.latents');
    let worst = 0;
    const result = await runFlashPortraitNode({
      image: { height: image.shape[1]!, width: image.shape[2]!, data: image.data },
      headEmotionFeatures: head.data,
      prompt: 'a portrait',
      negativePrompt: 'blurry',
      noise: (shape) => {
        expect(shape).toEqual({ channels: 16, frames: 5, height: 2, width: 4 });
        return golden.f32('in.latents0').data;
      },
      steps: args.steps,
      shift: args.shift,
      emoCfgScale: args.emo_cfg_scale,
      textCfgScale: args.text_cfg_scale,
      maxSize: args.max_size,
      contextSize: args.context_size,
      contextOverlap: args.context_overlap,
    }, standIns.networks, {
      onWindowStep: (r) => { worst = Math.max(worst, expectClose(r.noisePred, slab(noisePred, r.step), `noise_pred ${r.step}`)); },
      onStep: (step, l) => { worst = Math.max(worst, expectClose(l.data, slab(latents, step), `latents ${step}`)); },
    });
    expect(standIns.transformerCalls()).toBe(6);
    const refExpected = golden.f32('out.ref_resized_u8').data;
    let maxLevel = 0;
    refExpected.forEach((v, i) => { maxLevel = Math.max(maxLevel, Math.abs(result.reference.data[i]! - v)); });
    expect(maxLevel).toBe(0);
    expect([result.reference.width, result.reference.height]).toEqual(golden.json.resized_WxH);
    worst = Math.max(worst, expectClose(result.images, golden.f32('out.node_output').data, 'node_output'));
    expect([result.frames, result.height, result.width]).toEqual(golden.f32('out.node_output').shape.slice(0, 3));
    expectClose(result.sampling.scheduler.schedule.timesteps, golden.f32('out.timesteps').data, 'timesteps');
    console.log(`node_short: max scaled error ${worst.toExponential(2)}, reference resize exact`);
  });
});
