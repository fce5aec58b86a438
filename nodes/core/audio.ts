// LoadAudio (any audio or video file in input/) and SaveAudio (FLAC with the prompt in its tags).
import { unlink, writeFile } from 'node:fs/promises';
import type { Audio } from '../../types/data.ts';
import { audioFromFile } from '../../server/media/audio-file.ts';
import { audioAsInput, type PreparedAudio } from '../../server/media/audio-input.ts';
import { inputError } from '../../server/media/errors.ts';
import { ffmpegCommand, ffmpegReason, probeMedia, runCommand } from '../../server/media/ffmpeg.ts';
import { mediaToolsFrom } from '../../server/media/tools.ts';
import { ffmetadata } from '../../server/media/video-encode.ts';
import { InterruptedError } from '../../server/runtime/errors.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { existingFile, fileHashFingerprint, isAudioOrVideoFile, saveMetadata } from './media-files.ts';

export const LoadAudio: NodeDefinition = {
  type: 'LoadAudio',
  displayName: 'Load Audio',
  category: 'audio',
  inputs: {
    required: {
      audio: { type: 'COMBO', options: (env) => env.listFiles('input', isAudioOrVideoFile), extra: { audio_upload: true } },
    },
  },
  outputs: [{ type: 'AUDIO' }],
  isChanged: fileHashFingerprint('audio'),
  validatedInputs: ['audio'],
  validateInputs: ({ audio }, ctx) => (existingFile(ctx.storage, audio) ? true : `Invalid audio file: ${audio}`),
  async execute({ audio }, ctx) {
    const path = existingFile(ctx.storage, audio);
    if (!path) throw inputError('LoadAudio', 'audio', `Invalid audio file: ${audio}`);
    const tools = mediaToolsFrom(ctx.services);
    let probe;
    try {
      probe = await probeMedia(tools, path, false);
    } catch (error) {
      throw inputError('LoadAudio', 'audio', `${audio}: not a readable media file: ${ffmpegReason(error)}`);
    }
    const stream = probe.audio;
    if (!stream || !(stream.sampleRate > 0) || !(stream.channels > 0)) throw inputError('LoadAudio', 'audio', `${audio}: has no audio stream`);
    if (!(stream.durationSeconds > 0)) throw inputError('LoadAudio', 'audio', `${audio}: the audio stream is empty`);
    return [audioFromFile(tools, { path, stream: stream.audioIndex, startSeconds: 0, durationSeconds: stream.durationSeconds }, stream.sampleRate, stream.channels)];
  },
};

export const SaveAudio: NodeDefinition = {
  type: 'SaveAudio',
  displayName: 'Save Audio (FLAC)',
  category: 'audio',
  outputNode: true,
  inputs: {
    required: {
      audio: { type: 'AUDIO' },
      filename_prefix: { type: 'STRING', default: 'audio/ComfyUI' },
    },
    hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
  },
  async execute({ audio, filename_prefix, prompt, extra_pnginfo }, ctx) {
    const a = audio as Audio;
    const tools = mediaToolsFrom(ctx.services);
    const target = ctx.storage.saveTarget('output', filename_prefix, 'flac');
    const scratch: string[] = [];
    const scratchPath = (ext: string) => {
      const path = ctx.storage.saveTarget('temp', 'flashgraph/scratch', ext).fullPath;
      scratch.push(path);
      return path;
    };
    let prepared: PreparedAudio | undefined;
    try {
      const metadataFile = scratchPath('txt');
      await writeFile(metadataFile, ffmetadata(saveMetadata(prompt, extra_pnginfo)), { flag: 'wx' });
      prepared = await audioAsInput(a, () => scratchPath('f32'), { signal: ctx.signal });
      const command = ffmpegCommand(tools)
        .input(prepared.input.path)
        .inputOptions(prepared.input.options)
        .input(metadataFile)
        .inputFormat('ffmetadata')
        .outputOptions(['-map', `0:${prepared.input.stream}`, '-map_metadata', '1', '-c:a', 'flac'])
        .format('flac')
        .output(target.fullPath);
      await runCommand(command, ctx.signal);
    } catch (error) {
      await unlink(target.fullPath).catch(() => {});
      if (error instanceof InterruptedError || ctx.signal.aborted) throw error;
      throw inputError('SaveAudio', 'audio', `encoding ${target.filename} failed: ${ffmpegReason(error)}`);
    } finally {
      await prepared?.cleanup();
      await Promise.all(scratch.map((path) => unlink(path).catch(() => {})));
    }
    return { ui: { audio: [{ filename: target.filename, subfolder: target.subfolder, type: target.type }] } };
  },
};
