// A CLIP visual-tower session over the released open-clip checkpoint (textual.*, log_scale, the last
// block, post_norm and head are in the file but never referenced, so never loaded).
import { buildModel, createSession, createTensor, GraphBuilder, openWeights } from '../../../../server/ml/index.ts';
import type { ModelSession, SessionConfig, Tensor, WeightIndex } from '../../../../server/ml/index.ts';
import { clipTokenCount } from './config.ts';
import type { ClipVisionConfig } from './config.ts';
import { clipPixelValues } from './preprocess.ts';
import { buildClipVisionTower } from './vision-graph.ts';
import type { ClipGraphOptions } from './vision-graph.ts';

export interface ClipEncoderOptions extends ClipGraphOptions {
  readonly config: ClipVisionConfig;
  readonly cacheDir?: string;
  readonly session?: SessionConfig;
}

export function buildClipGraph(weights: WeightIndex, options: ClipEncoderOptions & { computeDtype?: 'float32' | 'float16' }): GraphBuilder {
  const g = new GraphBuilder({ weights, computeDtype: options.computeDtype ?? 'float32', name: 'clip_visual' });
  buildClipVisionTower(g, options.config, options);
  return g;
}

export class ClipImageEncoder {
  constructor(readonly session: ModelSession, readonly config: ClipVisionConfig) {}

  static async load(weightsPath: string, options: ClipEncoderOptions): Promise<ClipImageEncoder> {
    const g = buildClipGraph(openWeights(weightsPath), options);
    return new ClipImageEncoder(await createSession(buildModel(g, { cacheDir: options.cacheDir }), options.session), options.config);
  }

  /** `features` [B, tokens, dim] of normalised pixels [B, 3, S, S]. */
  async features(pixelValues: Float32Array, batch = 1): Promise<Tensor> {
    const s = this.config.imageSize;
    const out = await this.session.run({ pixel_values: createTensor('float32', [batch, 3, s, s], pixelValues) }, ['features']);
    return out.features!;
  }

  /** `clip_fea` [1, tokens, dim] of one image, planar [3, H, W] in [-1, 1]. */
  async encode(signedChw: Float32Array, height: number, width: number): Promise<Tensor> {
    return this.features(clipPixelValues(signedChw, height, width, this.config).pixelValues);
  }

  /** What the pipeline uses when no clip image is given: zeros of the features' shape. */
  absentImageFeatures(): Tensor {
    return createTensor('float32', [1, clipTokenCount(this.config), this.config.dim]);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
