/** What a scheduler hands the loop: the timesteps given to the transformer and the noise levels. */
export interface SamplingSchedule {
  /** Timestep value per step, as the transformer receives it (already truncated when int64). */
  readonly timesteps: Float64Array;
  /** float32 for Euler / step-distill, int64 for the UniPC / DPM++ solvers of the original. */
  readonly timestepDtype: 'float32' | 'int64';
  /** steps + 1 noise levels (float32 values), ending with 0. */
  readonly sigmas: Float32Array;
}

/**
 * One trajectory's solver. Multistep solvers keep history here, so the loop creates one per window:
 * sharing it between windows is the original's NaN bug.
 */
export interface TrajectorySolver {
  /** Writes the sample after step `stepIndex` into `out` (may alias neither input). */
  step(stepIndex: number, modelOutput: Float32Array, sample: Float32Array, out: Float32Array): void;
}

/**
 * Where a solver gets its history buffers: fresh arrays by default; the sampler hands every window's
 * solver the same buffers and swaps each window's contents in and out of a record store.
 */
export type BufferAllocator = (size: number) => Float32Array;

export const freshBuffers: BufferAllocator = (size) => new Float32Array(size);

export interface FlowScheduler {
  readonly name: SchedulerName;
  readonly schedule: SamplingSchedule;
  /** A fresh solver for trajectories of `size` values (history buffers from `alloc`). */
  createSolver(size: number, alloc?: BufferAllocator): TrajectorySolver;
}

export type SchedulerName = 'euler' | 'unipc' | 'dpmpp' | 'step_distill';
