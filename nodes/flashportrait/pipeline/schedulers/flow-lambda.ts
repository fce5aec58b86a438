// Flow-matching parameterisation shared by the multistep solvers: alpha = 1 - sigma, and the
// half-log-SNR lambda = log(alpha) - log(sigma), which is -inf at sigma = 1 and +inf at sigma = 0.
// The solvers only use lambda through differences and exponentials whose limits are finite there,
// so they are written to evaluate those limits instead of producing NaN.
import { freshBuffers } from './types.ts';
import type { BufferAllocator } from './types.ts';
export function flowLambda(sigma: number): number {
  return Math.log(1 - sigma) - Math.log(sigma);
}

/** Rotating pair of float32 buffers: the previous and the current x0 prediction. */
export class X0History {
  previous: Float32Array;
  current: Float32Array;
  constructor(size: number, alloc: BufferAllocator = freshBuffers) {
    this.previous = alloc(size);
    this.current = alloc(size);
  }
  /** Makes room for a new current prediction; returns the buffer to write it into. */
  push(): Float32Array {
    const recycled = this.previous;
    this.previous = this.current;
    this.current = recycled;
    return recycled;
  }
}
