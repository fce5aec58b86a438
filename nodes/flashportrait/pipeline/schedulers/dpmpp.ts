// wan/utils/fm_solvers.py FlowDPMSolverMultistepScheduler: DPM-Solver++ (midpoint, order 2) on flow
// sigmas. The pipeline passes get_sampling_sigmas(N, shift) and set_timesteps shifts those again by
// the constructor shift (identity for the constructor shift 1 that infer.py uses).
import { f32, numpyLinspace, shiftSigmaF64 } from '../float32.ts';
import { flowLambda, X0History } from './flow-lambda.ts';
import type { BufferAllocator, FlowScheduler, SamplingSchedule, TrajectorySolver } from './types.ts';

const TRAIN_TIMESTEPS = 1000;

export interface FlowDpmppOptions {
  readonly steps: number;
  readonly constructorShift?: number;
  /** The pipeline's `shift`, used by get_sampling_sigmas. */
  readonly shift: number;
}

/** The pipeline's get_sampling_sigmas: shift(linspace(1, 0, N+1)[:N]) in float64. */
export function dpmppSamplingSigmas(steps: number, shift: number): Float64Array {
  const grid = numpyLinspace(1, 0, steps + 1);
  const out = new Float64Array(steps);
  for (let i = 0; i < steps; i++) out[i] = shiftSigmaF64(grid[i]!, shift);
  return out;
}

export function flowDpmppSchedule(options: FlowDpmppOptions): SamplingSchedule {
  const { steps, shift } = options;
  const constructorShift = options.constructorShift ?? 1;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  const sampling = dpmppSamplingSigmas(steps, shift);
  const sigmas = new Float32Array(steps + 1);
  const timesteps = new Float64Array(steps);
  for (let i = 0; i < steps; i++) {
    const shifted = shiftSigmaF64(sampling[i]!, constructorShift);
    sigmas[i] = shifted;
    timesteps[i] = Math.trunc(shifted * TRAIN_TIMESTEPS);
  }
  sigmas[steps] = 0;
  return { timesteps, timestepDtype: 'int64', sigmas };
}

export class DpmppSolver implements TrajectorySolver {
  private readonly sigmas: Float32Array;
  private readonly size: number;
  private readonly x0: X0History;
  private lowerOrderNums = 0;
  private previousStep = -1;

  constructor(sigmas: Float32Array, size: number, alloc?: BufferAllocator) {
    this.sigmas = sigmas;
    this.size = size;
    this.x0 = new X0History(size, alloc);
  }

  step(stepIndex: number, modelOutput: Float32Array, sample: Float32Array, out: Float32Array): void {
    if (stepIndex !== this.previousStep + 1) throw new Error(`DPM++ solver stepped from ${this.previousStep} to ${stepIndex}: steps must be consecutive`);
    this.previousStep = stepIndex;
    const sig = this.sigmas;
    const steps = sig.length - 1;
    const sigmaS0 = sig[stepIndex]!;
    const sigmaT = sig[stepIndex + 1]!;
    const m0 = this.x0.push();
    for (let k = 0; k < this.size; k++) m0[k] = f32(sample[k]! - f32(sigmaS0 * modelOutput[k]!));
    const m1 = this.x0.previous;
    const lastStep = stepIndex === steps - 1;
    const secondOrder = this.lowerOrderNums >= 1 && !lastStep;
    if (this.lowerOrderNums < 2) this.lowerOrderNums++;

    if (sigmaT === 0) {
      // h = +inf: (sigma_t/sigma_s) x -> 0 and -alpha_t (e^{-h} - 1) -> 1, so the result is x0.
      out.set(m0);
      return;
    }
    const alphaT = 1 - sigmaT;
    const lambdaS0 = flowLambda(sigmaS0);
    const h = flowLambda(sigmaT) - lambdaS0; // +inf at sigma_s = 1, where exp(-h) = 0 is the right limit
    const scaleX = sigmaT / sigmaS0;
    const scaleM0 = alphaT * (Math.exp(-h) - 1);
    if (!secondOrder) {
      for (let k = 0; k < this.size; k++) out[k] = f32(f32(scaleX * sample[k]!) - f32(scaleM0 * m0[k]!));
      return;
    }
    // D1 = (m0 - m1) / r0 with r0 = h_0 / h; at sigma_{s1} = 1, h_0 = +inf and the factor is exactly 0.
    const h0 = lambdaS0 - flowLambda(sig[stepIndex - 1]!);
    const invR0 = h / h0;
    const scaleD1 = 0.5 * scaleM0;
    for (let k = 0; k < this.size; k++) {
      const d1 = f32(invR0 * f32(m0[k]! - m1[k]!));
      out[k] = f32(f32(f32(scaleX * sample[k]!) - f32(scaleM0 * m0[k]!)) - f32(scaleD1 * d1));
    }
  }
}


export function createFlowDpmpp(options: FlowDpmppOptions): FlowScheduler {
  const schedule = flowDpmppSchedule(options);
  return { name: 'dpmpp', schedule, createSolver: (size, alloc) => new DpmppSolver(schedule.sigmas, size, alloc) };
}
