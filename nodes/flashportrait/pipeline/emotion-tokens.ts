// Grouping the portrait encoder's tokens (24 per video frame) per latent frame, as
// split_audio_adapter_sequence / split_tensor_with_padding do: latent frame k takes the 97 tokens
// [96k-73, 96k+23]; tokens outside the sequence become zero rows appended at the END of the slots.

export const TOKENS_PER_VIDEO_FRAME = 24;
export const TOKENS_PER_LATENT_FRAME = 97;
const LATENT_STRIDE = 96;
const FRONT_REACH = 73;

/** Inclusive token range of latent frame k. */
export function emotionTokenRange(latentFrame: number): [number, number] {
  return [LATENT_STRIDE * latentFrame - FRONT_REACH, LATENT_STRIDE * latentFrame + TOKENS_PER_LATENT_FRAME - FRONT_REACH - 1];
}

export interface EmotionTokens {
  /** [latentFrames, 97, width] */
  readonly tokens: Float32Array;
  readonly latentFrames: number;
  readonly width: number;
  /** Valid tokens per latent frame (passed on, never used as a mask by the original). */
  readonly lengths: Int32Array;
}

/**
 * Splits a window's projection `[videoFrames * 24, width]` into per-latent-frame slots. `out`
 * (optional) is reused across windows and steps to avoid reallocation.
 */
export function splitEmotionTokens(projection: Float32Array, width: number, latentFrames: number, out?: EmotionTokens): EmotionTokens {
  const tokenCount = projection.length / width;
  if (!Number.isInteger(tokenCount)) throw new Error(`emotion projection of ${projection.length} values is not a whole number of ${width}-wide tokens`);
  if (latentFrames < 2) {
    // The original indexes past its one-frame sequence here; FlashGraph refuses earlier with a clear message.
    throw new Error('a window needs at least 2 latent frames (at least 5 driving frames)');
  }
  const size = latentFrames * TOKENS_PER_LATENT_FRAME * width;
  const result = out && out.tokens.length === size
    ? out
    : { tokens: new Float32Array(size), latentFrames, width, lengths: new Int32Array(latentFrames) };
  result.tokens.fill(0);
  for (let k = 0; k < latentFrames; k++) {
    const [first, last] = emotionTokenRange(k);
    const from = Math.max(0, first);
    const to = Math.min(tokenCount - 1, last);
    const valid = Math.max(0, to - from + 1);
    const slotBase = k * TOKENS_PER_LATENT_FRAME * width;
    if (valid > 0) result.tokens.set(projection.subarray(from * width, (to + 1) * width), slotBase);
    result.lengths[k] = valid;
  }
  return result;
}
