// GET /flashgraph/video_info: frame rate, frame count and size of a video /view serves (same
// query), for the editor's compare view, which steps and syncs videos frame by frame. FlashGraph's
// own route: ComfyUI has none.
import { Router } from 'express';
import { probeMedia } from '../../media/ffmpeg.ts';
import { findMediaTools, MediaToolsMissingError } from '../../media/tools.ts';
import type { ApiContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { viewedFile } from './view.ts';

export interface VideoInfo {
  /** Frames per second (the stream's average rate). */
  fps: number;
  /** Frames in the stream (its packets: one per frame for every codec we decode). */
  frames: number;
  width: number;
  height: number;
  durationSeconds: number;
}

/** "30000/1001" -> 29.97; undefined when absent or not a positive rate. */
export function parseRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [num, den = '1'] = rate.split('/');
  const value = Number(num) / Number(den);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

export function videoInfoRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.get('/flashgraph/video_info', async (req, res) => {
    const { path, name } = await viewedFile(ctx, req.query);
    let probe;
    try {
      probe = await probeMedia(findMediaTools(), path);
    } catch (error) {
      if (error instanceof MediaToolsMissingError) throw new HttpError(503, error.message);
      throw new HttpError(415, `${JSON.stringify(name)} is not a media file ffprobe reads`);
    }
    const video = probe.video;
    const fps = parseRate(video?.rate);
    if (!video || fps === undefined) throw new HttpError(415, `${JSON.stringify(name)} has no video stream with a frame rate`);
    const info: VideoInfo = { fps, frames: video.packets, width: video.width, height: video.height, durationSeconds: probe.durationSeconds };
    res.setHeader('Cache-Control', 'no-cache');
    res.json(info);
  });
  return router;
}
