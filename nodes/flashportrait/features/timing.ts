// Optional per-stage timing of the feature extractor (for the bench): the caller passes a sink,
// the stages add their elapsed milliseconds to it. No sink, no cost beyond a branch.

/** `warp`: image warps with their pixel conversion (detector letterbox, landmark crops, PD-FGC face). */
export type FeatureStage = 'warp' | 'detector' | 'landmarks' | 'encoder';

export interface StageTimer {
  add(stage: FeatureStage, ms: number): void;
}

/** Runs `fn`, adding its wall time to `stage` when a timer is given. */
export function timed<T>(timer: StageTimer | undefined, stage: FeatureStage, fn: () => T): T {
  if (!timer) return fn();
  const start = performance.now();
  try { return fn(); } finally { timer.add(stage, performance.now() - start); }
}

/** Like `timed` for a promise-returning `fn` (time until it settles). */
export async function timedAsync<T>(timer: StageTimer | undefined, stage: FeatureStage, fn: () => Promise<T>): Promise<T> {
  if (!timer) return fn();
  const start = performance.now();
  try { return await fn(); } finally { timer.add(stage, performance.now() - start); }
}

/** A timer that sums milliseconds per stage. */
export function stageTotals(): StageTimer & { readonly ms: Record<FeatureStage, number> } {
  const ms: Record<FeatureStage, number> = { warp: 0, detector: 0, landmarks: 0, encoder: 0 };
  return { ms, add(stage, elapsed) { ms[stage] += elapsed; } };
}
