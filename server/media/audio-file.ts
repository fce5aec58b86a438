// AUDIO backed by a stretch of a media file: decoded to float only when a node asks for the
// waveform; encoders read the file directly.
import type { Audio, AudioFileSource, Tensor } from '../../types/data.ts';
import { ffmpegCommand, readCommandOutput } from './ffmpeg.ts';
import type { MediaTools } from './tools.ts';

export function audioFromFile(tools: MediaTools, source: AudioFileSource, sampleRate: number, channels: number): Audio {
  return {
    type: 'AUDIO',
    sampleRate,
    channels,
    durationSeconds: source.durationSeconds,
    file: source,
    waveform: (options = {}) => decodeWaveform(tools, source, sampleRate, channels, options.signal),
    describe: () => `AUDIO ${channels}ch ${sampleRate} Hz ${source.durationSeconds.toFixed(3)} s`,
  };
}

/** Input options that cut `source` to its stretch. */
export function audioInputOptions(source: AudioFileSource): string[] {
  const options: string[] = [];
  if (source.startSeconds > 0) options.push('-ss', source.startSeconds.toFixed(6));
  options.push('-t', source.durationSeconds.toFixed(6));
  return options;
}

async function decodeWaveform(
  tools: MediaTools,
  source: AudioFileSource,
  sampleRate: number,
  channels: number,
  signal?: AbortSignal,
): Promise<Tensor<Float32Array>> {
  const command = ffmpegCommand(tools)
    .input(source.path)
    .inputOptions(audioInputOptions(source))
    .outputOptions(['-map', `0:a:${source.stream}`, '-vn', '-sn', '-ac', String(channels), '-ar', String(sampleRate), '-acodec', 'pcm_f32le'])
    .format('f32le');
  const parts: Buffer[] = [];
  for await (const data of readCommandOutput(command, signal)) parts.push(data);
  const bytes = Buffer.concat(parts);
  const frames = Math.floor(bytes.length / (4 * channels));
  // Copied so the floats are 4-byte aligned whatever offset Buffer.concat's pool gave.
  const interleaved = new Float32Array(new Uint8Array(bytes.subarray(0, frames * channels * 4)).buffer);
  const planar = new Float32Array(frames * channels);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) planar[c * frames + i] = interleaved[i * channels + c]!;
  }
  return { data: planar, shape: [1, channels, frames] };
}
