import { describe, expect, it } from 'vitest';
import { sampleFlashPortrait } from '../../../nodes/flashportrait/pipeline/sampler.ts';
import type { SamplingRequest } from '../../../nodes/flashportrait/pipeline/sampler.ts';
import type { SchedulerName } from '../../../nodes/flashportrait/pipeline/schedulers/index.ts';
import { GoldenCase, SAMPLER_GOLDEN, expectClose, slab } from './golden-case.ts';
import { goldenStandIns, referenceFromClipInput } from './stand-ins.ts';

interface PipelineKwargs {
  num_inference_steps: number;
  text_cfg_scale: number;
  emo_cfg_scale: number;
  context_size: number;
  context_overlap: number;
  ip_scale: number;
}

const CASES: [string, SchedulerName][] = [
  ['pipeline_long_euler', 'euler'],
  ['pipeline_long_euler_textcfg', 'euler'],
  ['pipeline_default_geometry', 'euler'],
  ['pipeline_long_step_distill', 'step_distill'],
];

export function pipelineRequest(golden: GoldenCase, scheduler: SchedulerName): SamplingRequest {
  const kwargs = golden.json.pipeline_kwargs as PipelineKwargs;
  const noise = golden.f32('in.latents0');
  return {
    reference: referenceFromClipInput(golden),
    headEmotionFeatures: new Float32Array((golden.json.head_emo_feat_all_len as number) * 554),
    prompt: 'a portrait',
    negativePrompt: 'blurry',
    latentChannels: noise.shape[1]!,
    noise: noise.data,
    steps: kwargs.num_inference_steps,
    scheduler,
    shift: golden.json.pipeline_shift_arg as number,
    schedulerConstructorShift: golden.json.scheduler_constructor_shift as number,
    emoCfgScale: kwargs.emo_cfg_scale,
    textCfgScale: kwargs.text_cfg_scale,
    ipScale: kwargs.ip_scale,
    contextSize: kwargs.context_size,
    contextOverlap: kwargs.context_overlap,
  };
}

describe.skipIf(!SAMPLER_GOLDEN)('windowed pipeline loop vs goldens', () => {
  for (const [name, scheduler] of CASES) {
    it(`${name}: every window input, CFG prediction, step output and merged latents`, async () => {
      const golden = new GoldenCase(name);
      const standIns = goldenStandIns(golden, { windowed: true });
      const noisePred = golden.f32('out.noise_pred');
      const stepOut = golden.f32('out.step_out');
      const merged = golden.f32('out.latents');
      let worst = 0;
      let windowSteps = 0;
      const result = await sampleFlashPortrait(pipelineRequest(golden, scheduler), standIns.networks, {
        onWindowStep: (r) => {
          worst = Math.max(worst, expectClose(r.noisePred, slab(noisePred, r.step, r.window), `${name} noise_pred ${r.step}/${r.window}`));
          worst = Math.max(worst, expectClose(r.stepped, slab(stepOut, r.step, r.window), `${name} step_out ${r.step}/${r.window}`));
          windowSteps++;
        },
        onStep: (step, latents) => {
          worst = Math.max(worst, expectClose(latents.data, slab(merged, step), `${name} latents ${step}`));
        },
      });
      const calls = (golden.json.calls as unknown[]).length;
      expect(standIns.transformerCalls()).toBe(calls);
      expect(result.ditCalls).toBe(calls);
      expect(result.plan.windows.map((w) => w.frames)).toEqual(golden.json.windows);
      expect(result.plan.windows.map((w) => w.emotionFrames)).toEqual(golden.json.emo_frame_ranges_per_window);
      expect(result.cfg.calls.map((c) => c.branch)).toEqual(golden.json.branches_per_window);
      expect(windowSteps).toBe(merged.shape[0]! * result.plan.windows.length);
      expectClose(result.scheduler.schedule.timesteps, golden.f32('out.timesteps').data, 'timesteps');
      console.log(`${name}: max scaled error ${worst.toExponential(2)} (x: ${standIns.maxError().toExponential(2)})`);
    });
  }
});
