// fluent-ffmpeg plumbing shared by the decoders and encoders: a command bound to the discovered
// binaries, probing, and running a command so that an abort (or an early stop of the reader) kills
// the ffmpeg process instead of leaving it behind.
import { execFile } from 'node:child_process';
import ffmpeg from 'fluent-ffmpeg';
import type { FfmpegCommand, FfprobeData } from 'fluent-ffmpeg';
import type { Readable } from 'node:stream';
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
  const probe: MediaProbe = { format: data.format.format_name ?? 'unknown', durationSeconds: Number.isFinite(duration) ? duration : 0 };
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

/** Runs a command to completion; aborting kills ffmpeg and rejects with InterruptedError. */
export function runCommand(command: FfmpegCommand, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError());
    const onAbort = () => command.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (error?: Error) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(new InterruptedError());
      else if (error) reject(error);
      else resolve();
    };
    command.on('error', (error: Error) => done(error));
    command.on('end', () => done());
    command.run();
  });
}

/**
 * Runs a command that writes to stdout and yields what it writes. Leaving the loop early (or an
 * abort) kills ffmpeg; an ffmpeg failure is thrown from the loop.
 */
export async function* readCommandOutput(command: FfmpegCommand, signal?: AbortSignal): AsyncGenerator<Buffer> {
  signal?.throwIfAborted();
  let failure: Error | undefined;
  let finished = false;
  const ended = new Promise<void>((resolve) => {
    command.on('error', (error: Error) => {
      failure ??= error;
      resolve();
    });
    command.on('end', () => {
      finished = true;
      resolve();
    });
  });
  const output = command.pipe() as Readable;
  const onAbort = () => {
    command.kill('SIGKILL');
    output.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const data of output) yield data as Buffer;
    await ended;
    signal?.throwIfAborted();
    if (failure) throw failure;
  } catch (error) {
    if (signal?.aborted) throw new InterruptedError();
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) {
      command.kill('SIGKILL');
      output.destroy();
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
