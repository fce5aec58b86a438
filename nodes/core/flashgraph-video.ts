// FlashGraph's own video classes: LoadVideo and SaveVideo with the options ComfyUI's classes of
// those names do not have. FlashGraph_LoadVideo picks and resizes frames while decoding (the
// VideoHelperSuite names and meanings, 0 meaning "off"); FlashGraph_SaveVideo adds webm/vp9, the
// constant-quality factor and the x264 speed preset. Files saved when LoadVideo and SaveVideo
// carried these options are moved onto these classes when they are opened
// (server/workflow/former-core.ts).
import { MAX_SIDE } from '../../server/media/errors.ts';
import { VIDEO_CODECS, VIDEO_FORMATS, X264_PRESETS } from '../../server/media/video-encode.ts';
import { vhsLoadSettings } from '../../server/media/video-file.ts';
import type { InputSpec, NodeDefinition } from '../../server/runtime/schema.ts';
import { loadVideoFile, saveVideoFile, saveVideoInputs, videoFileHooks, videoFileInput } from './video.ts';

const BIG = 0x7fffffff;

/** FlashGraph_LoadVideo's options after `file`, with the values that leave a video as it is. */
export const LOAD_VIDEO_OPTIONS = {
  force_rate: { type: 'FLOAT', default: 0, min: 0, max: 240, step: 1, tooltip: 'Resample to this frame rate (0: keep the source rate).' },
  custom_width: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 1, tooltip: 'Scale frames to this width (0: keep; keeps the aspect when height is 0).' },
  custom_height: { type: 'INT', default: 0, min: 0, max: MAX_SIDE, step: 1, tooltip: 'Scale frames to this height (0: keep; keeps the aspect when width is 0).' },
  frame_load_cap: { type: 'INT', default: 0, min: 0, max: BIG, step: 1, tooltip: 'Load at most this many frames (0: all).' },
  skip_first_frames: { type: 'INT', default: 0, min: 0, max: BIG, step: 1, tooltip: 'Skip this many frames at the start (after force_rate).' },
  select_every_nth: { type: 'INT', default: 1, min: 1, max: BIG, step: 1, tooltip: 'Keep one frame in n (the frame rate is divided by n).' },
} satisfies Record<string, InputSpec>;

export const FlashGraph_LoadVideo: NodeDefinition = {
  type: 'FlashGraph_LoadVideo',
  displayName: 'Load Video (frames, rate, size)',
  description: 'Loads a video from the input folder, resampled, resized and with frames selected while decoding. LoadVideo with FlashGraph\'s options.',
  category: 'image/video',
  inputs: { required: { file: videoFileInput }, optional: LOAD_VIDEO_OPTIONS },
  outputs: [{ type: 'VIDEO' }],
  ...videoFileHooks,
  execute: async (inputs, ctx) => [await loadVideoFile('FlashGraph_LoadVideo', inputs.file, vhsLoadSettings(inputs), ctx)],
};

/** FlashGraph_SaveVideo's options after SaveVideo's inputs, with the values SaveVideo uses. */
export const SAVE_VIDEO_OPTIONS = {
  crf: { type: 'INT', default: -1, min: -1, max: 63, step: 1, tooltip: 'Constant quality, lower is better (-1: the codec default, 23 for H.264, 32 for VP9).' },
  preset: { type: 'COMBO', options: X264_PRESETS, default: 'medium', tooltip: 'Encoder speed: faster presets make bigger files.' },
} satisfies Record<string, InputSpec>;

export const FlashGraph_SaveVideo: NodeDefinition = {
  type: 'FlashGraph_SaveVideo',
  displayName: 'Save Video (webm, quality, speed)',
  description: 'Saves the video to the output folder as mp4 (H.264) or webm (VP9), with a quality factor and an encoder speed. SaveVideo with FlashGraph\'s options.',
  category: 'image/video',
  outputNode: true,
  inputs: {
    required: {
      ...saveVideoInputs,
      format: { ...saveVideoInputs.format, options: ['auto', ...VIDEO_FORMATS] },
      codec: { ...saveVideoInputs.codec, options: ['auto', ...VIDEO_CODECS] },
    },
    optional: SAVE_VIDEO_OPTIONS,
    hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
  },
  execute: (inputs, ctx) => saveVideoFile('FlashGraph_SaveVideo', inputs, ctx),
};
