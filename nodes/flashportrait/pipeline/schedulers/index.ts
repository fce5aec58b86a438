import { createFlowDpmpp } from './dpmpp.ts';
import { createFlowMatchEuler } from './euler.ts';
import { createStepDistill } from './step-distill.ts';
import { createFlowUniPC } from './unipc.ts';
import type { FlowScheduler, SchedulerName } from './types.ts';

export type { FlowScheduler, SamplingSchedule, SchedulerName, TrajectorySolver } from './types.ts';

export interface SchedulerOptions {
  readonly name: SchedulerName;
  readonly steps: number;
  /**
   * The pipeline / node `shift`. Euler ignores it (the released pipeline never passes it to the
   * scheduler; the yaml constructor shift 5 applies); UniPC / DPM++ use it; step-distill uses it
   * as its own shift (fast_infer.py: 5).
   */
  readonly shift: number;
  /** Override of the scheduler's constructor shift (defaults: Euler 5, UniPC / DPM++ 1). */
  readonly constructorShift?: number;
}

export function createScheduler(options: SchedulerOptions): FlowScheduler {
  const { name, steps, shift } = options;
  switch (name) {
    case 'euler': return createFlowMatchEuler({ steps, constructorShift: options.constructorShift ?? 5 });
    case 'unipc': return createFlowUniPC({ steps, shift, constructorShift: options.constructorShift ?? 1 });
    case 'dpmpp': return createFlowDpmpp({ steps, shift, constructorShift: options.constructorShift ?? 1 });
    case 'step_distill': return createStepDistill({ shift });
  }
}
