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

/** `count` frames of the demo face; another `size` scales the picture (the face keeps its share of the frame). */
export function demoDrivingFrames(count: number, fps = 25, size = { width: DEMO_FRAME_SIZE, height: DEMO_FRAME_SIZE }): Image {
  const { width, height } = size;
  const sx = DEMO_FRAME_SIZE / width;
  const sy = DEMO_FRAME_SIZE / height;
  const data = new Uint8Array(count * width * height * 3);
  for (let f = 0; f < count; f++) {
    const t = f / fps;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = demoFaceLuma(x * sx, y * sy, t);
        const o = ((f * height + y) * width + x) * 3;
        data[o] = v; data[o + 1] = v; data[o + 2] = v;
      }
    }
  }
  return imageFromPixels(data, count, width, height, `demo face x${count}`);
}
