// The whole video's latents [C, T, h, w] as one record per latent frame ([C, h, w]) in a record
// store. The sampler's two video-sized buffers (the current latents and this step's merged result)
// grow with the clip (0.92 MB per latent frame at 720x1280, 1.7 GB each for 5 minutes); with the
// node's file-backed stores they cost disk and page cache, not process memory. Windows are gathered
// into / scattered from caller-owned window buffers in LatentVideo's layout, so results are
// unchanged.
import { LatentVideo, latentSize } from './latent-video.ts';
import type { LatentShape } from './latent-video.ts';
import type { RecordStore, RecordStoreFactory } from './record-store.ts';

/** Standard normal values in the order of a [C, T, h, w] tensor, handed out a span at a time. */
export interface NoiseStream {
  fill(out: Float32Array): void;
}

export class LatentFrames {
  /** Values per channel plane (h * w) and per latent frame (C * h * w). */
  readonly plane: number;
  readonly frameSize: number;
  private readonly scratch: Float32Array;

  private constructor(
    readonly shape: LatentShape,
    private readonly store: RecordStore,
  ) {
    this.plane = shape.height * shape.width;
    this.frameSize = shape.channels * this.plane;
    this.scratch = new Float32Array(this.frameSize);
  }

  /** An empty video (its frames must be written before they are read). */
  static async create(shape: LatentShape, records: RecordStoreFactory, name: string): Promise<LatentFrames> {
    return new LatentFrames(shape, await records(name, shape.channels * shape.height * shape.width));
  }

  /** A video filled from `noise`: a whole [C, T, h, w] array, or a stream of values in that order. */
  static async fromNoise(shape: LatentShape, noise: Float32Array | NoiseStream, records: RecordStoreFactory, name: string): Promise<LatentFrames> {
    if (noise instanceof Float32Array && noise.length !== latentSize(shape)) {
      throw new Error(`noise of ${noise.length} values does not fit [${shape.channels}, ${shape.frames}, ${shape.height}, ${shape.width}]`);
    }
    const video = await LatentFrames.create(shape, records, name);
    const p = video.plane;
    const planeBuffer = new Float32Array(p);
    try {
      for (let c = 0; c < shape.channels; c++) {
        for (let f = 0; f < shape.frames; f++) {
          let values: Float32Array = planeBuffer;
          if (noise instanceof Float32Array) values = noise.subarray((c * shape.frames + f) * p, (c * shape.frames + f + 1) * p);
          else noise.fill(planeBuffer);
          await video.store.write(f, values, c * p);
        }
      }
    } catch (error) {
      await video.close();
      throw error;
    }
    return video;
  }

  /** window[c, j] = video[c, frames[j]] */
  async gather(frames: readonly number[], window: Float32Array): Promise<void> {
    const p = this.plane;
    for (let j = 0; j < frames.length; j++) {
      await this.store.read(frames[j]!, this.scratch);
      for (let c = 0; c < this.shape.channels; c++) window.set(this.scratch.subarray(c * p, (c + 1) * p), (c * frames.length + j) * p);
    }
  }

  /** video[c, frames[j]] = window[c, j] */
  async scatter(frames: readonly number[], window: Float32Array): Promise<void> {
    const p = this.plane;
    for (let j = 0; j < frames.length; j++) {
      for (let c = 0; c < this.shape.channels; c++) this.scratch.set(window.subarray((c * frames.length + j) * p, (c * frames.length + j + 1) * p), c * p);
      await this.store.write(frames[j]!, this.scratch);
    }
  }

  /** Latent frame `f` as [C, 1, h, w] (a new array unless `into` is given). */
  async frame(f: number, into = new Float32Array(this.frameSize)): Promise<Float32Array> {
    await this.store.read(f, into);
    return into;
  }

  /** The frames in order, each a new [C, 1, h, w] array. */
  async *frames(): AsyncGenerator<Float32Array> {
    for (let f = 0; f < this.shape.frames; f++) yield await this.frame(f);
  }

  /** The whole video in memory (tests, previews of every frame, decoders that need it whole). */
  async materialize(): Promise<LatentVideo> {
    const video = new LatentVideo(this.shape);
    await this.gather(Array.from({ length: this.shape.frames }, (_, f) => f), video.data);
    return video;
  }

  /** Drops the records (and the file behind them). */
  close(): Promise<void> {
    return this.store.close();
  }
}
