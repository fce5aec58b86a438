// Raw RGB frames into one ffmpeg process with back-pressure (the frames are never all in memory),
// for the formats of VideoCombine, whose arguments differ per format.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { ffmpegCommand, runCommand } from '../../server/media/ffmpeg.ts';
import type { MediaTools } from '../../server/media/tools.ts';

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
  const input = new PassThrough({ highWaterMark: frameSize });
  const command = ffmpegCommand(tools)
    .input(input)
    .inputFormat('rawvideo')
    .inputOptions(['-pix_fmt', 'rgb24', ...request.inputOptions, '-s', `${request.width}x${request.height}`, '-r', request.rate]);
  for (const extra of request.extraInputs) command.input(extra.path).inputOptions(extra.options);
  command.outputOptions(request.outputOptions).format(request.muxer).output(request.path);
  const finished = runCommand(command, options.signal);
  finished.catch(() => {});
  let written = 0;
  try {
    for await (const data of frames) {
      options.signal?.throwIfAborted();
      if (!input.write(data)) {
        const drained = once(input, 'drain').then(() => 'drained' as const);
        if ((await Promise.race([drained, finished.then(() => 'ended' as const)])) === 'ended') throw new Error('ffmpeg stopped before all frames were written');
      }
      written += data.length / frameSize;
      options.onFrames?.(written);
    }
    input.end();
    await finished;
    return written;
  } catch (error) {
    command.kill('SIGKILL');
    input.destroy();
    const reason = await finished.then(
      () => undefined,
      (e: unknown) => e,
    );
    throw reason ?? error;
  }
}
