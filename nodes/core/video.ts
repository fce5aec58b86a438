// Video nodes with ComfyUI's names and widgets (LoadVideo, GetVideoComponents, CreateVideo,
// SaveVideo). Frames stream from the decoder through the graph into the encoder; LoadVideo's
// FlashGraph extras (VideoHelperSuite's names) are optional inputs, so ComfyUI widget order holds.
import { writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { rationalFromNumber, rationalValue, videoFromComponents, type Video } from '../../types/data.ts';
import { audioAsInput, type PreparedAudio } from '../../server/media/audio-input.ts';
import { inputError, MAX_SIDE } from '../../server/media/errors.ts';
import { ffmpegReason, probeMedia } from '../../server/media/ffmpeg.ts';
import { mediaToolsFrom } from '../../server/media/tools.ts';
import { encodeVideo, ffmetadata, VIDEO_CODECS, VIDEO_FORMATS, X264_PRESETS, type EncoderPreset, type VideoCodec, type VideoFormat } from '../../server/media/video-encode.ts';
import { openVideoFile } from '../../server/media/video-file.ts';
import { containerHolds, isSourceAudio, mayCopyVideo, saveFromFile, untouchedStream } from '../../server/media/video-from-file.ts';
import { InterruptedError } from '../../server/runtime/errors.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { existingFile, isVideoFile, saveMetadata } from './media-files.ts';

const BIG = 0x7fffffff;

export const LoadVideo: NodeDefinition = {
  type: 'LoadVideo',
  displayName: 'Load Video',
  description: 'Loads a video from the input folder. Frames are decoded when a downstream node reads them.',
  category: 'image/video',
  inputs: {
    required: {
      file: { type: 'COMBO', options: (env) => env.listFiles('input', isVideoFile), extra: { video_upload: true } },
    },
    optional: {
      force_rate: { type: 'FLOAT', default: 0, min: 0, max: 240, step: 1, tooltip: 'Resample to this frame rate (0: keep the source rate).' },
      custom_width: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 1, tooltip: 'Scale frames to this width (0: keep; keeps the aspect when height is 0).' },
      custom_height: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 1, tooltip: 'Scale frames to this height (0: keep; keeps the aspect when width is 0).' },
      frame_load_cap: { type: 'INT', default: 0, min: 0, max: BIG, step: 1, tooltip: 'Load at most this many frames (0: all).' },
      skip_first_frames: { type: 'INT', default: 0, min: 0, max: BIG, step: 1, tooltip: 'Skip this many frames at the start (after force_rate).' },
      select_every_nth: { type: 'INT', default: 1, min: 1, max: BIG, step: 1, tooltip: 'Keep one frame in n (the frame rate is divided by n).' },
    },
  },
  outputs: [{ type: 'VIDEO' }],
  // ComfyUI fingerprints videos by modification time (hashing gigabytes would be slow).
  isChanged: ({ file }, ctx) => {
    const path = existingFile(ctx.storage, file);
    if (!path) return NaN;
    const stat = statSync(path);
    return `${stat.mtimeMs}:${stat.size}`;
  },
  validatedInputs: ['file'],
  validateInputs: ({ file }, ctx) => (existingFile(ctx.storage, file) ? true : `Invalid video file: ${file}`),
  async execute(inputs, ctx) {
    const { file } = inputs;
    const path = existingFile(ctx.storage, file);
    if (!path) throw inputError('LoadVideo', 'file', `Invalid video file: ${file}`);
    const tools = mediaToolsFrom(ctx.services);
    const video = await openVideoFile(
      tools,
      path,
      {
        forceRate: inputs.force_rate,
        width: inputs.custom_width,
        height: inputs.custom_height,
        frameCap: inputs.frame_load_cap,
        skipFirst: inputs.skip_first_frames,
        everyNth: inputs.select_every_nth,
      },
      (reason) => inputError('LoadVideo', 'file', `${file}: ${reason}`),
      `LoadVideo input "file" (${file})`,
    );
    return [video];
  },
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

function chooseContainer(format: string, codec: string): { format: VideoFormat; codec: VideoCodec } {
  const chosenFormat: VideoFormat = format === 'auto' ? (codec === 'vp9' ? 'webm' : 'mp4') : (format as VideoFormat);
  const chosenCodec: VideoCodec = codec === 'auto' ? (chosenFormat === 'webm' ? 'vp9' : 'h264') : (codec as VideoCodec);
  if (chosenFormat === 'webm' && chosenCodec !== 'vp9') throw inputError('SaveVideo', 'codec', `${chosenCodec} cannot be stored in webm; use vp9 or mp4`);
  return { format: chosenFormat, codec: chosenCodec };
}

export const SaveVideo: NodeDefinition = {
  type: 'SaveVideo',
  displayName: 'Save Video',
  description: 'Saves the input images to your ComfyUI output directory.',
  category: 'image/video',
  outputNode: true,
  inputs: {
    required: {
      video: { type: 'VIDEO', tooltip: 'The video to save.' },
      filename_prefix: {
        type: 'STRING',
        default: 'video/ComfyUI',
        tooltip: 'The prefix for the file to save. This may include formatting information such as %date:yyyy-MM-dd% or %Empty Latent Image.width% to include values from nodes.',
      },
      format: { type: 'COMBO', options: ['auto', ...VIDEO_FORMATS], default: 'auto', tooltip: 'The format to save the video as.' },
      codec: { type: 'COMBO', options: ['auto', ...VIDEO_CODECS], default: 'auto', tooltip: 'The codec to use for the video.' },
    },
    optional: {
      crf: { type: 'INT', default: -1, min: -1, max: 63, step: 1, tooltip: 'Constant quality, lower is better (-1: the codec default, 23 for H.264, 32 for VP9).' },
      preset: { type: 'COMBO', options: X264_PRESETS, default: 'medium', tooltip: 'Encoder speed: faster presets make bigger files.' },
    },
    hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
  },
  async execute({ video, filename_prefix, format, codec, crf, preset, prompt, extra_pnginfo }, ctx) {
    const v = video as Video;
    const chosen = chooseContainer(format, codec);
    const tools = mediaToolsFrom(ctx.services);
    const target = ctx.storage.saveTarget('output', filename_prefix, chosen.format, v);
    const scratch: string[] = [];
    const scratchPath = (ext: string) => {
      const path = ctx.storage.saveTarget('temp', 'flashgraph/scratch', ext).fullPath;
      scratch.push(path);
      return path;
    };
    const quality = crf === undefined || crf < 0 ? undefined : (crf as number);
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
      throw inputError('SaveVideo', 'video', `encoding ${target.filename} failed: ${ffmpegReason(error)}`);
    } finally {
      await audio?.cleanup();
      await Promise.all(scratch.map((path) => unlink(path).catch(() => {})));
    }
    return { ui: { images: [{ filename: target.filename, subfolder: target.subfolder, type: target.type }], animated: [true] } };
  },
};
