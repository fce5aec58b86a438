// FlashPortrait's fast decode path: the TAEHV decoder on diffusion-space latents (no
// un-normalisation, as setup_tiny_vae with need_scaled=False). Encoding always uses the Wan VAE.
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

  release(): Promise<void> {
    return this.session.release();
  }
}
