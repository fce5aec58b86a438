// The released cross-fade: the stepped window's first `overlap` frames are mixed with what the
// previous window already wrote there, weight j/(overlap-1) for this window (0 = previous window,
// 1 = this one), sequentially and without normalisation. It acts on scheduler outputs, not on noise
// predictions, and the original skips it at step 0.
import { f32 } from './float32.ts';

/**
 * Blends `stepped` (a window of `windowFrames` frames, [C, windowFrames, plane]) in place with
 * `previous` ([C, overlap, plane]): what the earlier windows of this step wrote on the window's first
 * `overlap` frames, which are the previous window's last ones.
 */
export function crossFadeWindow(stepped: Float32Array, windowFrames: number, overlap: number, previous: Float32Array, plane: number): void {
  if (overlap === 0) return;
  if (overlap < 2) throw new Error(`cannot cross-fade an overlap of ${overlap} frame(s)`);
  const channels = stepped.length / (windowFrames * plane);
  if (previous.length !== channels * overlap * plane) throw new Error(`cross-fade: ${previous.length} previous values do not fit [${channels}, ${overlap}, ${plane}]`);
  for (let j = 0; j < overlap; j++) {
    const weight = f32(j / (overlap - 1));
    const previousWeight = f32(1 - weight);
    for (let c = 0; c < channels; c++) {
      const dst = (c * windowFrames + j) * plane;
      const src = (c * overlap + j) * plane;
      for (let k = 0; k < plane; k++) {
        stepped[dst + k] = f32(f32(stepped[dst + k]! * weight) + f32(previous[src + k]! * previousWeight));
      }
    }
  }
}
