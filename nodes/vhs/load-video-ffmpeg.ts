// VHS_LoadVideoFFmpeg / VHS_LoadVideoFFmpegPath. Unlike VHS_LoadVideo (which picks frames by
// time itself), VHS's FFmpeg loaders let ffmpeg choose the frames: output-side `-ss start_time`
// (an input seek to start_time - 4 first when start_time > 4), the `fps` filter for force_rate, a
// centre crop + scale for a custom size, `-frames:v frame_load_cap`. FlashGraph runs ffmpeg with
// those same options, so the frames are ffmpeg's (including the frames its rate conversion
// duplicates). The count is measured when the node runs by one pass of ffmpeg that writes 1x1
// grey frames; frames are then decoded (again, with the same options) when a downstream node reads
// them. The MASK is 1 - alpha when the stream's pixel format has alpha, else VHS's 64x64 zeros.
import { audioFromFile } from '../../server/media/audio-file.ts';
import { inputError, sizeProblem } from '../../server/media/errors.ts';
import { ffmpegCommand, ffmpegReason, probeMedia, readCommandOutput } from '../../server/media/ffmpeg.ts';
import { mediaToolsFrom, type MediaTools } from '../../server/media/tools.ts';
import { rawFrameChunks, roundedTargetSize } from '../../server/media/video-file.ts';
import { InterruptedError } from '../../server/runtime/errors.ts';
import type { InputSpec, NodeContext, NodeDefinition, NodeInputs } from '../../server/runtime/schema.ts';
import { defaultChunkFrames, lazyImage, mask as makeMask, type FrameChunk, type FrameReadOptions, type Mask } from '../../types/data.ts';
import { BIGMAX, CATEGORY, checkMetaBatch, DIMMAX, pathInputHooks, resolvePathInput, resolveUploadInput, stripPath, uploadInputHooks, SUFFIX } from './common.ts';
import { isVhsVideo, LOAD_FORMATS, optionalInputs, refuseUnsupported, selectionInputs, VIDEO_EXTENSIONS, type VhsVideoInfo } from './load-video.ts';

/** ffmpeg's options for VHS's FFmpeg loaders: [input options, output options before the format]. */
export function vhsFfmpegArgs(o: {
  start: number;
  forceRate: number;
  source: { width: number; height: number };
  size?: { width: number; height: number };
  cap: number;
  vp9Alpha: boolean;
}): { input: string[]; output: string[] } {
  const input: string[] = ['-an'];
  const output: string[] = [];
  // VHS decodes VP9 with libvpx (which reads WebM alpha); FlashGraph leaves that off because
  // ffmpeg builds without libvpx would fail on every VP9 file (VP9 alpha is then not read).
  if (o.vp9Alpha) input.push('-c:v', 'libvpx-vp9');
  if (o.start > 0) {
    if (o.start > 4) {
      input.push('-ss', String(o.start - 4));
      output.push('-ss', '4');
    } else output.push('-ss', String(o.start));
  }
  const filters: string[] = [];
  if (o.forceRate !== 0) filters.push(`fps=fps=${o.forceRate}`);
  if (o.size) {
    const ar = o.size.width / o.size.height;
    // VHS's test (width * aspect against height) decides whether to crop before scaling.
    if (Math.abs(o.source.width * ar - o.source.height) >= 1) filters.push(`crop=if(gt(${ar}\\,a)\\,iw\\,ih*${ar}):if(gt(${ar}\\,a)\\,iw/${ar}\\,ih)`);
    filters.push(`scale=${o.size.width}:${o.size.height}`);
  }
  if (filters.length > 0) output.push('-vf', filters.join(','));
  if (o.cap > 0) output.push('-frames:v', String(o.cap));
  return { input, output };
}

type Plane = 'rgb' | 'alpha' | 'count';

/** Raw frames from ffmpeg with VHS's options, cut into chunks of whole frames. */
async function* runVhsDecode(
  tools: MediaTools,
  path: string,
  args: { input: string[]; output: string[] },
  plane: Plane,
  size: { width: number; height: number },
  options: FrameReadOptions & { maxFrames?: number },
): AsyncGenerator<FrameChunk> {
  const output = [...args.output];
  if (plane !== 'rgb') {
    const extra = plane === 'alpha' ? 'alphaextract' : 'scale=1:1';
    const vf = output.indexOf('-vf');
    if (vf >= 0) output[vf + 1] = `${output[vf + 1]},${extra}`;
    else output.push('-vf', extra);
  }
  if (options.maxFrames !== undefined) {
    const frames = output.indexOf('-frames:v');
    if (frames >= 0) output[frames + 1] = String(Math.min(Number(output[frames + 1]), options.maxFrames));
    else output.push('-frames:v', String(options.maxFrames));
  }
  output.push('-pix_fmt', plane === 'rgb' ? 'rgb24' : 'gray');
  const command = ffmpegCommand(tools).input(path).inputOptions(args.input).outputOptions(output).format('rawvideo');
  const bytes = plane === 'count' ? 1 : size.width * size.height * (plane === 'rgb' ? 3 : 1);
  const perChunk = plane === 'count' ? 4096 : Math.max(1, options.chunkFrames ?? defaultChunkFrames(size.width, size.height));
  yield* rawFrameChunks(readCommandOutput(command, options.signal), bytes, perChunk);
}

async function loadVideoFFmpeg(node: string, path: string, label: string, inputs: NodeInputs, ctx: NodeContext) {
  refuseUnsupported(node, inputs, {
    vae: 'loading straight to latents is not supported in FlashGraph; disconnect the VAE and add a VAE Encode node after the loader',
  });
  const fail = (reason: string) => inputError(node, 'video', `${label}: ${reason}`);
  const formatName = typeof inputs.format === 'string' ? inputs.format : 'None';
  if (!Object.hasOwn(LOAD_FORMATS, formatName)) throw inputError(node, 'format', `unknown load format ${JSON.stringify(formatName)} (one of ${Object.keys(LOAD_FORMATS).join(', ')})`);
  const format = LOAD_FORMATS[formatName]!;
  checkMetaBatch(node, inputs.meta_batch, format.frames);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const forceRate = num(inputs.force_rate);
  const customWidth = Math.trunc(num(inputs.custom_width));
  const customHeight = Math.trunc(num(inputs.custom_height));
  const cap = Math.trunc(num(inputs.frame_load_cap));
  const start = num(inputs.start_time);
  const tools = mediaToolsFrom(ctx.services);

  let probe;
  try {
    probe = await probeMedia(tools, path, false);
  } catch (error) {
    throw fail(`not a readable video file: ${ffmpegReason(error)}`);
  }
  const stream = probe.video;
  if (!stream) throw fail(`has no video stream (${probe.format})`);
  const problem = sizeProblem(stream.width, stream.height);
  if (problem) throw fail(`video ${problem}`);
  const rate = stream.rate?.split('/').map(Number);
  const fpsBase = rate && rate.length === 2 && rate[1]! > 0 && rate[0]! > 0 ? rate[0]! / rate[1]! : rate && rate[0]! > 0 ? rate[0]! : 1;
  const custom = customWidth !== 0 || customHeight !== 0;
  const size = custom ? roundedTargetSize(stream.width, stream.height, customWidth, customHeight, format.dim?.[0] ?? 1) : { width: stream.width, height: stream.height };
  const sizeError = sizeProblem(size.width, size.height);
  if (sizeError) throw inputError(node, 'custom_width', `custom_width/custom_height: ${sizeError}`);
  const hasAlpha = /yuva|rgba|bgra|gbra/.test(stream.pixFmt ?? '');
  const args = vhsFfmpegArgs({ start, forceRate, source: stream, ...(custom && { size }), cap, vp9Alpha: false });

  // Count the frames ffmpeg gives with these options (1x1 grey frames: cheap to write).
  let count = 0;
  try {
    for await (const chunk of runVhsDecode(tools, path, args, 'count', size, { signal: ctx.signal })) count += chunk.count;
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    throw fail(`cannot decode its ${stream.codec} video stream: ${ffmpegReason(error)}`);
  }
  if (count === 0) throw fail('No frames generated');
  if (format.frames && count % format.frames[0] !== format.frames[1]) {
    const [div, mod] = format.frames;
    const cut = Math.floor((count - mod) / div) * div + mod;
    if (cut <= 0) throw fail(`the ${count} frames loaded cannot be cut to the ${formatName} format's ${div}k+${mod} frames`);
    count = cut;
  }
  const total = count;
  const origin = `${node} input "video" (${label})`;
  const images = lazyImage({ count: total, ...size, origin }, async function* (options) {
    try {
      yield* runVhsDecode(tools, path, args, 'rgb', size, { ...options, maxFrames: total });
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      throw fail(`decoding failed: ${ffmpegReason(error)}`);
    }
  });

  let masks: Mask;
  if (!hasAlpha) masks = makeMask(new Float32Array(total * 64 * 64), total, 64, 64);
  else {
    const plane = size.width * size.height;
    const data = new Float32Array(total * plane);
    let filled = 0;
    try {
      for await (const chunk of runVhsDecode(tools, path, args, 'alpha', size, { signal: ctx.signal, maxFrames: total })) {
        const n = Math.min(chunk.data.length, data.length - filled);
        for (let i = 0; i < n; i++) data[filled + i] = 1 - chunk.data[i]! / 255;
        filled += n;
      }
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      throw fail(`reading the alpha channel failed: ${ffmpegReason(error)}`);
    }
    if (filled < data.length) throw fail(`the alpha channel ended after ${filled / plane} of ${total} frames`);
    masks = makeMask(data, total, size.width, size.height);
  }

  const frameTime = 1 / (forceRate || fpsBase);
  let audio = null;
  const a = probe.audio;
  if (a && a.sampleRate > 0 && a.channels > 0) {
    // VHS: the audio from start_time, frame_load_cap frames long (to the end when there is no cap).
    const available = a.durationSeconds - start;
    const durationSeconds = cap > 0 ? Math.min(cap * frameTime, available) : available;
    if (durationSeconds > 0) audio = audioFromFile(tools, { path, stream: a.audioIndex, startSeconds: start, durationSeconds }, a.sampleRate, a.channels);
  }
  const info: VhsVideoInfo = {
    source_fps: fpsBase,
    source_frame_count: fpsBase * probe.durationSeconds,
    source_duration: probe.durationSeconds,
    source_width: stream.width,
    source_height: stream.height,
    loaded_fps: 1 / frameTime,
    loaded_frame_count: total,
    loaded_duration: total * frameTime,
    loaded_width: size.width,
    loaded_height: size.height,
  };
  return [images, masks, audio, info];
}

function ffmpegInputs(): Record<string, InputSpec> {
  const { force_rate, custom_width, custom_height, frame_load_cap } = selectionInputs();
  return {
    force_rate: force_rate!,
    custom_width: custom_width!,
    custom_height: custom_height!,
    frame_load_cap: frame_load_cap!,
    start_time: { type: 'FLOAT', default: 0, min: 0, max: BIGMAX, step: 0.001, extra: { widgetType: 'VHSTIMESTAMP' } },
  };
}

const ffmpegOutputs = [
  { type: 'IMAGE', name: 'IMAGE' },
  { type: 'MASK', name: 'mask' },
  { type: 'AUDIO', name: 'audio' },
  { type: 'VHS_VIDEOINFO', name: 'video_info' },
] as const;

export const VHS_LoadVideoFFmpeg: NodeDefinition = {
  type: 'VHS_LoadVideoFFmpeg',
  displayName: `Load Video FFmpeg (Upload)${SUFFIX}`,
  description: 'Loads a video from the input folder from start_time on, as ffmpeg decodes it, with a MASK from its alpha channel (when it has one), its audio and a video_info summary.',
  category: CATEGORY,
  inputs: {
    required: {
      video: { type: 'COMBO', options: (env) => env.listFiles('input', isVhsVideo) },
      ...ffmpegInputs(),
    },
    optional: optionalInputs,
    hidden: { unique_id: 'UNIQUE_ID' },
  },
  outputs: ffmpegOutputs,
  ...uploadInputHooks('video', 'video'),
  async execute(inputs, ctx) {
    const { path, name } = resolveUploadInput('VHS_LoadVideoFFmpeg', 'video', 'video', inputs.video, ctx);
    return loadVideoFFmpeg('VHS_LoadVideoFFmpeg', path, name, inputs, ctx);
  },
};

export const VHS_LoadVideoFFmpegPath: NodeDefinition = {
  type: 'VHS_LoadVideoFFmpegPath',
  displayName: `Load Video FFmpeg (Path)${SUFFIX}`,
  description: 'Loads a video from a path (relative to the input folder, or absolute inside the input, output or temp folder) from start_time on, with a MASK from its alpha channel.',
  category: CATEGORY,
  inputs: {
    required: {
      video: { type: 'STRING', placeholder: 'X://insert/path/here.mp4', extra: { vhs_path_extensions: VIDEO_EXTENSIONS } },
      ...ffmpegInputs(),
    },
    optional: optionalInputs,
    hidden: { unique_id: 'UNIQUE_ID' },
  },
  outputs: ffmpegOutputs,
  ...pathInputHooks('video'),
  async execute(inputs, ctx) {
    const path = resolvePathInput('VHS_LoadVideoFFmpegPath', 'video', inputs.video, ctx);
    return loadVideoFFmpeg('VHS_LoadVideoFFmpegPath', path, stripPath(inputs.video), inputs, ctx);
  },
};

/** ComfyUI's FolderOfImages.IMG_EXTENSIONS without the dot, VHS_LoadImagePath's path extensions. */
const IMAGE_PATH_EXTENSIONS = ['jpg', 'jpeg', 'png', 'ppm', 'bmp', 'pgm', 'tif', 'tiff', 'webp'];

/**
 * VHS_LoadImagePath: an image file through VHS's FFmpeg loader (every frame of an animated file,
 * no rate change, no cap), optionally resized; IMAGE and a MASK (1 - alpha, or 64x64 zeros).
 */
export const VHS_LoadImagePath: NodeDefinition = {
  type: 'VHS_LoadImagePath',
  displayName: `Load Image (Path)${SUFFIX}`,
  description: 'Loads an image from a path (relative to the input folder, or absolute inside the input, output or temp folder) through ffmpeg, with a MASK from its alpha.',
  category: CATEGORY,
  inputs: {
    required: {
      image: { type: 'STRING', placeholder: 'X://insert/path/here.png', extra: { vhs_path_extensions: IMAGE_PATH_EXTENSIONS } },
      custom_width: { type: 'INT', default: 0, min: 0, max: DIMMAX, step: 8, extra: { disable: 0 } },
      custom_height: { type: 'INT', default: 0, min: 0, max: DIMMAX, step: 8, extra: { disable: 0 } },
    },
    optional: { vae: { type: 'VAE' } },
  },
  outputs: [
    { type: 'IMAGE', name: 'IMAGE' },
    { type: 'MASK', name: 'mask' },
  ],
  ...pathInputHooks('image'),
  async execute(inputs, ctx) {
    const node = 'VHS_LoadImagePath';
    const path = resolvePathInput(node, 'image', inputs.image, ctx);
    const settings = { custom_width: inputs.custom_width, custom_height: inputs.custom_height, vae: inputs.vae, force_rate: 0, frame_load_cap: 0, start_time: 0, format: 'None' };
    try {
      const [images, masks] = await loadVideoFFmpeg(node, path, stripPath(inputs.image), settings, ctx);
      return [images, masks];
    } catch (error) {
      // The shared loader names its "video" input; here that input is "image".
      if (error instanceof Error) error.message = error.message.replace(`${node}: input "video"`, `${node}: input "image"`);
      throw error;
    }
  },
};
