// The released cross-fade: the stepped window's first `overlap` frames are mixed with what the
// previous window already wrote there, weight j/(overlap-1) for this window (0 = previous window,
// 1 = this one), sequentially and without normalisation. It acts on scheduler outputs, not on noise
// predictions, and the original skips it at step 0.
import { f32 } from './float32.ts';
import type { LatentVideo } from './latent-video.ts';

/**
 * Blends `stepped` (a window of `frames`) in place with `merged`, the video-sized buffer holding the
 * earlier windows' results of this step. The overlap frames are the window's first `overlap`
 * frames, which are the previous window's last ones.
 */
export function crossFadeWindow(stepped: Float32Array, frames: readonly number[], overlap: number, merged: LatentVideo): void {
  if (overlap === 0) return;
  if (overlap < 2) throw new Error(`cannot cross-fade an overlap of ${overlap} frame(s)`);
  const { channels, frames: total } = merged.shape;
  const p = merged.plane;
  const n = frames.length;
  for (let j = 0; j < overlap; j++) {
    const weight = f32(j / (overlap - 1));
    const previousWeight = f32(1 - weight);
    for (let c = 0; c < channels; c++) {
      const dst = (c * n + j) * p;
      const src = (c * total + frames[j]!) * p;
      for (let k = 0; k < p; k++) {
        stepped[dst + k] = f32(f32(stepped[dst + k]! * weight) + f32(merged.data[src + k]! * previousWeight));
      }
    }
  }
}
