// PortraitEncoder session: loads portrait_encoder.pt and maps a window's driving features to
// its emotion tokens (24 per video frame).
import { buildModel, createSession, GraphBuilder, openWeights } from '../../../../server/ml/index.ts';
import type { ModelSession, SessionConfig, Tensor } from '../../../../server/ml/index.ts';
import { portraitEncoderConfig, RELEASED_RESAMPLER_HEADS } from './config.ts';
import type { PortraitEncoderConfig } from './config.ts';
import { buildPortraitEncoderGraph, PORTRAIT_ENCODER_INPUT, PORTRAIT_ENCODER_OUTPUT } from './graph.ts';

export interface PortraitEncoderOptions {
  /** Resampler heads (not visible in the weights): 20 for the released checkpoint. */
  readonly heads?: number;
  readonly impl?: 'fused' | 'plain';
  readonly cacheDir?: string;
  readonly session?: SessionConfig;
}

export class PortraitEncoderModel {
  private constructor(readonly config: PortraitEncoderConfig, private readonly session: ModelSession) {}

  static async create(path: string, options: PortraitEncoderOptions = {}): Promise<PortraitEncoderModel> {
    const weights = openWeights(path);
    const config = portraitEncoderConfig(weights, options.heads ?? RELEASED_RESAMPLER_HEADS);
    const g = new GraphBuilder({ weights, name: 'flashportrait_portrait_encoder' });
    buildPortraitEncoderGraph(g, config, { impl: options.impl });
    return new PortraitEncoderModel(config, await createSession(buildModel(g, { cacheDir: options.cacheDir }), options.session ?? { provider: 'cpu' }));
  }

  /** head_emo [1, T, 554] -> [1, T*24, width]. */
  async encode(headEmo: Tensor): Promise<Tensor> {
    const out = await this.session.run({ [PORTRAIT_ENCODER_INPUT]: headEmo }, [PORTRAIT_ENCODER_OUTPUT]);
    return out[PORTRAIT_ENCODER_OUTPUT]!;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
