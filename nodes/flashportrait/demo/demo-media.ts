// Sample inputs for the demo workflow: a driving clip the demo face stand-ins track (a light oval
// face with moving eyes and mouth on a dark background, 24 frames at 25 fps, with a tone) and a
// reference image taken from its first frame.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { MediaTools } from '../../../server/media/tools.ts';

export const DEMO_DRIVING_FRAMES = 24;
export const DEMO_DRIVING_VIDEO = 'driving.mp4';
export const DEMO_REFERENCE_IMAGE = 'reference.png';

/**
 * The demo face clip, `frames` frames at 25 fps (256x256, H.264, with a 440 Hz AAC tone), at `path`.
 * Encoded under a temp name and renamed, so an interrupted run never leaves a half clip behind.
 */
export function writeDemoDrivingClip(path: string, frames: number, tools: Pick<MediaTools, 'ffmpeg'>): void {
  const face =
    'if(lt(hypot((X-128-6*sin(T*8))/0.8,Y-128),75),if(lt(hypot(X-100,Y-110),8)+lt(hypot(X-156,Y-110),8)+lt(hypot((X-128)/2,Y-(165+4*sin(T*10))),6),40,215),12)';
  const partial = join(dirname(path), `.${basename(path)}.partial.mp4`);
  execFileSync(tools.ffmpeg, [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'color=black:s=256x256:r=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-vf', `format=gray,geq=lum='${face}',format=yuv420p`,
    '-frames:v', String(frames), '-t', String(frames / 25),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', partial,
  ]);
  renameSync(partial, path);
}

/** Writes the demo clip and reference into `inputDirectory` unless they exist; returns their paths. */
export function writeDemoMedia(inputDirectory: string, tools: Pick<MediaTools, 'ffmpeg'>): { video: string; image: string; written: string[] } {
  mkdirSync(inputDirectory, { recursive: true });
  const video = join(inputDirectory, DEMO_DRIVING_VIDEO);
  const image = join(inputDirectory, DEMO_REFERENCE_IMAGE);
  const written: string[] = [];
  if (!existsSync(video)) {
    writeDemoDrivingClip(video, DEMO_DRIVING_FRAMES, tools);
    written.push(video);
  }
  if (!existsSync(image)) {
    execFileSync(tools.ffmpeg, ['-v', 'error', '-y', '-i', video, '-frames:v', '1', '-vf', 'scale=96:128', image]);
    written.push(image);
  }
  return { video, image, written };
}
