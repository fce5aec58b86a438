// "Video Slice" (ComfyUI's class name has the space): a time window of a VIDEO, frames and sound.
// The frames stay lazy (a slice of the source's stream: decoding stops after the window), and sound
// from a file stays a stretch of that file.
//
// One difference from ComfyUI: a video built from frames (CreateVideo) is re-encoded there before it
// is cut, and a window running past its end is refused even without strict_duration. Here such a
// video is cut like one from a file: exact frames, and the window shortened.
import { audioFromWaveform, sliceImage, videoFromComponents, type Audio, type Tensor, type Video } from '../../types/data.ts';
import { audioFromFile } from '../../server/media/audio-file.ts';
import { inputError } from '../../server/media/errors.ts';
import { mediaToolsFrom, type MediaTools } from '../../server/media/tools.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';

/** Float noise allowance when a time lands on a frame boundary (0.3 s * 10 fps = 3.0000000000000004). */
const EPSILON = 1e-9;

/** `audio` from `start` seconds for `seconds` (to its end when undefined); null when nothing is left. */
export function trimAudio(audio: Audio, start: number, seconds: number | undefined, tools: () => MediaTools): Audio | null {
  const length = Math.min(seconds ?? Infinity, audio.durationSeconds - start);
  if (!(length > EPSILON)) return null;
  if (audio.file) {
    const file = audio.file;
    return audioFromFile(tools(), { ...file, startSeconds: file.startSeconds + start, durationSeconds: length }, audio.sampleRate, audio.channels);
  }
  // In memory: cut the samples when a node asks for them. ComfyUI skips int(start * rate) samples
  // and keeps int(duration * rate).
  const rate = audio.sampleRate;
  const skip = Math.floor(start * rate + EPSILON);
  let cut: Promise<Tensor<Float32Array>> | undefined;
  const trimmed: Audio = {
    type: 'AUDIO',
    sampleRate: rate,
    channels: audio.channels,
    durationSeconds: length,
    waveform: (options) =>
      (cut ??= audio.waveform(options).then((whole) => {
        const [, channels, samples] = whole.shape as [number, number, number];
        const keep = Math.max(0, Math.min(samples - skip, seconds === undefined ? Infinity : Math.floor(seconds * rate + EPSILON)));
        const data = new Float32Array(channels * keep);
        for (let c = 0; c < channels; c++) data.set(whole.data.subarray(c * samples + skip, c * samples + skip + keep), c * keep);
        return audioFromWaveform({ data, shape: [1, channels, keep] }, rate).waveform();
      })),
    describe: () => `AUDIO ${audio.channels}ch ${rate} Hz ${length.toFixed(3)} s (from ${start.toFixed(3)} s of ${audio.describe()})`,
  };
  return trimmed;
}

export const VideoSlice: NodeDefinition = {
  type: 'Video Slice',
  displayName: 'Video Slice',
  category: 'image/video',
  inputs: {
    required: {
      video: { type: 'VIDEO' },
      start_time: { type: 'FLOAT', default: 0, min: -1e5, max: 1e5, step: 0.001, tooltip: 'Where the slice starts, in seconds; a negative time counts back from the end.' },
      duration: { type: 'FLOAT', default: 0, min: 0, step: 0.001, tooltip: 'Length of the slice in seconds; 0 runs to the end.' },
      strict_duration: { type: 'BOOLEAN', default: false, tooltip: 'Fail instead of returning a shorter slice when the video ends before the duration is reached.' },
    },
  },
  outputs: [{ type: 'VIDEO' }],
  execute({ video, start_time, duration, strict_duration }, ctx) {
    const v = video as Video;
    const total = v.durationSeconds;
    // ComfyUI's VideoFromFile window: a negative start counts from the end (clamped at 0).
    const start = start_time < 0 ? Math.max(total + start_time, 0) : start_time;
    const available = start_time < 0 ? Math.min(total, -start_time) : total - start;
    const describe = `the ${total.toFixed(3)} s video (${v.frameCount} frames at ${v.fps.num}/${v.fps.den} fps)`;
    if (strict_duration && duration > 0 && available < duration - EPSILON) {
      throw inputError('Video Slice', 'duration', `${duration} s from ${start.toFixed(3)} s is longer than what is left of ${describe}`);
    }
    // Frame k shows from k / fps; the slice keeps frames starting in [start, start + duration).
    // ComfyUI compares decoder timestamps the same way (pts >= start, pts < end).
    const perSecond = v.fps.num / v.fps.den;
    const first = Math.max(0, Math.ceil(start * perSecond - EPSILON));
    const end = duration > 0 ? Math.min(v.frameCount, Math.ceil((start + duration) * perSecond - EPSILON)) : v.frameCount;
    if (end <= first) {
      const input = start >= total ? 'start_time' : 'duration';
      throw inputError('Video Slice', input, `the window from ${start.toFixed(3)} s ${duration > 0 ? `for ${duration} s ` : ''}holds no frame of ${describe}`);
    }
    if (first === 0 && end === v.frameCount && (duration === 0 || !v.audio || v.audio.durationSeconds <= duration)) return [v];
    const images = sliceImage(v.images, first, end - first);
    const audio = v.audio ? trimAudio(v.audio, start, duration > 0 ? duration : undefined, () => mediaToolsFrom(ctx.services)) : null;
    return [videoFromComponents(images, v.fps, audio)];
  },
};
