// Hands an AUDIO to ffmpeg as an extra input: a file-backed one is read in place (cut with
// -ss/-t), one held in memory is written once as raw float samples to a scratch file.
import { unlink, writeFile } from 'node:fs/promises';
import type { Audio } from '../../types/data.ts';
import { audioInputOptions } from './audio-file.ts';
import type { ExtraInput } from './video-encode.ts';

export interface PreparedAudio {
  input: ExtraInput;
  cleanup(): Promise<void>;
}

export async function audioAsInput(
  audio: Audio,
  scratchPath: () => string,
  options: { maxSeconds?: number; signal?: AbortSignal } = {},
): Promise<PreparedAudio> {
  const seconds = Math.min(audio.durationSeconds, options.maxSeconds ?? Infinity);
  if (audio.file) {
    return {
      input: { path: audio.file.path, options: audioInputOptions({ ...audio.file, durationSeconds: seconds }), stream: `a:${audio.file.stream}` },
      cleanup: async () => {},
    };
  }
  const waveform = await audio.waveform({ signal: options.signal });
  const channels = waveform.shape[1]!;
  const samples = waveform.shape[2]!;
  const interleaved = new Float32Array(samples * channels);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < samples; i++) interleaved[i * channels + c] = waveform.data[c * samples + i]!;
  }
  const path = scratchPath();
  await writeFile(path, new Uint8Array(interleaved.buffer), { flag: 'wx' });
  return {
    input: {
      path,
      options: ['-f', 'f32le', '-ar', String(audio.sampleRate), '-ac', String(channels), '-t', seconds.toFixed(6)],
      stream: 'a:0',
    },
    cleanup: () => unlink(path).catch(() => {}),
  };
}
