// Adapts DitModel to the sampling loop's injected `transformer(call)` (pipeline/networks.ts). The
// loop passes encoder outputs through untyped; here they must be host Tensors: text [1?, n, textDim]
// (the prompt's real tokens), CLIP [1?, 257, clipDim].
import { createTensor } from '../../../../server/ml/index.ts';
import type { Tensor } from '../../../../server/ml/index.ts';
import type { FlashPortraitNetworks, TransformerCall } from '../../pipeline/networks.ts';
import type { DitModel } from './model.ts';

function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && 'data' in v;
}

function batched(v: unknown, what: string, rank: number): Tensor {
  if (!isTensor(v) || v.dtype !== 'float32') throw new Error(`DiT: ${what} must be a float32 Tensor`);
  if (v.shape.length === rank) return v;
  if (v.shape.length === rank - 1) return createTensor('float32', [1, ...v.shape], v.data);
  throw new Error(`DiT: ${what} has shape [${v.shape}], expected rank ${rank - 1} or ${rank}`);
}

export function ditTransformer(model: DitModel): FlashPortraitNetworks['transformer'] {
  const c = model.config;
  return async (call: TransformerCall): Promise<Float32Array> => {
    const { channels, frames, height, width } = call.shape;
    const [pt, ph, pw] = c.patchSize;
    const tokens = (frames / pt) * (height / ph) * (width / pw);
    // The original pads tokens up to seq_len; with even latent sizes it never does, and padding
    // would change nothing but cost. Refuse anything else rather than compute it differently.
    if (call.seqLen !== tokens) throw new Error(`DiT: seq_len ${call.seqLen} differs from the window's ${tokens} tokens`);
    const e = call.emotion;
    if (e.latentFrames !== frames || e.width !== c.emoDim) throw new Error(`DiT: emotion tokens are ${e.latentFrames} x ${e.width}, the window needs ${frames} x ${c.emoDim}`);
    const out = await model.predict({
      x: createTensor('float32', [1, channels, frames, height, width], call.x),
      y: createTensor('float32', [1, c.inDim - c.outDim, frames, height, width], call.y),
      t: call.timestep,
      context: batched(call.text, 'text embedding', 3),
      clipFea: batched(call.clip, 'CLIP embedding', 3),
      emoProj: createTensor('float32', [1, frames, e.tokens.length / (frames * e.width), e.width], e.tokens),
      ipScale: call.ipScale,
    });
    return out.data as Float32Array;
  };
}
