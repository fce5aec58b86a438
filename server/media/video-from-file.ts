// Saving a VIDEO whose frames are a file's video stream, untouched (IMAGE.file): ffmpeg reads that
// file itself, so no frame passes through Node. When the container and codec allow it the packets
// are copied, as ComfyUI's VideoFromFile.save_to reuses the streams; otherwise one ffmpeg decodes
// and encodes, as the ffmpeg CLI would.
import { formatRational, type Audio, type FrameFileSource, type Rational } from '../../types/data.ts';
import { ffmpegCommand, runCommand, type MediaProbe } from './ffmpeg.ts';
import type { MediaTools } from './tools.ts';
import { audioCodecOptions, codecOptions, containerOptions, type EncoderPreset, type ExtraInput, type VideoCodec, type VideoFormat } from './video-encode.ts';
import { reserveFile } from '../storage/safe-write.ts';

/** The codecs (ffprobe's names) each container we write takes as they are. */
const CONTAINER_CODECS: Record<VideoFormat, { video: readonly string[]; audio: readonly string[] }> = {
  mp4: { video: ['h264', 'hevc', 'av1', 'vp9', 'mpeg4'], audio: ['aac', 'mp3', 'ac3', 'eac3', 'alac'] },
  webm: { video: ['vp8', 'vp9', 'av1'], audio: ['opus', 'vorbis'] },
};

export function containerHolds(format: VideoFormat, kind: 'video' | 'audio', codec: string): boolean {
  return CONTAINER_CODECS[format][kind].includes(codec);
}

/**
 * Whether SaveVideo may copy the source's video packets. ComfyUI reuses the streams unless a
 * format is asked for that the source container is not, or a codec that the source codec is not
 * (comfy_api/latest/_input_impl/video_types.py, VideoFromFile.save_to). FlashGraph adds two
 * conditions: no crf was given (a quality asks for an encode), and the file we write can hold the
 * codec as it is.
 */
export function mayCopyVideo(source: FrameFileSource, asked: { format: string; codec: string; crf?: number }, target: VideoFormat): boolean {
  if (asked.format !== 'auto' && !source.container.split(',').includes(asked.format)) return false;
  if (asked.codec !== 'auto' && asked.codec !== source.codec) return false;
  if (asked.crf !== undefined && asked.crf >= 0) return false;
  return containerHolds(target, 'video', source.codec);
}

/** The file's stream when a VIDEO shows exactly its frames at its rate; otherwise undefined. */
export function untouchedStream(video: { images: { file?: FrameFileSource }; fps: Rational }): FrameFileSource | undefined {
  const file = video.images.file;
  return file && file.fps.num === video.fps.num && file.fps.den === video.fps.den ? file : undefined;
}

/**
 * Whether `audio` is the source file's first sound stream from its start to the end of the video
 * or of the sound (what LoadVideo gives): a copy takes that stream whole, as ComfyUI does.
 */
export function isSourceAudio(audio: Audio, source: FrameFileSource, probe: MediaProbe, videoSeconds: number): boolean {
  const file = audio.file;
  if (!file || !probe.audio || file.path !== source.path || file.stream !== probe.audio.audioIndex || file.startSeconds !== 0) return false;
  return audio.durationSeconds >= Math.min(videoSeconds, probe.audio.durationSeconds) - 1e-3;
}

export interface FromFileJob {
  path: string;
  format: VideoFormat;
  source: FrameFileSource;
  /** Absent: copy the video packets. Present: encode with these settings. */
  encode?: { codec: VideoCodec; crf?: number; preset?: EncoderPreset; width: number; height: number; fps: Rational };
  /**
   * Sound: the source file's own audio stream N (`{ sourceStream, copy }`: its packets copied, or
   * encoded), or another input to encode; none when absent.
   */
  audio?: { sourceStream: number; copy: boolean } | ExtraInput;
  /** An ffmetadata file with the container tags. */
  metadataFile: string;
}

/** Writes `job.path` from the source file with one ffmpeg; `onProgress` gets frames written so far. */
export async function saveFromFile(tools: MediaTools, job: FromFileJob, options: { signal?: AbortSignal; onProgress?: (frames: number) => void } = {}): Promise<void> {
  // ffmpeg opens the path itself and would follow a link there: it finds our new regular file.
  await reserveFile(job.path);
  const command = ffmpegCommand(tools).input(job.source.path);
  const maps = ['-map', `0:${job.source.stream}`];
  const audioOptions: string[] = [];
  let next = 1;
  if (!job.audio) audioOptions.push('-an');
  else if ('sourceStream' in job.audio) {
    maps.push('-map', `0:a:${job.audio.sourceStream}`);
    audioOptions.push(...(job.audio.copy ? ['-c:a', 'copy'] : audioCodecOptions(job.format)));
  } else {
    command.input(job.audio.path).inputOptions(job.audio.options);
    maps.push('-map', `${next++}:${job.audio.stream}`);
    audioOptions.push(...audioCodecOptions(job.format));
  }
  command.input(job.metadataFile).inputFormat('ffmetadata');
  maps.push('-map_metadata', String(next));

  let videoOptions = ['-c:v', 'copy'];
  if (job.encode) {
    const codec = codecOptions(job.encode);
    const { num, den } = job.encode.fps;
    // Frame k at k / fps, as frames piped in at that rate would be: one output frame per source
    // frame (passthrough), whatever the source's timestamps.
    const filters = [`setpts=N*${den}/${num}/TB`, ...codec.filters];
    videoOptions = [...codec.options, '-vf', filters.join(','), '-vsync', 'passthrough', '-r', formatRational(job.encode.fps)];
  }
  command
    .outputOptions([...maps, '-sn', '-dn', ...videoOptions, ...audioOptions, ...containerOptions(job.format)])
    .format(job.format)
    .output(job.path);
  // ffmpeg's own "frame=  N" lines (not fluent-ffmpeg's 'progress' event, which starts an ffprobe of
  // the input that nobody waits for).
  const onProgress = options.onProgress;
  if (onProgress) {
    command.on('stderr', (line: string) => {
      const frames = /^frame=\s*(\d+)/.exec(line)?.[1];
      if (frames) onProgress(Number(frames));
    });
  }
  await runCommand(command, options.signal);
}
