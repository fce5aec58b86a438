// wan/utils/step_distill_scheduler.py (fast_infer.py with the 4-step LoRA): fixed denoising steps
// picked from the shifted float32 training grid; the requested step count is ignored.
import { f32, shiftSigmaF32, torchLinspaceF32 } from '../float32.ts';
import type { FlowScheduler, SamplingSchedule, TrajectorySolver } from './types.ts';

const TRAIN_TIMESTEPS = 1000;
export const STEP_DISTILL_DENOISING_STEPS: readonly number[] = [1000, 750, 500, 250];

export interface StepDistillOptions {
  readonly shift?: number;
  readonly denoisingSteps?: readonly number[];
}

export function stepDistillSchedule(options: StepDistillOptions = {}): SamplingSchedule {
  const shift = options.shift ?? 5;
  const picks = options.denoisingSteps ?? STEP_DISTILL_DENOISING_STEPS;
  const grid = torchLinspaceF32(1, 0, TRAIN_TIMESTEPS + 1);
  const sigmas = new Float32Array(picks.length + 1);
  const timesteps = new Float64Array(picks.length);
  picks.forEach((d, i) => {
    const index = TRAIN_TIMESTEPS - d;
    if (!Number.isInteger(index) || index < 0 || index >= TRAIN_TIMESTEPS) throw new Error(`denoising step ${d} is outside 1…1000`);
    sigmas[i] = shiftSigmaF32(grid[index]!, shift);
    timesteps[i] = f32(sigmas[i]! * TRAIN_TIMESTEPS);
  });
  return { timesteps, timestepDtype: 'float32', sigmas };
}

/** `denoised = x - sigma_i v; x' = denoised + sigma_{i+1} v` (the last step leaves `denoised`). */
export class StepDistillSolver implements TrajectorySolver {
  constructor(private readonly sigmas: Float32Array) {}

  step(stepIndex: number, modelOutput: Float32Array, sample: Float32Array, out: Float32Array): void {
    const sigma = this.sigmas[stepIndex]!;
    const next = this.sigmas[stepIndex + 1]!;
    const last = stepIndex === this.sigmas.length - 2;
    for (let k = 0; k < out.length; k++) {
      const v = modelOutput[k]!;
      const denoised = f32(sample[k]! - f32(sigma * v));
      out[k] = last ? denoised : f32(denoised + f32(next * v));
    }
  }
}

export function createStepDistill(options: StepDistillOptions = {}): FlowScheduler {
  const schedule = stepDistillSchedule(options);
  return { name: 'step_distill', schedule, createSolver: () => new StepDistillSolver(schedule.sigmas) };
}
