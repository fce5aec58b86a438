// Reproducing the exact float32/float64 arithmetic of numpy and torch where the goldens depend on it
// (schedules must match to 1 ulp, so the order and width of every operation matters).
export const f32 = Math.fround;

/** numpy.linspace in float64: `i * step + start`, the last element set to `stop` exactly. */
export function numpyLinspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  // numpy gives [start] for one point (its step would divide by zero).
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/**
 * torch.linspace in float32 on CPU. The vectorised kernel fills blocks of 8 lanes: a block that starts
 * before the midpoint counts up from `start`, one at or after it counts down from `end`, and every lane
 * adds `step * lane` to its block base. The trailing partial block uses the scalar per-element rule.
 * This is visible in the last bit (element 500 of linspace(1, 0, 1001) is 0.49999994, not 0.5).
 */
export function torchLinspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const s = f32(start);
  const e = f32(end);
  const step = f32(f32(e - s) / (steps - 1));
  const half = Math.floor(steps / 2);
  const block = 8;
  const fullBlocksEnd = steps - (steps % block);
  for (let b = 0; b < fullBlocksEnd; b += block) {
    const base = b < half ? f32(s + f32(step * b)) : f32(e - f32(step * (steps - 1 - b)));
    for (let lane = 0; lane < block; lane++) out[b + lane] = f32(base + f32(step * lane));
  }
  for (let i = fullBlocksEnd; i < steps; i++) {
    out[i] = i < half ? f32(s + f32(step * i)) : f32(e - f32(step * (steps - i - 1)));
  }
  return out;
}

/** The flow-matching time shift `shift*s / (1 + (shift-1)*s)` with every operation rounded to float32. */
export function shiftSigmaF32(sigma: number, shift: number): number {
  return f32(f32(f32(shift) * sigma) / f32(1 + f32(f32(shift - 1) * sigma)));
}

/** The same shift in float64 (numpy). */
export function shiftSigmaF64(sigma: number, shift: number): number {
  return (shift * sigma) / (1 + (shift - 1) * sigma);
}
