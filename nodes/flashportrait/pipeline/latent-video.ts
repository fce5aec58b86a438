// The whole video's latents in one Float32Array, layout [C, T, H, W] (batch 1). Windows are gathered
// into / scattered from caller-owned window buffers, so nothing is allocated per step.

export interface LatentShape {
  readonly channels: number;
  readonly frames: number;
  readonly height: number;
  readonly width: number;
}

export function latentSize(shape: LatentShape): number {
  return shape.channels * shape.frames * shape.height * shape.width;
}

export class LatentVideo {
  readonly data: Float32Array;
  readonly plane: number;

  constructor(readonly shape: LatentShape, data?: Float32Array) {
    this.plane = shape.height * shape.width;
    const size = latentSize(shape);
    if (data && data.length !== size) throw new Error(`latents of ${data.length} values do not fit [${shape.channels}, ${shape.frames}, ${shape.height}, ${shape.width}]`);
    this.data = data ?? new Float32Array(size);
  }

  /** Size of a window buffer of `frames` frames. */
  windowSize(frames: number): number {
    return this.shape.channels * frames * this.plane;
  }

  /** window[c, j] = video[c, frames[j]] */
  gather(frames: readonly number[], window: Float32Array): void {
    const { channels, frames: total } = this.shape;
    const p = this.plane;
    for (let c = 0; c < channels; c++) {
      for (let j = 0; j < frames.length; j++) {
        const src = (c * total + frames[j]!) * p;
        window.set(this.data.subarray(src, src + p), (c * frames.length + j) * p);
      }
    }
  }

  /** video[c, frames[j]] = window[c, j] */
  scatter(frames: readonly number[], window: Float32Array): void {
    const { channels, frames: total } = this.shape;
    const p = this.plane;
    for (let c = 0; c < channels; c++) {
      for (let j = 0; j < frames.length; j++) {
        const src = (c * frames.length + j) * p;
        this.data.set(window.subarray(src, src + p), (c * total + frames[j]!) * p);
      }
    }
  }
}
