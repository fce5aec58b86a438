// VHS_LoadAudio (a typed path) and VHS_LoadAudioUpload (a file of the input folder): AUDIO backed
// by the file (decoded only when a node asks for samples) and the loaded duration in seconds.
import { audioFromFile } from '../../server/media/audio-file.ts';
import { inputError } from '../../server/media/errors.ts';
import { ffmpegReason, probeMedia } from '../../server/media/ffmpeg.ts';
import { mediaToolsFrom } from '../../server/media/tools.ts';
import type { NodeContext, NodeDefinition } from '../../server/runtime/schema.ts';
import { CATEGORY, pathInputHooks, resolvePathInput, resolveUploadInput, stripPath, uploadInputHooks } from './common.ts';

const AUDIO_CATEGORY = `${CATEGORY}/audio`;
/** VHS_LoadAudioUpload lists these extensions only. */
const UPLOAD_EXTENSIONS = ['mp3', 'mp4', 'wav', 'ogg'];
const PATH_EXTENSIONS = ['wav', 'mp3', 'ogg', 'm4a', 'flac'];
const timestamp = (extra: Record<string, unknown> = {}) => ({ type: 'FLOAT' as const, default: 0, min: 0, max: 10000000, step: 0.01, extra: { widgetType: 'VHSTIMESTAMP', ...extra } });

async function loadAudio(node: string, input: string, path: string, label: string, start: number, duration: number, ctx: NodeContext) {
  const tools = mediaToolsFrom(ctx.services);
  let probe;
  try {
    probe = await probeMedia(tools, path, false);
  } catch (error) {
    throw inputError(node, input, `${label}: not a readable media file: ${ffmpegReason(error)}`);
  }
  const stream = probe.audio;
  if (!stream || !(stream.sampleRate > 0) || !(stream.channels > 0)) throw inputError(node, input, `${label}: has no audio stream`);
  const available = stream.durationSeconds - Math.max(0, start);
  const seconds = duration > 0 ? Math.min(duration, available) : available;
  if (!(seconds > 0)) throw inputError(node, input, `${label}: nothing to load from ${start} s (the audio lasts ${stream.durationSeconds.toFixed(3)} s)`);
  const audio = audioFromFile(tools, { path, stream: stream.audioIndex, startSeconds: Math.max(0, start), durationSeconds: seconds }, stream.sampleRate, stream.channels);
  return [audio, seconds];
}

export const VHS_LoadAudio: NodeDefinition = {
  type: 'VHS_LoadAudio',
  displayName: `Load Audio (Path)🎥🅥🅗🅢`,
  category: AUDIO_CATEGORY,
  inputs: {
    required: { audio_file: { type: 'STRING', default: 'input/', extra: { vhs_path_extensions: PATH_EXTENSIONS } } },
    optional: {
      seek_seconds: { type: 'FLOAT', default: 0, min: 0, extra: { widgetType: 'VHSTIMESTAMP' } },
      duration: timestamp(),
    },
  },
  outputs: [
    { type: 'AUDIO', name: 'audio' },
    { type: 'FLOAT', name: 'duration' },
  ],
  ...pathInputHooks('audio_file'),
  async execute({ audio_file, seek_seconds, duration }, ctx) {
    const path = resolvePathInput('VHS_LoadAudio', 'audio_file', audio_file, ctx);
    return loadAudio('VHS_LoadAudio', 'audio_file', path, stripPath(audio_file), seek_seconds ?? 0, duration ?? 0, ctx);
  },
};

export const VHS_LoadAudioUpload: NodeDefinition = {
  type: 'VHS_LoadAudioUpload',
  displayName: `Load Audio (Upload)🎥🅥🅗🅢`,
  category: AUDIO_CATEGORY,
  inputs: {
    required: {
      audio: {
        type: 'COMBO',
        options: (env) =>
          env.listFiles('input', (name) => {
            const parts = name.split('.');
            return !name.includes('/') && parts.length > 1 && UPLOAD_EXTENSIONS.includes(parts.at(-1)!);
          }),
      },
    },
    optional: { start_time: timestamp(), duration: timestamp() },
  },
  outputs: [
    { type: 'AUDIO', name: 'audio' },
    { type: 'FLOAT', name: 'duration' },
  ],
  ...uploadInputHooks('audio', 'audio'),
  async execute({ audio, start_time, duration }, ctx) {
    const { path, name } = resolveUploadInput('VHS_LoadAudioUpload', 'audio', 'audio', audio, ctx);
    return loadAudio('VHS_LoadAudioUpload', 'audio', path, name, start_time ?? 0, duration ?? 0, ctx);
  },
};
