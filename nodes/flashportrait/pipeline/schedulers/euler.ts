// diffusers FlowMatchEulerDiscreteScheduler as the released pipeline drives it: constructed from the
// yaml (shift 5), then set_timesteps(N, mu=1) WITHOUT the pipeline's shift argument. The constructor
// shifts its training grid and set_timesteps shifts again, so the schedule is shifted twice.
import { f32, numpyLinspace, shiftSigmaF32, shiftSigmaF64 } from '../float32.ts';
import type { FlowScheduler, SamplingSchedule, TrajectorySolver } from './types.ts';

const TRAIN_TIMESTEPS = 1000;

export interface FlowMatchEulerOptions {
  readonly steps: number;
  /** The scheduler's constructor shift (wan_civitai.yaml: 5). The pipeline's `shift` never reaches it. */
  readonly constructorShift?: number;
}

export function flowMatchEulerSchedule(options: FlowMatchEulerOptions): SamplingSchedule {
  const { steps } = options;
  const shift = options.constructorShift ?? 5;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  // Constructor: training grid t = 1000…1 in float32, sigma = t/1000, shifted in float32.
  const sigmaMax = shiftSigmaF32(f32(TRAIN_TIMESTEPS / TRAIN_TIMESTEPS), shift);
  const sigmaMin = shiftSigmaF32(f32(1 / TRAIN_TIMESTEPS), shift);
  // set_timesteps: float64 linspace between the shifted extremes, shifted again in float64.
  const ts = numpyLinspace(sigmaMax * TRAIN_TIMESTEPS, sigmaMin * TRAIN_TIMESTEPS, steps);
  const sigmas = new Float32Array(steps + 1);
  const timesteps = new Float64Array(steps);
  for (let i = 0; i < steps; i++) {
    sigmas[i] = shiftSigmaF64(ts[i]! / TRAIN_TIMESTEPS, shift);
    timesteps[i] = f32(sigmas[i]! * TRAIN_TIMESTEPS);
  }
  return { timesteps, timestepDtype: 'float32', sigmas };
}

/** `x + (sigma[i+1] - sigma[i]) * v` in float32: first order, stateless. */
export class EulerSolver implements TrajectorySolver {
  constructor(private readonly sigmas: Float32Array) {}

  step(stepIndex: number, modelOutput: Float32Array, sample: Float32Array, out: Float32Array): void {
    const dt = f32(this.sigmas[stepIndex + 1]! - this.sigmas[stepIndex]!);
    for (let k = 0; k < out.length; k++) out[k] = f32(sample[k]! + f32(dt * modelOutput[k]!));
  }
}

export function createFlowMatchEuler(options: FlowMatchEulerOptions): FlowScheduler {
  const schedule = flowMatchEulerSchedule(options);
  return { name: 'euler', schedule, createSolver: () => new EulerSolver(schedule.sigmas) };
}
