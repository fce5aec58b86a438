// FlashPortrait's fast decode path: the TAEHV decoder on diffusion-space latents (no
// un-normalisation, as setup_tiny_vae with need_scaled=False). Encoding always uses the Wan VAE.
import { createTensor } from '../../../../server/ml/tensor.ts';
import type { Tensor } from '../../../../server/ml/tensor.ts';
import { openWeights } from '../../../../server/ml/weights/index.ts';
import type { WeightIndex } from '../../../../server/ml/weights/index.ts';
import { taehvConfigFromWeights } from './config.ts';
import type { TaehvDecoderConfig } from './config.ts';
import { LazySession, openGraphSession } from './session-factory.ts';
import type { VaeSessionOptions } from './session-factory.ts';
import { buildTaehvDecoder } from './taehv-decoder.ts';

export interface TinyVaeOptions extends VaeSessionOptions {
  readonly config?: TaehvDecoderConfig;
}

/**
 * Latent frames each streamed chunk decodes, and the earlier ones it decodes again first. The only
 * temporal coupling is a MemBlock seeing its input one frame earlier (zeros before a chunk's first
 * frame), so a wrong start reaches 3 frames further per stage: 3 latent frames in stage 0, 3 frames
 * at twice the rate in stage 1 and at four times in stage 2, 6.5 latent frames in all. Eight frames
 * of warm-up leave every kept frame as the whole-sequence graph makes it.
 */
export const TINY_STREAM_CHUNK = 8;
export const TINY_STREAM_WARMUP = 8;

export class TinyVaeDecoder {
  readonly config: TaehvDecoderConfig;
  private readonly session: LazySession;

  constructor(readonly weights: WeightIndex, options: TinyVaeOptions = {}) {
    this.config = options.config ?? taehvConfigFromWeights(weights);
    const config = this.config;
    this.session = new LazySession(() => openGraphSession(buildTaehvDecoder(weights, config), options));
  }

  static open(path: string, options: TinyVaeOptions = {}): TinyVaeDecoder {
    return new TinyVaeDecoder(openWeights(path), options);
  }

  /** latents [1, z, T, h, w] -> video [1, 3, 4T-3, 8h, 8w] in [-1, 1]; also the untrimmed raw output. */
  async decodeDetailed(latents: Tensor): Promise<{ video: Tensor; raw: Tensor }> {
    const [b, c] = latents.shape;
    if (latents.shape.length !== 5 || b !== 1 || c !== this.config.latentChannels) {
      throw new Error(`latents must be [1, ${this.config.latentChannels}, T, h, w], got [${latents.shape.join(', ')}]`);
    }
    const out = await (await this.session.get()).run({ latents });
    return { video: out.video!, raw: out.decoder_raw_untrimmed! };
  }

  async decode(latents: Tensor): Promise<Tensor> {
    return (await this.decodeDetailed(latents)).video;
  }

  /**
   * The same video as `decode`, from latent frames [1, z, 1, h, w] given one at a time, in chunks
   * [1, 3, n, 8h, 8w] in [-1, 1]: memory follows the chunk, not the clip (see TINY_STREAM_WARMUP).
   */
  async *decodeStream(latentFrames: Iterable<Tensor> | AsyncIterable<Tensor>, chunk = TINY_STREAM_CHUNK, warmup = TINY_STREAM_WARMUP): AsyncGenerator<Tensor> {
    let held: Tensor[] = [];
    let kept = 0; // latent frames of `held` already decoded and handed on (the warm-up)
    let trim = this.config.framesToTrim; // the video's first frames only
    for await (const frame of latentFrames) {
      if (frame.shape.length !== 5 || frame.shape[2] !== 1) throw new Error(`decodeStream takes latent frames [1, z, 1, h, w], got [${frame.shape.join(', ')}]`);
      held.push(frame);
      if (held.length - kept === chunk) {
        yield await this.#decodeHeld(held, kept, trim);
        trim = 0;
        held = held.slice(Math.max(0, held.length - warmup));
        kept = held.length;
      }
    }
    if (held.length > kept) yield await this.#decodeHeld(held, kept, trim);
  }

  /** `held` decoded as one sequence; the video of its frames from `kept` on, less `trim` leading frames. */
  async #decodeHeld(held: readonly Tensor[], kept: number, trim: number): Promise<Tensor> {
    const [, z, , h, w] = held[0]!.shape as [number, number, number, number, number];
    const plane = h * w;
    const input = createTensor('float32', [1, z, held.length, h, w]);
    const data = input.data as Float32Array;
    held.forEach((frame, t) => {
      const values = frame.data as Float32Array;
      for (let c = 0; c < z; c++) data.set(values.subarray(c * plane, (c + 1) * plane), (c * held.length + t) * plane);
    });
    const { raw } = await this.decodeDetailed(input);
    // Raw frames 4t..4t+3 come from latent frame t.
    const growth = raw.shape[2]! / held.length;
    return unitVideo(raw, kept * growth + trim);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** Raw decoder frames `skip`.. of [1, 3, F, H, W] as video in [-1, 1], as the graph's `video` output. */
function unitVideo(raw: Tensor, skip: number): Tensor {
  const [, channels, frames, height, width] = raw.shape as [number, number, number, number, number];
  const plane = height * width;
  const count = frames - skip;
  const values = raw.data as Float32Array;
  const out = createTensor('float32', [1, channels, count, height, width]);
  const data = out.data as Float32Array;
  for (let c = 0; c < channels; c++) {
    for (let f = 0; f < count; f++) {
      const src = (c * frames + f + skip) * plane;
      const dst = (c * count + f) * plane;
      for (let i = 0; i < plane; i++) {
        const v = values[src + i]!;
        data[dst + i] = Math.fround((v < 0 ? 0 : v > 1 ? 1 : v) * 2 - 1);
      }
    }
  }
  return out;
}
