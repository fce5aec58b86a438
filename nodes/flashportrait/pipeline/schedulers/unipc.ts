// wan/utils/fm_solvers_unipc.py FlowUniPCMultistepScheduler: diffusers' UniPC (bh2, order 2,
// predict_x0, lower_order_final) on flow sigmas. Schedule: constructor grid 1 - linspace(1, 1/1000)
// reversed, shifted by the constructor shift in float32; set_timesteps shifts again (float64) by the
// pipeline's shift and truncates timesteps to int64.
import { f32, numpyLinspace, shiftSigmaF32, shiftSigmaF64 } from '../float32.ts';
import { flowLambda, X0History } from './flow-lambda.ts';
import { freshBuffers } from './types.ts';
import type { BufferAllocator, FlowScheduler, SamplingSchedule, TrajectorySolver } from './types.ts';

const TRAIN_TIMESTEPS = 1000;
const SOLVER_ORDER = 2;

export interface FlowUniPCOptions {
  readonly steps: number;
  /** infer.py / fast_infer.py construct it with shift 1. */
  readonly constructorShift?: number;
  /** The pipeline's `shift` argument, passed to set_timesteps. */
  readonly shift: number;
}

export function flowUniPCSchedule(options: FlowUniPCOptions): SamplingSchedule {
  const { steps, shift } = options;
  const constructorShift = options.constructorShift ?? 1;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  const grid = numpyLinspace(1, 1 / TRAIN_TIMESTEPS, TRAIN_TIMESTEPS);
  // Reversed grid: index 0 is the grid's last value, index 999 its first.
  const sigmaMax = shiftSigmaF32(f32(1 - grid[TRAIN_TIMESTEPS - 1]!), constructorShift);
  const sigmaMin = shiftSigmaF32(f32(1 - grid[0]!), constructorShift);
  const s = numpyLinspace(sigmaMax, sigmaMin, steps + 1);
  const sigmas = new Float32Array(steps + 1);
  const timesteps = new Float64Array(steps);
  for (let i = 0; i < steps; i++) {
    const shifted = shiftSigmaF64(s[i]!, shift);
    sigmas[i] = shifted;
    timesteps[i] = Math.trunc(shifted * TRAIN_TIMESTEPS);
  }
  sigmas[steps] = 0;
  return { timesteps, timestepDtype: 'int64', sigmas };
}

/** The bh2 coefficients b_1, b_2 of UniPC for step size hh = -h (predict_x0). */
function bh2Coefficients(hh: number): { hPhi1: number; bH: number; b1: number; b2: number } {
  const hPhi1 = Math.expm1(hh);
  const bH = hPhi1;
  const hPhiK1 = hPhi1 / hh - 1;
  const b1 = hPhiK1 / bH;
  const hPhiK2 = hPhiK1 / hh - 1 / 2;
  const b2 = (hPhiK2 * 2) / bH;
  return { hPhi1, bH, b1, b2 };
}

export class UniPCSolver implements TrajectorySolver {
  private readonly sigmas: Float32Array;
  private readonly size: number;
  private readonly x0: X0History;
  /** x0 from two steps back, kept for the order-2 corrector once the pair has rotated. */
  private readonly olderX0: Float32Array;
  private readonly lastSample: Float32Array;
  private readonly corrected: Float32Array;
  private lowerOrderNums = 0;
  private previousOrder = 0;
  private previousStep = -1;

  constructor(sigmas: Float32Array, size: number, alloc: BufferAllocator = freshBuffers) {
    this.sigmas = sigmas;
    this.size = size;
    this.x0 = new X0History(size, alloc);
    this.olderX0 = alloc(size);
    this.lastSample = alloc(size);
    this.corrected = alloc(size);
  }

  step(stepIndex: number, modelOutput: Float32Array, sample: Float32Array, out: Float32Array): void {
    if (stepIndex !== this.previousStep + 1) throw new Error(`UniPC solver stepped from ${this.previousStep} to ${stepIndex}: steps must be consecutive`);
    this.previousStep = stepIndex;
    const sig = this.sigmas;
    const steps = sig.length - 1;
    const sigma = sig[stepIndex]!;
    // x0 is predicted from the uncorrected sample, as in diffusers.
    const x0Now = this.x0.push();
    for (let k = 0; k < this.size; k++) x0Now[k] = f32(sample[k]! - f32(sigma * modelOutput[k]!));

    let x = sample;
    if (stepIndex > 0) {
      this.correct(stepIndex, x0Now);
      x = this.corrected;
    }
    const order = Math.min(SOLVER_ORDER, steps - stepIndex, this.lowerOrderNums + 1);
    this.lastSample.set(x);
    this.predict(stepIndex, order, x, out);
    this.previousOrder = order;
    if (this.lowerOrderNums < SOLVER_ORDER) this.lowerOrderNums++;
  }

  /** UniC: refines the current sample with the new x0 (writes this.corrected). */
  private correct(stepIndex: number, x0Now: Float32Array): void {
    const sig = this.sigmas;
    const sigmaT = sig[stepIndex]!;
    const sigmaS0 = sig[stepIndex - 1]!;
    const alphaT = 1 - sigmaT;
    const lambdaS0 = flowLambda(sigmaS0);
    const h = flowLambda(sigmaT) - lambdaS0;
    const { hPhi1, bH, b1, b2 } = bh2Coefficients(-h);
    const scaleX = sigmaT / sigmaS0;
    const scaleM0 = alphaT * hPhi1;
    const m0 = this.x0.previous;
    const out = this.corrected;
    const x = this.lastSample;
    if (this.previousOrder === 1) {
      const rho = 0.5;
      for (let k = 0; k < this.size; k++) {
        const base = f32(f32(scaleX * x[k]!) - f32(scaleM0 * m0[k]!));
        out[k] = f32(base - f32(alphaT * bH * f32(rho * f32(x0Now[k]! - m0[k]!))));
      }
      return;
    }
    const rk = (flowLambda(sig[stepIndex - 2]!) - lambdaS0) / h;
    const rho0 = (b1 - b2) / (1 - rk);
    const rho1 = b1 - rho0;
    const m1 = this.olderX0;
    for (let k = 0; k < this.size; k++) {
      const base = f32(f32(scaleX * x[k]!) - f32(scaleM0 * m0[k]!));
      const d1 = f32(f32(m1[k]! - m0[k]!) / rk);
      const res = f32(f32(rho0 * d1) + f32(rho1 * f32(x0Now[k]! - m0[k]!)));
      out[k] = f32(base - f32(alphaT * bH * res));
    }
  }

  /** UniP: the next sample from the x0 history (order 1, or 2 with rho = 1/2). */
  private predict(stepIndex: number, order: number, x: Float32Array, out: Float32Array): void {
    const sig = this.sigmas;
    const sigmaS0 = sig[stepIndex]!;
    const sigmaT = sig[stepIndex + 1]!;
    const alphaT = 1 - sigmaT;
    const m0 = this.x0.current;
    const m1 = this.x0.previous;
    if (sigmaT === 0) {
      // h = +inf: the update collapses to x0 (sigma_t/sigma_s -> 0, alpha_t * expm1(-inf) = -1).
      out.set(m0);
    } else {
      const lambdaS0 = flowLambda(sigmaS0);
      const h = flowLambda(sigmaT) - lambdaS0;
      const { hPhi1, bH } = bh2Coefficients(-h);
      const scaleX = sigmaT / sigmaS0;
      const scaleM0 = alphaT * hPhi1;
      if (order === 1) {
        for (let k = 0; k < this.size; k++) out[k] = f32(f32(scaleX * x[k]!) - f32(scaleM0 * m0[k]!));
      } else {
        const rk = (flowLambda(sig[stepIndex - 1]!) - lambdaS0) / h;
        const rho = 0.5;
        for (let k = 0; k < this.size; k++) {
          const base = f32(f32(scaleX * x[k]!) - f32(scaleM0 * m0[k]!));
          const d1 = f32(f32(m1[k]! - m0[k]!) / rk);
          out[k] = f32(base - f32(alphaT * bH * f32(rho * d1)));
        }
      }
    }
    // The corrector of the next step needs x0 from two steps back once this pair rotates.
    this.olderX0.set(m1);
  }
}

export function createFlowUniPC(options: FlowUniPCOptions): FlowScheduler {
  const schedule = flowUniPCSchedule(options);
  return { name: 'unipc', schedule, createSolver: (size, alloc) => new UniPCSolver(schedule.sigmas, size, alloc) };
}
