// Encodes a stream of frame chunks to a video file: the chunks go into ffmpeg's stdin as raw video
// (rgb24, or the decoder's own pixel format) with back-pressure (at most about one frame waits in
// the pipe), audio comes from a file input, metadata from an ffmetadata file.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { formatRational, type ColorProperties, type FrameChunk, type Rational } from '../../types/data.ts';
import { ffmpegCommand, runCommand } from './ffmpeg.ts';
import { rawFrameBytes } from './pixel-formats.ts';
import type { FfmpegCommand } from 'fluent-ffmpeg';
import type { MediaTools } from './tools.ts';
import { reserveFile } from '../storage/safe-write.ts';

export const VIDEO_FORMATS = ['mp4', 'webm'] as const;
export const VIDEO_CODECS = ['h264', 'vp9'] as const;
export const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'] as const;
export type VideoFormat = (typeof VIDEO_FORMATS)[number];
export type VideoCodec = (typeof VIDEO_CODECS)[number];
export type EncoderPreset = (typeof X264_PRESETS)[number];

/** Default quality per codec: libx264's own default, and the usual VP9 constant-quality value. */
export const DEFAULT_CRF: Record<VideoCodec, number> = { h264: 23, vp9: 32 };

/** An extra ffmpeg input: its path, input options and which of its streams to map. */
export interface ExtraInput {
  path: string;
  options: string[];
  /** Stream specifier within this input, e.g. "a:0". */
  stream: string;
}

export interface EncodeVideoRequest {
  path: string;
  format: VideoFormat;
  codec: VideoCodec;
  crf?: number;
  preset?: EncoderPreset;
  width: number;
  height: number;
  fps: Rational;
  audio?: ExtraInput;
  /** An ffmetadata file with the container tags. */
  metadataFile?: string;
}

/** The video encoder's options, and the filters it needs first (none, or a crop to even sides). */
export function codecOptions(request: Pick<EncodeVideoRequest, 'codec' | 'crf' | 'preset' | 'width' | 'height'>): { options: string[]; filters: string[] } {
  const crf = String(request.crf ?? DEFAULT_CRF[request.codec]);
  const preset = request.preset ?? 'medium';
  if (request.codec === 'h264') {
    // 4:2:0 H.264 needs even sides: drop the last row/column rather than invent pixels.
    const filters = request.width % 2 || request.height % 2 ? ['crop=trunc(iw/2)*2:trunc(ih/2)*2:0:0'] : [];
    return { options: ['-c:v', 'libx264', '-preset', preset, '-crf', crf, '-pix_fmt', 'yuv420p'], filters };
  }
  const index = X264_PRESETS.indexOf(preset);
  const [deadline, cpuUsed] = index <= 2 ? ['realtime', 8] : index <= 4 ? ['good', 4] : index === 5 ? ['good', 2] : ['good', 1];
  return { options: ['-c:v', 'libvpx-vp9', '-crf', crf, '-b:v', '0', '-deadline', deadline, '-cpu-used', String(cpuUsed), '-row-mt', '1', '-pix_fmt', 'yuv420p'], filters: [] };
}

/** How SaveVideo encodes sound in each container. */
export function audioCodecOptions(format: VideoFormat): string[] {
  return format === 'webm' ? ['-c:a', 'libopus', '-b:a', '128k'] : ['-c:a', 'aac', '-b:a', '192k'];
}

/** Options of the container (mp4 keeps custom tags such as the prompt and workflow). */
export function containerOptions(format: VideoFormat): string[] {
  return format === 'mp4' ? ['-movflags', 'use_metadata_tags'] : [];
}

/** Frames for an encoder: chunks of whole raw frames in `pixFmt` (rgb24 unless said otherwise). */
export interface EncoderFrames {
  chunks: AsyncIterable<FrameChunk>;
  pixFmt?: string;
  color?: ColorProperties;
}

/**
 * Writes `frames` to `request.path`. `onProgress` gets the number of frames written so far. On
 * failure or abort, ffmpeg is killed; removing the partial file is the caller's job.
 */
export async function encodeVideo(
  tools: MediaTools,
  request: EncodeVideoRequest,
  frames: EncoderFrames,
  options: { signal?: AbortSignal; onProgress?: (frames: number) => void } = {},
): Promise<number> {
  const codec = codecOptions(request);
  const audioOptions = request.audio ? audioCodecOptions(request.format) : ['-an'];
  return encodeFrames(
    tools,
    {
      path: request.path,
      muxer: request.format,
      width: request.width,
      height: request.height,
      fps: request.fps,
      audio: request.audio,
      metadataFile: request.metadataFile,
      ...(frames.pixFmt && { pixFmt: frames.pixFmt }),
      ...(frames.color && { color: frames.color }),
      outputOptions: [...codec.options, ...(codec.filters.length > 0 ? ['-vf', codec.filters.join(',')] : []), ...audioOptions, ...containerOptions(request.format)],
    },
    frames.chunks,
    options,
  );
}

/** ffmpeg's input options stating the colour of raw frames (what the decoder said of them). */
export function colorInputOptions(color: ColorProperties | undefined): string[] {
  const options: string[] = [];
  if (color?.range) options.push('-color_range', color.range);
  if (color?.space) options.push('-colorspace', color.space);
  if (color?.primaries) options.push('-color_primaries', color.primaries);
  if (color?.transfer) options.push('-color_trc', color.transfer);
  return options;
}

/** A raw encode: raw frames in, whatever `outputOptions` and `muxer` make of them out. */
export interface EncodeFramesRequest {
  path: string;
  /** Pixel format of the frames fed (default rgb24), and their colour when known. */
  pixFmt?: string;
  color?: ColorProperties;
  /** ffmpeg's muxer name (mp4, webm, webp, apng...). */
  muxer: string;
  width: number;
  height: number;
  fps: Rational;
  audio?: ExtraInput;
  metadataFile?: string;
  /** Codec, quality and muxer options (everything after the stream maps). */
  outputOptions: string[];
}

/**
 * Streams `frames` into ffmpeg's stdin as raw video with back-pressure and writes `request.path`;
 * gives the number of frames written. On failure or abort ffmpeg is killed.
 */
export async function encodeFrames(
  tools: MediaTools,
  request: EncodeFramesRequest,
  frames: AsyncIterable<FrameChunk>,
  options: { signal?: AbortSignal; onProgress?: (frames: number) => void } = {},
): Promise<number> {
  const pixFmt = request.pixFmt ?? 'rgb24';
  const frameSize = pixFmt === 'rgb24' ? request.width * request.height * 3 : rawFrameBytes(pixFmt, request.width, request.height);
  if (frameSize === undefined) throw new Error(`raw frames in ${pixFmt} cannot be encoded`);
  // ffmpeg opens the path itself and would follow a link there: it finds our new regular file.
  await reserveFile(request.path);
  const input = new PassThrough({ highWaterMark: frameSize });
  const command = ffmpegCommand(tools)
    .input(input)
    .inputFormat('rawvideo')
    .inputOptions(['-pix_fmt', pixFmt, ...colorInputOptions(request.color), '-video_size', `${request.width}x${request.height}`, '-framerate', formatRational(request.fps)]);
  const maps = ['-map', '0:v:0'];
  let next = 1;
  if (request.audio) {
    command.input(request.audio.path).inputOptions(request.audio.options);
    maps.push('-map', `${next}:${request.audio.stream}`);
    next++;
  }
  if (request.metadataFile) {
    command.input(request.metadataFile).inputFormat('ffmetadata');
    maps.push('-map_metadata', String(next));
  }
  command
    .outputOptions([...maps, ...request.outputOptions])
    .format(request.muxer)
    .output(request.path);

  return feedRawFrames(command, input, frameData(frames), frameSize, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onFrames: options.onProgress } : {}) });
}

async function* frameData(chunks: AsyncIterable<FrameChunk>): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) yield chunk.data;
}

/**
 * Runs `command`, whose first input is `input`, writing `frames` (whole raw frames of
 * `frameSize` bytes) into it with back-pressure; gives the number of frames written. On failure or
 * abort ffmpeg is killed, and when ffmpeg failed first its own reason is the error.
 */
export async function feedRawFrames(
  command: FfmpegCommand,
  input: PassThrough,
  frames: AsyncIterable<Uint8Array>,
  frameSize: number,
  options: { signal?: AbortSignal; onFrames?: (written: number) => void } = {},
): Promise<number> {
  const finished = runCommand(command, options.signal);
  finished.catch(() => {});
  let written = 0;
  try {
    for await (const data of frames) {
      options.signal?.throwIfAborted();
      if (!input.write(data)) {
        const drained = once(input, 'drain').then(() => 'drained' as const);
        if ((await Promise.race([drained, finished.then(() => 'ended' as const)])) === 'ended') {
          throw new EncoderStopped();
        }
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
    throw error instanceof EncoderStopped && reason ? reason : error;
  }
}

class EncoderStopped extends Error {
  constructor() {
    super('the encoder stopped before all frames were written');
  }
}

/** ffmetadata text for container tags (`=`, `;`, `#`, `\` and newlines escaped). */
export function ffmetadata(tags: Record<string, string>): string {
  const escape = (s: string) => s.replace(/[=;#\\\n]/g, (c) => `\\${c}`);
  return `;FFMETADATA1\n${Object.entries(tags)
    .map(([k, v]) => `${escape(k)}=${escape(v)}`)
    .join('\n')}\n`;
}
