// fluent-ffmpeg plumbing shared by the decoders and encoders: a command bound to the discovered
// binaries, probing, and running a command so that an abort (or an early stop of the reader) kills
// the ffmpeg process instead of leaving it behind.
import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import ffmpeg from 'fluent-ffmpeg';
import type { FfmpegCommand, FfprobeData } from 'fluent-ffmpeg';
import { PassThrough, type Readable } from 'node:stream';
import type { ColorProperties } from '../../types/data.ts';
import { InterruptedError } from '../runtime/errors.ts';
import type { MediaTools } from './tools.ts';

export function ffmpegCommand(tools: MediaTools): FfmpegCommand {
  // fluent-ffmpeg keeps binary paths per module, not per command: setting them here keeps every
  // command on the discovered binaries.
  return ffmpeg().setFfmpegPath(tools.ffmpeg).setFfprobePath(tools.ffprobe);
}

/** ffmpeg's own explanation of a failure, without the command-line noise. */
export function ffmpegReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(ffprobe|ffmpeg) (version|exited)|^built with|^configuration:|^lib\w+ +\d/.test(l));
  const reason = lines.find((l) => /invalid|error|not found|unsupported|no such|could not|unknown|failed|truncat|end of file/i.test(l));
  // "[mov,mp4,m4a @ 0x55...] moov atom not found" -> "moov atom not found"
  return (reason ?? lines.at(-1) ?? message).replace(/^Error: /, '').replace(/^\[[^\]]* @ 0x[0-9a-f]+\] /, '').slice(0, 300);
}

export interface VideoStreamInfo {
  index: number;
  codec: string;
  width: number;
  height: number;
  /** Average frame rate as ffprobe reports it ("30000/1001"). */
  rate: string | undefined;
  /** Packets in the stream: one per frame for every video codec we decode. */
  packets: number;
  /** The decoder's pixel format ("yuv420p", "rgba", "yuva420p"...), when ffprobe reports one. */
  pixFmt?: string;
  /** Colour range, matrix, primaries and transfer, where the stream states them. */
  color: ColorProperties;
}

export interface AudioStreamInfo {
  /** Index among the file's audio streams (ffmpeg's `0:a:N`). */
  audioIndex: number;
  codec: string;
  sampleRate: number;
  channels: number;
  durationSeconds: number;
}

export interface MediaProbe {
  format: string;
  durationSeconds: number;
  /** The container's tags (title, encoder, comment...). */
  tags: Record<string, string>;
  video?: VideoStreamInfo;
  audio?: AudioStreamInfo;
}

function probeRaw(tools: MediaTools, path: string, options: string[]): Promise<FfprobeData> {
  return new Promise((resolve, reject) => {
    ffmpegCommand(tools);
    ffmpeg.ffprobe(path, options, (error, data) => (error ? reject(error) : resolve(data)));
  });
}

/** Streams and timing of a media file; counts video packets (a demux, no decoding). */
export async function probeMedia(tools: MediaTools, path: string, countPackets = true): Promise<MediaProbe> {
  const data = await probeRaw(tools, path, countPackets ? ['-count_packets'] : []);
  const number = (v: unknown) => (typeof v === 'number' ? v : Number(v));
  const duration = number(data.format.duration);
  const tags = Object.fromEntries(Object.entries(data.format.tags ?? {}).map(([k, v]) => [k, String(v)]));
  const probe: MediaProbe = { format: data.format.format_name ?? 'unknown', durationSeconds: Number.isFinite(duration) ? duration : 0, tags };
  const video = data.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (video) {
    probe.video = {
      index: video.index,
      codec: video.codec_name ?? 'unknown',
      width: number(video.width),
      height: number(video.height),
      rate: video.avg_frame_rate && video.avg_frame_rate !== '0/0' ? video.avg_frame_rate : video.r_frame_rate,
      packets: number((video as { nb_read_packets?: unknown }).nb_read_packets ?? video.nb_frames),
      ...(typeof video.pix_fmt === 'string' && { pixFmt: video.pix_fmt }),
      color: colorOf(video as Record<string, unknown>),
    };
  }
  const audioStreams = data.streams.filter((s) => s.codec_type === 'audio');
  const audio = audioStreams[0];
  if (audio) {
    const seconds = number(audio.duration);
    probe.audio = {
      audioIndex: 0,
      codec: audio.codec_name ?? 'unknown',
      sampleRate: number(audio.sample_rate),
      channels: number(audio.channels),
      durationSeconds: Number.isFinite(seconds) ? seconds : probe.durationSeconds,
    };
  }
  return probe;
}

/** The colour properties ffprobe states for a stream ("unknown" and "reserved" are left out). */
function colorOf(stream: Record<string, unknown>): ColorProperties {
  const known = (value: unknown) => (typeof value === 'string' && value !== '' && value !== 'unknown' && value !== 'reserved' ? value : undefined);
  const color: { -readonly [K in keyof ColorProperties]: string } = {};
  const range = known(stream.color_range);
  const space = known(stream.color_space);
  const primaries = known(stream.color_primaries);
  const transfer = known(stream.color_transfer);
  if (range) color.range = range;
  if (space) color.space = space;
  if (primaries) color.primaries = primaries;
  if (transfer) color.transfer = transfer;
  return color;
}

/**
 * How a command finished: its error, if any, once fluent-ffmpeg reported the end AND its ffmpeg
 * process (when one was started) has exited. fluent-ffmpeg may report an error before the process
 * is gone (a closed pipe is reported first, the process killed 20 ms later), and a caller that went
 * on at that point could finish a prompt, or `graph run`, with ffmpeg still alive.
 */
function commandFinished(command: FfmpegCommand): Promise<Error | undefined> {
  let exited: Promise<unknown> = Promise.resolve();
  command.on('start', () => {
    const child = (command as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
    if (child && child.exitCode === null && child.signalCode === null) exited = once(child, 'exit').catch(() => undefined);
  });
  return new Promise((resolve) => {
    command.on('error', (error: Error) => void exited.then(() => resolve(error)));
    command.on('end', () => void exited.then(() => resolve(undefined)));
  });
}

/** Runs a command to completion; aborting kills ffmpeg and rejects with InterruptedError. */
export async function runCommand(command: FfmpegCommand, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw new InterruptedError();
  const onAbort = () => command.kill('SIGKILL');
  signal?.addEventListener('abort', onAbort, { once: true });
  const finished = commandFinished(command);
  command.run();
  const error = await finished;
  signal?.removeEventListener('abort', onAbort);
  if (signal?.aborted) throw new InterruptedError();
  if (error) throw error;
}

/**
 * Runs a command that writes to stdout and yields what it writes. Leaving the loop early (or an
 * abort) kills ffmpeg and waits for it to exit; an ffmpeg failure is thrown from the loop.
 */
export async function* readCommandOutput(command: FfmpegCommand, signal?: AbortSignal): AsyncGenerator<Buffer> {
  signal?.throwIfAborted();
  let settled = false;
  const finished = commandFinished(command).then((error) => {
    settled = true;
    return error;
  });
  // fluent-ffmpeg takes a 'close' of its output stream for a reader that gave up: it reports
  // "Output stream closed" and kills ffmpeg 20 ms later, unless ffmpeg's exit was noticed first. A
  // stream that closes itself once read to its end (autoDestroy) would race ffmpeg's own exit, and
  // lose under load; this one closes only when the reader stops early (destroyed below).
  const output = command.pipe(new PassThrough({ autoDestroy: false })) as Readable;
  const stop = () => {
    command.kill('SIGKILL');
    output.destroy();
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const data of output) yield data as Buffer;
    const failure = await finished;
    signal?.throwIfAborted();
    if (failure) throw failure;
  } catch (error) {
    if (signal?.aborted) throw new InterruptedError();
    throw error;
  } finally {
    signal?.removeEventListener('abort', stop);
    if (!settled) {
      stop();
      await finished;
    }
  }
}

const encoderLists = new Map<string, Promise<Set<string>>>();

/** The names of the encoders an ffmpeg binary was built with (`ffmpeg -encoders`), cached per binary. */
export function ffmpegEncoders(tools: MediaTools): Promise<Set<string>> {
  let list = encoderLists.get(tools.ffmpeg);
  if (!list) {
    list = new Promise((resolve, reject) => {
      execFile(tools.ffmpeg, ['-hide_banner', '-encoders'], { maxBuffer: 1 << 22 }, (error, stdout) => {
        if (error) return reject(error);
        // " V....D libwebp_anim         libwebp WebP image"
        const names = stdout.split('\n').flatMap((line) => /^ [VAS][A-Z.]{5} (\S+)/.exec(line)?.[1] ?? []);
        resolve(new Set(names));
      });
    });
    list.catch(() => encoderLists.delete(tools.ffmpeg));
    encoderLists.set(tools.ffmpeg, list);
  }
  return list;
}
