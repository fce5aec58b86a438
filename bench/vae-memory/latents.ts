// The latents both peers of the VAE memory bench decode: sin(0.37 i) over [1, 16, T, h, w] in index
// order, computed in float64 and rounded to float32 (torch_decode.py computes the same).
import { createTensor } from '../../server/ml/tensor.ts';
import type { Tensor } from '../../server/ml/tensor.ts';

export function benchLatents(frames: number, height: number, width: number): Tensor {
  const data = new Float32Array(16 * frames * height * width);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37);
  return createTensor('float32', [1, 16, frames, height, width], data);
}
