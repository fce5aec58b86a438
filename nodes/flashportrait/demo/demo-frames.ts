// The demo driving clip's picture computed in memory (no ffmpeg, no codec): the same light oval face
// with moving eyes and mouth on a dark background as `writeDemoMedia`'s geq expression, at 25 fps,
// as RGB uint8 frames. Any length: used by the feature-extractor bench and tests.
import { imageFromPixels } from '../../../types/data.ts';
import type { Image } from '../../../types/data.ts';

export const DEMO_FRAME_SIZE = 256;

/** Luma of the demo face at pixel (x, y), time t seconds (writeDemoMedia's expression). */
export function demoFaceLuma(x: number, y: number, t: number): number {
  if (!(Math.hypot((x - 128 - 6 * Math.sin(t * 8)) / 0.8, y - 128) < 75)) return 12;
  const features = Number(Math.hypot(x - 100, y - 110) < 8) + Number(Math.hypot(x - 156, y - 110) < 8)
    + Number(Math.hypot((x - 128) / 2, y - (165 + 4 * Math.sin(t * 10))) < 6);
  return features ? 40 : 215;
}

export function demoDrivingFrames(count: number, fps = 25): Image {
  const size = DEMO_FRAME_SIZE;
  const data = new Uint8Array(count * size * size * 3);
  for (let f = 0; f < count; f++) {
    const t = f / fps;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const v = demoFaceLuma(x, y, t);
        const o = ((f * size + y) * size + x) * 3;
        data[o] = v; data[o + 1] = v; data[o + 2] = v;
      }
    }
  }
  return imageFromPixels(data, count, size, size, `demo face x${count}`);
}
