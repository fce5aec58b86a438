// Raw RGB frames into one ffmpeg process with back-pressure (the frames are never all in memory),
// for the formats of VideoCombine, whose arguments differ per format.
import { PassThrough } from 'node:stream';
import { ffmpegCommand } from '../../server/media/ffmpeg.ts';
import { feedRawFrames } from '../../server/media/video-encode.ts';
import type { MediaTools } from '../../server/media/tools.ts';
import { reserveFile } from '../../server/storage/safe-write.ts';

export interface RawEncodeRequest {
  path: string;
  muxer: string;
  width: number;
  height: number;
  /** Options before `-i -` (pixel format, size and rate are added). */
  inputOptions: string[];
  rate: string;
  /** Further inputs (metadata file...), each with its input options. */
  extraInputs: { path: string; options: string[] }[];
  outputOptions: string[];
}

export async function encodeRawFrames(
  tools: MediaTools,
  request: RawEncodeRequest,
  frames: AsyncIterable<Uint8Array>,
  options: { signal?: AbortSignal; onFrames?: (written: number) => void } = {},
): Promise<number> {
  const frameSize = request.width * request.height * 3;
  // ffmpeg opens the path itself and would follow a link there: it finds our new regular file.
  await reserveFile(request.path);
  const input = new PassThrough({ highWaterMark: frameSize });
  const command = ffmpegCommand(tools)
    .input(input)
    .inputFormat('rawvideo')
    .inputOptions(['-pix_fmt', 'rgb24', ...request.inputOptions, '-s', `${request.width}x${request.height}`, '-r', request.rate]);
  for (const extra of request.extraInputs) command.input(extra.path).inputOptions(extra.options);
  command.outputOptions(request.outputOptions).format(request.muxer).output(request.path);
  return feedRawFrames(command, input, frames, frameSize, options);
}
