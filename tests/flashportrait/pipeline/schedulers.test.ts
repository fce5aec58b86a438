import { describe, expect, it } from 'vitest';
import { dpmppSamplingSigmas } from '../../../nodes/flashportrait/pipeline/schedulers/dpmpp.ts';
import { createScheduler } from '../../../nodes/flashportrait/pipeline/schedulers/index.ts';
import { createStepDistill } from '../../../nodes/flashportrait/pipeline/schedulers/step-distill.ts';
import type { FlowScheduler } from '../../../nodes/flashportrait/pipeline/schedulers/index.ts';
import { GoldenCase, SAMPLER_GOLDEN, expectClose, expectWithinUlp, slab } from './golden-case.ts';

interface SchedConfig {
  timesteps: number[];
  sigmas: number[];
  num_inference_steps?: number;
  constructor_shift?: number;
  set_timesteps_shift?: number;
  get_sampling_sigmas_shift?: number;
  shift?: number;
}

function runTrajectory(golden: GoldenCase, key: string, scheduler: FlowScheduler): number {
  const sample0 = golden.f32(`in.${key}.sample0`).data;
  const outputs = golden.f32(`in.${key}.model_outputs`);
  const expected = golden.f32(`out.${key}.samples`);
  const solver = scheduler.createSolver(sample0.length);
  let x = Float32Array.from(sample0);
  let worst = 0;
  for (let i = 0; i < scheduler.schedule.timesteps.length; i++) {
    const next = new Float32Array(x.length);
    solver.step(i, slab(outputs, i), x, next);
    worst = Math.max(worst, expectClose(next, slab(expected, i), `${key} step ${i}`));
    x = next;
  }
  return worst;
}

function checkSchedule(golden: GoldenCase, key: string, cfg: SchedConfig, scheduler: FlowScheduler): void {
  const { timesteps, sigmas, timestepDtype } = scheduler.schedule;
  expectWithinUlp(sigmas, cfg.sigmas, `${key} sigmas`);
  if (timestepDtype === 'int64') {
    expect(Array.from(timesteps)).toEqual(cfg.timesteps);
    if (golden.has(`out.${key}.timesteps`)) expect(Array.from(timesteps)).toEqual(golden.i64(`out.${key}.timesteps`));
  } else {
    expectWithinUlp(timesteps, cfg.timesteps, `${key} timesteps`);
    if (golden.has(`out.${key}.timesteps`)) expectWithinUlp(timesteps, golden.f32(`out.${key}.timesteps`).data, `${key} timesteps`);
  }
  if (golden.has(`out.${key}.sigmas`)) expectWithinUlp(sigmas, golden.f32(`out.${key}.sigmas`).data, `${key} sigmas`);
}

describe.skipIf(!SAMPLER_GOLDEN)('schedulers vs sampler goldens', () => {
  it('sched_euler: double-shifted schedule and trajectories (the pipeline shift is ignored)', () => {
    const golden = new GoldenCase('sched_euler');
    const configs = golden.json.configs as Record<string, SchedConfig>;
    expect(Object.keys(configs)).toHaveLength(6);
    for (const [key, cfg] of Object.entries(configs)) {
      // The pipeline shift is deliberately something else: it must not matter.
      const scheduler = createScheduler({ name: 'euler', steps: cfg.num_inference_steps!, shift: 3, constructorShift: cfg.constructor_shift! });
      checkSchedule(golden, key, cfg, scheduler);
      if (golden.has(`in.${key}.sample0`)) runTrajectory(golden, key, scheduler);
    }
  });

  it('sched_unipc: truncated int64 timesteps and bh2 trajectories', () => {
    const golden = new GoldenCase('sched_unipc');
    const configs = golden.json.configs as Record<string, SchedConfig>;
    let trajectories = 0;
    for (const [key, cfg] of Object.entries(configs)) {
      const scheduler = createScheduler({ name: 'unipc', steps: cfg.num_inference_steps!, shift: cfg.set_timesteps_shift!, constructorShift: cfg.constructor_shift! });
      checkSchedule(golden, key, cfg, scheduler);
      if (golden.has(`in.${key}.sample0`)) {
        runTrajectory(golden, key, scheduler);
        trajectories++;
      }
    }
    expect(trajectories).toBe(6);
  });

  it('sched_dpmpp: get_sampling_sigmas, double shift and midpoint trajectories without NaN at sigma = 1', () => {
    const golden = new GoldenCase('sched_dpmpp');
    const configs = golden.json.configs as Record<string, SchedConfig & { get_sampling_sigmas_f64: number[] }>;
    let trajectories = 0;
    for (const [key, cfg] of Object.entries(configs)) {
      const steps = cfg.num_inference_steps!;
      const shift = cfg.get_sampling_sigmas_shift!;
      expect(Array.from(dpmppSamplingSigmas(steps, shift))).toEqual(cfg.get_sampling_sigmas_f64);
      expectWithinUlp(Float32Array.from(dpmppSamplingSigmas(steps, shift)), golden.f32(`out.${key}.get_sampling_sigmas`).data, `${key} sampling sigmas`);
      const scheduler = createScheduler({ name: 'dpmpp', steps, shift, constructorShift: cfg.constructor_shift! });
      checkSchedule(golden, key, cfg, scheduler);
      if (golden.has(`in.${key}.sample0`)) {
        runTrajectory(golden, key, scheduler);
        trajectories++;
      }
    }
    expect(trajectories).toBe(6);
  });

  it('sched_step_distill: torch float32 linspace block rule and the 4-step trajectory', () => {
    const golden = new GoldenCase('sched_step_distill');
    const configs = golden.json.configs as Record<string, SchedConfig>;
    for (const [key, cfg] of Object.entries(configs)) {
      const scheduler = createStepDistill({ shift: cfg.shift! });
      checkSchedule(golden, key, cfg, scheduler);
      if (golden.has(`in.${key}.sample0`)) runTrajectory(golden, key, scheduler);
    }
    expect(createStepDistill({ shift: 1 }).schedule.sigmas[2]).toBe(Math.fround(0.49999994));
  });
});

describe('one-step schedules', () => {
  it.each(['euler', 'unipc', 'dpmpp'] as const)('%s with steps 1 starts at sigma 1 (numpy linspace of one point) and ends at 0', (name) => {
    const { timesteps, sigmas } = createScheduler({ name, steps: 1, shift: 5 }).schedule;
    expect(timesteps).toHaveLength(1);
    expect(Number.isFinite(timesteps[0])).toBe(true);
    expect(timesteps[0]).toBeGreaterThan(990);
    expect(Array.from(sigmas).at(-1)).toBe(0);
    expect(sigmas[0]).toBeGreaterThan(0.99);
  });
});
