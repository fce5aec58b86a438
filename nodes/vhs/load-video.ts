// VHS_LoadVideo / VHS_LoadVideoPath and the Video Info nodes. Decoding is FlashGraph's: the file is
// probed once and frames stream from ffmpeg when a downstream node reads them, whatever the
// length. Frame selection (force_rate, skip_first_frames, select_every_nth, frame_load_cap) is the
// same code core LoadVideo uses; the load `format` adds VHS's size rounding and frame-count rule.
import { rationalValue, type Video } from '../../types/data.ts';
import { inputError } from '../../server/media/errors.ts';
import { mediaToolsFrom } from '../../server/media/tools.ts';
import { openVideoFileWithSource, vhsLoadSettings, type VideoSourceInfo } from '../../server/media/video-file.ts';
import type { InputSpec, NodeContext, NodeDefinition, NodeInputs } from '../../server/runtime/schema.ts';
import { BIGMAX, CATEGORY, checkMetaBatch, DIMMAX, pathInputHooks, resolvePathInput, resolveUploadInput, stripPath, uploadInputHooks, SUFFIX } from './common.ts';

/** VHS's file extensions for its video loaders. */
export const VIDEO_EXTENSIONS = ['webm', 'mp4', 'mkv', 'gif', 'mov'];
export const isVhsVideo = (name: string) => {
  const parts = name.split('.');
  return parts.length > 1 && VIDEO_EXTENSIONS.includes(parts.at(-1)!.toLowerCase());
};

interface LoadFormat {
  target_rate?: number;
  /** [size multiple, 0, default width, default height] */
  dim?: [number, number, number, number];
  /** [div, mod]: loaded frame counts are cut to div * k + mod. */
  frames?: [number, number];
}

/** VHS's load formats (VHSLoadFormats), in its order. */
export const LOAD_FORMATS: Record<string, LoadFormat> = {
  None: {},
  AnimateDiff: { target_rate: 8, dim: [8, 0, 512, 512] },
  Mochi: { target_rate: 24, dim: [16, 0, 848, 480], frames: [6, 1] },
  LTXV: { target_rate: 24, dim: [32, 0, 768, 512], frames: [8, 1] },
  Hunyuan: { target_rate: 24, dim: [16, 0, 848, 480], frames: [4, 1] },
  Cosmos: { target_rate: 24, dim: [16, 0, 1280, 704], frames: [8, 1] },
  Wan: { target_rate: 16, dim: [8, 0, 832, 480], frames: [4, 1] },
};

/** VHS_VIDEOINFO: the dictionary VHS passes between its loaders and the Video Info nodes. */
export interface VhsVideoInfo {
  source_fps: number;
  source_frame_count: number;
  source_duration: number;
  source_width: number;
  source_height: number;
  loaded_fps: number;
  loaded_frame_count: number;
  loaded_duration: number;
  loaded_width: number;
  loaded_height: number;
}

export function selectionInputs(): Record<string, InputSpec> {
  return {
    force_rate: { type: 'FLOAT', default: 0, min: 0, max: 60, step: 1, extra: { disable: 0 } },
    custom_width: { type: 'INT', default: 0, min: 0, max: DIMMAX, extra: { disable: 0 } },
    custom_height: { type: 'INT', default: 0, min: 0, max: DIMMAX, extra: { disable: 0 } },
    frame_load_cap: { type: 'INT', default: 0, min: 0, max: BIGMAX, step: 1, extra: { disable: 0 } },
    skip_first_frames: { type: 'INT', default: 0, min: 0, max: BIGMAX, step: 1 },
    select_every_nth: { type: 'INT', default: 1, min: 1, max: BIGMAX, step: 1 },
  };
}

export const optionalInputs: Record<string, InputSpec> = {
  meta_batch: { type: 'VHS_BatchManager' },
  vae: { type: 'VAE' },
  format: { type: 'COMBO', options: Object.keys(LOAD_FORMATS), default: 'AnimateDiff', extra: { formats: LOAD_FORMATS } },
};

const loaderOutputs = [
  { type: 'IMAGE', name: 'IMAGE' },
  { type: 'INT', name: 'frame_count' },
  { type: 'AUDIO', name: 'audio' },
  { type: 'VHS_VIDEOINFO', name: 'video_info' },
] as const;

/** The inputs VHS accepts but FlashGraph cannot honour: an error naming the node and input. */
export function refuseUnsupported(node: string, inputs: NodeInputs, names: Record<string, string>): void {
  for (const [name, why] of Object.entries(names)) {
    if (inputs[name] !== undefined && inputs[name] !== null) throw inputError(node, name, why);
  }
}

const VAE_WHY = 'loading straight to latents is not supported in FlashGraph; disconnect the VAE and add a VAE Encode node after the loader';

async function loadVideo(node: string, inputName: string, path: string, label: string, inputs: NodeInputs, ctx: NodeContext) {
  refuseUnsupported(node, inputs, { vae: VAE_WHY });
  const formatName = typeof inputs.format === 'string' ? inputs.format : 'None';
  if (!Object.hasOwn(LOAD_FORMATS, formatName)) throw inputError(node, 'format', `unknown load format ${JSON.stringify(formatName)} (one of ${Object.keys(LOAD_FORMATS).join(', ')})`);
  const format = LOAD_FORMATS[formatName]!;
  checkMetaBatch(node, inputs.meta_batch, format.frames);
  const tools = mediaToolsFrom(ctx.services);
  const { video, source } = await openVideoFileWithSource(
    tools,
    path,
    {
      ...vhsLoadSettings(inputs),
      sizeMultiple: format.dim?.[0] ?? 1,
      cropToAspect: true,
      ...(format.frames && { frameCountRule: { div: format.frames[0], mod: format.frames[1] } }),
    },
    (reason) => inputError(node, inputName, `${label}: ${reason}`),
    `${node} input "${inputName}" (${label})`,
  );
  return [video.images, video.frameCount, video.audio, videoInfo(source, video)];
}

export function videoInfo(source: VideoSourceInfo, video: Video): VhsVideoInfo {
  const loadedFps = rationalValue(video.fps);
  return {
    source_fps: rationalValue(source.fps),
    source_frame_count: source.frameCount,
    source_duration: source.durationSeconds,
    source_width: source.width,
    source_height: source.height,
    loaded_fps: loadedFps,
    loaded_frame_count: video.frameCount,
    loaded_duration: video.frameCount / loadedFps,
    loaded_width: video.width,
    loaded_height: video.height,
  };
}

export const VHS_LoadVideo: NodeDefinition = {
  type: 'VHS_LoadVideo',
  displayName: `Load Video (Upload)${SUFFIX}`,
  description: 'Loads a video from the input folder as frames, its frame count, its audio and a video_info summary. Frames are decoded when a downstream node reads them.',
  category: CATEGORY,
  inputs: {
    required: {
      video: { type: 'COMBO', options: (env) => env.listFiles('input', isVhsVideo) },
      ...selectionInputs(),
    },
    optional: optionalInputs,
    hidden: { unique_id: 'UNIQUE_ID' },
  },
  outputs: loaderOutputs,
  ...uploadInputHooks('video', 'video'),
  async execute(inputs, ctx) {
    const { path, name } = resolveUploadInput('VHS_LoadVideo', 'video', 'video', inputs.video, ctx);
    return loadVideo('VHS_LoadVideo', 'video', path, name, inputs, ctx);
  },
};

export const VHS_LoadVideoPath: NodeDefinition = {
  type: 'VHS_LoadVideoPath',
  displayName: `Load Video (Path)${SUFFIX}`,
  description: 'Loads a video from a path: relative to the input folder, or absolute inside the input, output or temp folder.',
  category: CATEGORY,
  inputs: {
    required: {
      video: { type: 'STRING', placeholder: 'X://insert/path/here.mp4', extra: { vhs_path_extensions: VIDEO_EXTENSIONS } },
      ...selectionInputs(),
    },
    optional: optionalInputs,
    hidden: { unique_id: 'UNIQUE_ID' },
  },
  outputs: loaderOutputs,
  ...pathInputHooks('video'),
  async execute(inputs, ctx) {
    const path = resolvePathInput('VHS_LoadVideoPath', 'video', inputs.video, ctx);
    return loadVideo('VHS_LoadVideoPath', 'video', path, stripPath(inputs.video), inputs, ctx);
  },
};

const SOURCE_KEYS = ['fps', 'frame_count', 'duration', 'width', 'height'] as const;
const INFO_TYPES = ['FLOAT', 'INT', 'FLOAT', 'INT', 'INT'] as const;

function infoNode(type: string, displayName: string, parts: readonly ('source' | 'loaded')[], named: (part: 'source' | 'loaded', key: string) => string): NodeDefinition {
  return {
    type,
    displayName,
    category: CATEGORY,
    inputs: { required: { video_info: { type: 'VHS_VIDEOINFO' } } },
    outputs: parts.flatMap((part) => SOURCE_KEYS.map((key, i) => ({ type: INFO_TYPES[i]!, name: named(part, key) }))),
    execute: ({ video_info }) => {
      const info = video_info as VhsVideoInfo;
      return parts.flatMap((part) => SOURCE_KEYS.map((key) => info[`${part}_${key}` as keyof VhsVideoInfo]));
    },
  };
}

const mark = (part: 'source' | 'loaded') => (part === 'source' ? '🟨' : '🟦');
export const VHS_VideoInfo = infoNode('VHS_VideoInfo', `Video Info${SUFFIX}`, ['source', 'loaded'], (part, key) => `${part}_${key}${mark(part)}`);
export const VHS_VideoInfoSource = infoNode('VHS_VideoInfoSource', `Video Info (Source)${SUFFIX}`, ['source'], (part, key) => `${key}${mark(part)}`);
export const VHS_VideoInfoLoaded = infoNode('VHS_VideoInfoLoaded', `Video Info (Loaded)${SUFFIX}`, ['loaded'], (part, key) => `${key}${mark(part)}`);
