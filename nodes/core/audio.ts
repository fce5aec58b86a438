// LoadAudio (any audio or video file in input/), SaveAudio (FLAC with the prompt in its tags) and
// PreviewAudio (the same FLAC in the temp folder).
import { unlink, writeFile } from 'node:fs/promises';
import type { FileRef } from '../../types/api.ts';
import type { Audio } from '../../types/data.ts';
import { audioFromFile } from '../../server/media/audio-file.ts';
import { audioAsInput, type PreparedAudio } from '../../server/media/audio-input.ts';
import { inputError } from '../../server/media/errors.ts';
import { ffmpegCommand, ffmpegReason, probeMedia, runCommand } from '../../server/media/ffmpeg.ts';
import { mediaToolsFrom } from '../../server/media/tools.ts';
import { ffmetadata } from '../../server/media/video-encode.ts';
import { InterruptedError } from '../../server/runtime/errors.ts';
import type { NodeContext, NodeDefinition } from '../../server/runtime/schema.ts';
import { existingFile, fileHashFingerprint, isAudioOrVideoFile, saveMetadata, tempFilePrefix } from './media-files.ts';
import { reserveFile } from '../../server/storage/safe-write.ts';

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

/**
 * Encodes `audio` as one FLAC file (tags: the prompt and workflow) in `folder`; SaveAudio and
 * PreviewAudio differ only in the folder and the file name prefix. Returns the UI entry.
 */
async function saveFlac(
  node: string,
  audio: Audio,
  folder: 'output' | 'temp',
  filenamePrefix: string,
  texts: Record<string, string>,
  ctx: NodeContext,
): Promise<FileRef> {
  const tools = mediaToolsFrom(ctx.services);
  const target = ctx.storage.saveTarget(folder, filenamePrefix, 'flac');
  const scratch: string[] = [];
  const scratchPath = (ext: string) => {
    const path = ctx.storage.saveTarget('temp', 'flashgraph/scratch', ext).fullPath;
    scratch.push(path);
    return path;
  };
  let prepared: PreparedAudio | undefined;
  try {
    const metadataFile = scratchPath('txt');
    await writeFile(metadataFile, ffmetadata(texts), { flag: 'wx' });
    prepared = await audioAsInput(audio, () => scratchPath('f32'), { signal: ctx.signal });
    await reserveFile(target.fullPath);
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
    throw inputError(node, 'audio', `encoding ${target.filename} failed: ${ffmpegReason(error)}`);
  } finally {
    await prepared?.cleanup();
    await Promise.all(scratch.map((path) => unlink(path).catch(() => {})));
  }
  return { filename: target.filename, subfolder: target.subfolder, type: target.type };
}

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
    const file = await saveFlac('SaveAudio', audio as Audio, 'output', filename_prefix, saveMetadata(prompt, extra_pnginfo), ctx);
    return { ui: { audio: [file] } };
  },
};

/**
 * PreviewAudio: SaveAudio's FLAC in the temp folder under a random `ComfyUI_temp_xxxxx` prefix.
 * Like ComfyUI's (comfy_extras/nodes_audio.py, a subclass of SaveAudio) it has no outputs.
 */
export const PreviewAudio: NodeDefinition = {
  type: 'PreviewAudio',
  displayName: 'Preview Audio',
  description: 'Plays the audio in the UI without saving it to the output folder.',
  category: 'audio',
  outputNode: true,
  inputs: {
    required: { audio: { type: 'AUDIO' } },
    hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
  },
  async execute({ audio, prompt, extra_pnginfo }, ctx) {
    if (!audio) throw inputError('PreviewAudio', 'audio', 'no audio reached this input (a video without a sound track gives none)');
    const file = await saveFlac('PreviewAudio', audio as Audio, 'temp', tempFilePrefix(), saveMetadata(prompt, extra_pnginfo), ctx);
    return { ui: { audio: [file] } };
  },
};
