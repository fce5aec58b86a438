// Video nodes with ComfyUI's names and schemas (LoadVideo, GetVideoComponents, CreateVideo,
// SaveVideo). Frames stream from the decoder through the graph into the encoder. The options
// FlashGraph adds (frame selection and resizing on load; webm, vp9, quality and speed on save)
// live on its own classes in flashgraph-video.ts, which share this code.
import { writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { rationalFromNumber, rationalValue, videoFromComponents, type Video } from '../../types/data.ts';
import { audioAsInput, type PreparedAudio } from '../../server/media/audio-input.ts';
import { inputError } from '../../server/media/errors.ts';
import { ffmpegReason, probeMedia } from '../../server/media/ffmpeg.ts';
import { mediaToolsFrom } from '../../server/media/tools.ts';
import { encodeVideo, ffmetadata, type EncoderPreset, type VideoCodec, type VideoFormat } from '../../server/media/video-encode.ts';
import { openVideoFile, type VideoLoadSettings } from '../../server/media/video-file.ts';
import { containerHolds, isSourceAudio, mayCopyVideo, saveFromFile, untouchedStream } from '../../server/media/video-from-file.ts';
import { InterruptedError } from '../../server/runtime/errors.ts';
import type { UiOutput } from '../../types/api.ts';
import type { ComboInput, InputSpec, NodeContext, NodeDefinition, NodeInputs } from '../../server/runtime/schema.ts';
import { existingFile, isVideoFile, saveMetadata } from './media-files.ts';

/** The `file` combo of the video loaders: videos of the input folder, with the upload button. */
export const videoFileInput: ComboInput = { type: 'COMBO', options: (env) => env.listFiles('input', isVideoFile), extra: { video_upload: true } };

/** The loaders' hooks: ComfyUI fingerprints videos by modification time (hashing gigabytes would be slow). */
export const videoFileHooks: Pick<NodeDefinition, 'isChanged' | 'validatedInputs' | 'validateInputs'> = {
  isChanged: ({ file }, ctx) => {
    const path = existingFile(ctx.storage, file);
    if (!path) return NaN;
    const stat = statSync(path);
    return `${stat.mtimeMs}:${stat.size}`;
  },
  validatedInputs: ['file'],
  validateInputs: ({ file }, ctx) => (existingFile(ctx.storage, file) ? true : `Invalid video file: ${file}`),
};

/** Opens the input `file` for node class `node` as a VIDEO, with FlashGraph's load settings if any. */
export async function loadVideoFile(node: string, file: string, settings: VideoLoadSettings, ctx: NodeContext): Promise<Video> {
  const path = existingFile(ctx.storage, file);
  if (!path) throw inputError(node, 'file', `Invalid video file: ${file}`);
  return openVideoFile(mediaToolsFrom(ctx.services), path, settings, (reason) => inputError(node, 'file', `${file}: ${reason}`), `${node} input "file" (${file})`);
}

export const LoadVideo: NodeDefinition = {
  type: 'LoadVideo',
  displayName: 'Load Video',
  description: 'Loads a video from the input folder. Frames are decoded when a downstream node reads them.',
  category: 'image/video',
  inputs: { required: { file: videoFileInput } },
  outputs: [{ type: 'VIDEO' }],
  ...videoFileHooks,
  execute: async ({ file }, ctx) => [await loadVideoFile('LoadVideo', file, {}, ctx)],
};

export const GetVideoComponents: NodeDefinition = {
  type: 'GetVideoComponents',
  displayName: 'Get Video Components',
  description: 'Extracts all components from a video: frames, audio, and framerate.',
  category: 'image/video',
  inputs: { required: { video: { type: 'VIDEO', tooltip: 'The video to extract components from.' } } },
  outputs: [
    { type: 'IMAGE', name: 'images' },
    { type: 'AUDIO', name: 'audio' },
    { type: 'FLOAT', name: 'fps' },
  ],
  execute: ({ video }) => {
    const v = video as Video;
    return [v.images, v.audio, rationalValue(v.fps)];
  },
};

export const CreateVideo: NodeDefinition = {
  type: 'CreateVideo',
  displayName: 'Create Video',
  description: 'Create a video from images.',
  category: 'image/video',
  inputs: {
    required: {
      images: { type: 'IMAGE', tooltip: 'The images to create a video from.' },
      fps: { type: 'FLOAT', default: 30, min: 1, max: 120, step: 1 },
    },
    optional: { audio: { type: 'AUDIO', tooltip: 'The audio to add to the video.' } },
  },
  outputs: [{ type: 'VIDEO' }],
  execute: ({ images, fps, audio }) => [videoFromComponents(images, rationalFromNumber(fps), audio ?? null)],
};

function chooseContainer(node: string, format: string, codec: string): { format: VideoFormat; codec: VideoCodec } {
  const chosenFormat: VideoFormat = format === 'auto' ? (codec === 'vp9' ? 'webm' : 'mp4') : (format as VideoFormat);
  const chosenCodec: VideoCodec = codec === 'auto' ? (chosenFormat === 'webm' ? 'vp9' : 'h264') : (codec as VideoCodec);
  if (chosenFormat === 'webm' && chosenCodec !== 'vp9') throw inputError(node, 'codec', `${chosenCodec} cannot be stored in webm; use vp9 or mp4`);
  return { format: chosenFormat, codec: chosenCodec };
}

/** SaveVideo's inputs; FlashGraph_SaveVideo widens format and codec and adds crf and preset. */
export const saveVideoInputs = {
  video: { type: 'VIDEO', tooltip: 'The video to save.' },
  filename_prefix: {
    type: 'STRING',
    default: 'video/ComfyUI',
    tooltip: 'The prefix for the file to save. This may include formatting information such as %date:yyyy-MM-dd% or %Empty Latent Image.width% to include values from nodes.',
  },
  // ComfyUI's VideoContainer and VideoCodec choices (comfy_api/latest/_util/video_types.py).
  format: { type: 'COMBO', options: ['auto', 'mp4'], default: 'auto', tooltip: 'The format to save the video as.' },
  codec: { type: 'COMBO', options: ['auto', 'h264'], default: 'auto', tooltip: 'The codec to use for the video.' },
} satisfies Record<string, InputSpec>;

/** Encodes `inputs.video` into output/ with the prompt and workflow as metadata; the node's UI result. */
export async function saveVideoFile(node: string, inputs: NodeInputs, ctx: NodeContext): Promise<{ ui: UiOutput }> {
  const { video, filename_prefix, format, codec, crf, preset, prompt, extra_pnginfo } = inputs;
  const v = video as Video;
  const chosen = chooseContainer(node, format, codec);
  const tools = mediaToolsFrom(ctx.services);
  const target = ctx.storage.saveTarget('output', filename_prefix, chosen.format, v);
  const scratch: string[] = [];
  const scratchPath = (ext: string) => {
    const path = ctx.storage.saveTarget('temp', 'flashgraph/scratch', ext).fullPath;
    scratch.push(path);
    return path;
  };
  const quality = crf === undefined || (crf as number) < 0 ? undefined : (crf as number);
  const settings = { ...chosen, crf: quality, preset: (preset ?? 'medium') as EncoderPreset, width: v.width, height: v.height, fps: v.fps };
  const onProgress = (frames: number) => ctx.progress(Math.min(frames, v.frameCount), v.frameCount);
  // An untouched file's stream goes to ffmpeg as the file: copied when ComfyUI would reuse it.
  const source = untouchedStream(v);
  const copy = source !== undefined && mayCopyVideo(source, { format, codec, crf: quality }, chosen.format);
  let audio: PreparedAudio | undefined;
  try {
    let tags = saveMetadata(prompt, extra_pnginfo);
    const sourceProbe = copy ? await probeMedia(tools, source.path, false) : undefined;
    // A copy keeps the source's container tags, ours written over them (as ComfyUI's save_to).
    if (sourceProbe) tags = { ...sourceProbe.tags, ...tags };
    const metadataFile = scratchPath('txt');
    await writeFile(metadataFile, ffmetadata(tags), { flag: 'wx' });
    const sourceAudio = v.audio && sourceProbe?.audio && isSourceAudio(v.audio, source!, sourceProbe, v.durationSeconds) ? sourceProbe.audio : undefined;
    if (v.audio && !sourceAudio) audio = await audioAsInput(v.audio, () => scratchPath('f32'), { maxSeconds: v.durationSeconds, signal: ctx.signal });
    if (source) {
      await saveFromFile(
        tools,
        {
          path: target.fullPath,
          format: chosen.format,
          source,
          ...(!copy && { encode: settings }),
          ...(sourceAudio ? { audio: { sourceStream: sourceAudio.audioIndex, copy: containerHolds(chosen.format, 'audio', sourceAudio.codec) } } : audio && { audio: audio.input }),
          metadataFile,
        },
        { signal: ctx.signal, onProgress },
      );
    } else {
      const native = v.images.native;
      // Decoded frames go one at a time: the encoder takes them as they come, and Node holds
      // about 3 frames instead of 3 chunks of 16 MB.
      const frames = native
        ? { chunks: native.frames({ signal: ctx.signal, chunkFrames: 1 }), pixFmt: native.pixFmt, color: native.color }
        : { chunks: v.images.frames({ signal: ctx.signal }) };
      await encodeVideo(tools, { path: target.fullPath, ...settings, audio: audio?.input, metadataFile }, frames, { signal: ctx.signal, onProgress });
    }
  } catch (error) {
    await unlink(target.fullPath).catch(() => {});
    if (error instanceof InterruptedError || ctx.signal.aborted) throw error;
    if (error instanceof Error && error.name === 'MediaError') throw error;
    throw inputError(node, 'video', `encoding ${target.filename} failed: ${ffmpegReason(error)}`);
  } finally {
    await audio?.cleanup();
    await Promise.all(scratch.map((path) => unlink(path).catch(() => {})));
  }
  return { ui: { images: [{ filename: target.filename, subfolder: target.subfolder, type: target.type }], animated: [true] } };
}

export const SaveVideo: NodeDefinition = {
  type: 'SaveVideo',
  displayName: 'Save Video',
  description: 'Saves the input images to your ComfyUI output directory.',
  category: 'image/video',
  outputNode: true,
  inputs: { required: saveVideoInputs, hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' } },
  execute: (inputs, ctx) => saveVideoFile('SaveVideo', inputs, ctx),
};
