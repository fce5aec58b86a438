// Latents in one Float32Array, layout [C, T, H, W] (batch 1): what the sampler's latent store
// (latent-frames.ts) reads into memory for hooks, previews and decoders that need them whole.

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
}
