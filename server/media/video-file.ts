// VIDEO from a file: probed once, decoded lazily. Each read of its frames starts an ffmpeg that
// writes raw frames into a pipe; they are cut into chunks of whole frames and handed on, so
// memory stays at a few chunks whatever the length of the video. Frames are RGB for nodes that read
// pixels; encoders take them in the decoder's own pixel format (IMAGE.native), or, when the VIDEO is
// the file's stream untouched, read or copy the stream itself (IMAGE.file) without a decode here.
import {
  defaultChunkFrames,
  lazyImage,
  parseRational,
  rational,
  videoFromComponents,
  type FrameChunk,
  type FrameReadOptions,
  type Rational,
  type Video,
} from '../../types/data.ts';
import { audioFromFile } from './audio-file.ts';
import { InterruptedError } from '../runtime/errors.ts';
import { MediaError, sizeProblem } from './errors.ts';
import { ffmpegCommand, ffmpegReason, probeMedia, readCommandOutput } from './ffmpeg.ts';
import { rawFrameBytes } from './pixel-formats.ts';
import type { MediaTools } from './tools.ts';

export interface DecodeRequest {
  path: string;
  /** Absolute stream index of the video stream. */
  stream: number;
  /** Output frame size; differs from the stream's when ffmpeg should scale. */
  width: number;
  height: number;
  scale: boolean;
  /** A centred region of the source frame to keep before scaling (VideoHelperSuite's resize). */
  crop?: { x: number; y: number; width: number; height: number };
  /** Stop after this many decoded frames. */
  maxFrames?: number;
  /** Pixel format of the frames written (default rgb24) and the bytes of one frame in it. */
  pixFmt?: string;
  frameBytes?: number;
}

/** Decoded frames in chunks of whole frames, in stream order (no frame dropped or repeated). */
export async function* decodeVideoFrames(tools: MediaTools, request: DecodeRequest, options: FrameReadOptions = {}): AsyncGenerator<FrameChunk> {
  const outputOptions = ['-map', `0:${request.stream}`, '-an', '-sn', '-dn', '-vsync', 'passthrough'];
  const filters: string[] = [];
  if (request.crop) filters.push(`crop=${request.crop.width}:${request.crop.height}:${request.crop.x}:${request.crop.y}`);
  if (request.scale) filters.push(`scale=${request.width}:${request.height}:flags=bicubic+accurate_rnd+full_chroma_int`);
  if (filters.length > 0) outputOptions.push('-vf', filters.join(','));
  if (request.maxFrames !== undefined) outputOptions.push('-frames:v', String(request.maxFrames));
  outputOptions.push('-pix_fmt', request.pixFmt ?? 'rgb24');
  const command = ffmpegCommand(tools).input(request.path).outputOptions(outputOptions).format('rawvideo');

  const bytes = request.frameBytes ?? request.width * request.height * 3;
  const perChunk = Math.max(1, options.chunkFrames ?? defaultChunkFrames(request.width, request.height));
  yield* rawFrameChunks(readCommandOutput(command, options.signal), bytes, perChunk);
}

/**
 * Regroups a raw byte stream (ffmpeg's stdout, split wherever the pipe split it) into chunks of
 * `perChunk` whole frames of `bytes` each; a trailing partial frame is dropped.
 */
export async function* rawFrameChunks(stream: AsyncIterable<Buffer>, bytes: number, perChunk: number): AsyncGenerator<FrameChunk> {
  let buffer = Buffer.allocUnsafe(perChunk * bytes);
  let filled = 0;
  let start = 0;
  for await (const data of stream) {
    let offset = 0;
    while (offset < data.length) {
      const n = Math.min(data.length - offset, buffer.length - filled);
      data.copy(buffer, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === buffer.length) {
        yield { start, count: perChunk, data: buffer };
        start += perChunk;
        buffer = Buffer.allocUnsafe(perChunk * bytes);
        filled = 0;
      }
    }
  }
  const whole = Math.floor(filled / bytes);
  if (whole > 0) yield { start, count: whole, data: buffer.subarray(0, whole * bytes) };
}

/** FlashGraph_LoadVideo's options (VideoHelperSuite's names); 0 means "off" for each. */
export interface VideoLoadSettings {
  forceRate?: number;
  width?: number;
  height?: number;
  frameCap?: number;
  skipFirst?: number;
  everyNth?: number;
  /**
   * VideoHelperSuite's load formats: round both output sides to a multiple of this (a resize
   * even when custom_width/custom_height are 0), as VHS's target_size does.
   */
  sizeMultiple?: number;
  /**
   * When the output aspect differs from the source's, keep the largest centred region of the
   * source with the output's aspect instead of stretching (VideoHelperSuite's resize does this).
   */
  cropToAspect?: boolean;
  /** VideoHelperSuite's load formats: cut the frame count down to `div * k + mod` frames. */
  frameCountRule?: { div: number; mod: number };
}

/** The settings VideoHelperSuite's input names ask for (FlashGraph_LoadVideo, the VHS loaders). */
export function vhsLoadSettings(inputs: {
  force_rate?: number;
  custom_width?: number;
  custom_height?: number;
  frame_load_cap?: number;
  skip_first_frames?: number;
  select_every_nth?: number;
}): VideoLoadSettings {
  return {
    forceRate: inputs.force_rate,
    width: inputs.custom_width,
    height: inputs.custom_height,
    frameCap: inputs.frame_load_cap,
    skipFirst: inputs.skip_first_frames,
    everyNth: inputs.select_every_nth,
  };
}

/** Which source frame output frame j shows: force the rate, then skip, then take every nth. */
export interface FramePlan {
  count: number;
  fps: Rational;
  /** Time of the first output frame in the source, in seconds. */
  startSeconds: number;
  sourceIndex(j: number): number;
  identity: boolean;
}

export function planFrames(sourceCount: number, sourceFps: Rational, settings: VideoLoadSettings): FramePlan {
  const nth = Math.max(1, settings.everyNth ?? 1);
  const skip = Math.max(0, settings.skipFirst ?? 0);
  const forced = settings.forceRate && settings.forceRate > 0 ? rationalFromRate(settings.forceRate) : undefined;
  const base = forced ?? sourceFps;
  // Base frame k (at time k / base) shows the source frame on screen at that time.
  const baseCount = forced ? Math.ceil((sourceCount * forced.num * sourceFps.den) / (forced.den * sourceFps.num) - 1e-9) : sourceCount;
  const baseToSource = forced
    ? (k: number) => Math.min(sourceCount - 1, Math.floor((k * forced.den * sourceFps.num) / (forced.num * sourceFps.den) + 1e-9))
    : (k: number) => k;
  let count = Math.max(0, Math.ceil((baseCount - skip) / nth));
  if (settings.frameCap && settings.frameCap > 0) count = Math.min(count, settings.frameCap);
  const rule = settings.frameCountRule;
  if (rule && rule.div > 0 && count > 0 && count % rule.div !== rule.mod) count = Math.max(0, Math.floor((count - rule.mod) / rule.div) * rule.div + rule.mod);
  return {
    count,
    fps: rational(base.num, base.den * nth),
    startSeconds: (skip * base.den) / base.num,
    sourceIndex: (j) => baseToSource(skip + j * nth),
    identity: !forced && skip === 0 && nth === 1,
  };
}

function rationalFromRate(value: number): Rational {
  const ntsc = value * 1001;
  if (!Number.isInteger(value) && Math.abs(ntsc - Math.round(ntsc)) < 1e-6) return rational(Math.round(ntsc), 1001);
  return Number.isInteger(value) ? rational(value) : rational(Math.round(value * 1000), 1000);
}

/** The frames a plan selects from a stream of source chunks, re-chunked. */
async function* pickFrames(source: AsyncIterable<FrameChunk>, plan: FramePlan, frameSize: number, perChunk: number): AsyncGenerator<FrameChunk> {
  let j = 0;
  let out = Buffer.allocUnsafe(perChunk * frameSize);
  let filled = 0;
  let start = 0;
  for await (const chunk of source) {
    for (let f = 0; f < chunk.count && j < plan.count; f++) {
      const index = chunk.start + f;
      while (j < plan.count && plan.sourceIndex(j) === index) {
        out.set(chunk.data.subarray(f * frameSize, (f + 1) * frameSize), filled * frameSize);
        filled++;
        j++;
        if (filled === perChunk) {
          yield { start, count: filled, data: out };
          start += filled;
          out = Buffer.allocUnsafe(perChunk * frameSize);
          filled = 0;
        }
      }
    }
    if (j >= plan.count) break;
  }
  if (filled > 0) yield { start, count: filled, data: out.subarray(0, filled * frameSize) };
}

/** Output size for custom_width/custom_height: 0 keeps the source's; one 0 keeps the aspect. */
export function targetSize(width: number, height: number, customWidth = 0, customHeight = 0): { width: number; height: number } {
  if (customWidth > 0 && customHeight > 0) return { width: customWidth, height: customHeight };
  if (customWidth > 0) return { width: customWidth, height: Math.max(1, Math.round((height * customWidth) / width)) };
  if (customHeight > 0) return { width: Math.max(1, Math.round((width * customHeight) / height)), height: customHeight };
  return { width, height };
}

/** The largest centred region of `from` with the aspect of `to` (ComfyUI's centre crop before a resize). */
export function centeredAspectCrop(from: { width: number; height: number }, to: { width: number; height: number }): { x: number; y: number; width: number; height: number } {
  const oldAspect = from.width / from.height;
  const newAspect = to.width / to.height;
  let x = 0;
  let y = 0;
  if (oldAspect > newAspect) x = Math.round((from.width - from.width * (newAspect / oldAspect)) / 2);
  else if (oldAspect < newAspect) y = Math.round((from.height - from.height * (oldAspect / newAspect)) / 2);
  return { x, y, width: from.width - 2 * x, height: from.height - 2 * y };
}

/** VideoHelperSuite's target_size: keep or derive the aspect in float, then round each side to `multiple`. */
export function roundedTargetSize(width: number, height: number, customWidth: number, customHeight: number, multiple: number): { width: number; height: number } {
  let w = width;
  let h = height;
  if (customWidth > 0 && customHeight > 0) [w, h] = [customWidth, customHeight];
  else if (customWidth > 0) [w, h] = [customWidth, (height * customWidth) / width];
  else if (customHeight > 0) [w, h] = [(width * customHeight) / height, customHeight];
  const round = (x: number) => Math.floor(x / multiple + 0.5) * multiple;
  return { width: round(w), height: round(h) };
}

/**
 * Probes a video file and returns a lazily decoded VIDEO; `fail` turns a reason into the node's
 * error. A stream ffprobe cannot describe is decoded once now, so that it fails here, not downstream.
 */
export async function openVideoFile(
  tools: MediaTools,
  path: string,
  settings: VideoLoadSettings,
  fail: (reason: string) => MediaError,
  origin: string,
): Promise<Video> {
  return (await openVideoFileWithSource(tools, path, settings, fail, origin)).video;
}

/** What the file holds before any frame selection (VideoHelperSuite reports it as "source_*"). */
export interface VideoSourceInfo {
  width: number;
  height: number;
  fps: Rational;
  frameCount: number;
  durationSeconds: number;
  hasAudio: boolean;
}

/** openVideoFile, plus the source stream's size, rate and frame count. */
export async function openVideoFileWithSource(
  tools: MediaTools,
  path: string,
  settings: VideoLoadSettings,
  fail: (reason: string) => MediaError,
  origin: string,
): Promise<{ video: Video; source: VideoSourceInfo }> {
  let probe;
  try {
    probe = await probeMedia(tools, path);
  } catch (error) {
    throw fail(`not a readable video file: ${ffmpegReason(error)}`);
  }
  const video = probe.video;
  if (!video) throw fail(`has no video stream (${probe.format})`);
  const problem = sizeProblem(video.width, video.height);
  if (problem) throw fail(`video ${problem}`);
  if (!(video.packets > 0)) throw fail('has no video frames');
  const sourceFps = parseRational(video.rate) ?? rational(1);

  const size = settings.sizeMultiple
    ? roundedTargetSize(video.width, video.height, settings.width ?? 0, settings.height ?? 0, settings.sizeMultiple)
    : targetSize(video.width, video.height, settings.width, settings.height);
  const outputProblem = sizeProblem(size.width, size.height);
  if (outputProblem) throw fail(`custom_width/custom_height: ${outputProblem}`);
  const decode: DecodeRequest = { path, stream: video.index, ...size, scale: size.width !== video.width || size.height !== video.height };
  if (settings.cropToAspect && decode.scale) {
    const crop = centeredAspectCrop(video, size);
    if (crop.width !== video.width || crop.height !== video.height) decode.crop = crop;
  }

  // A stream ffprobe could not fully describe (no decoder, no pixel format) is decoded once now, so
  // that ffmpeg's own reason fails this node rather than a reader downstream. Others are not decoded
  // until a node reads them: an untouched video may reach the encoder, or a stream copy, undecoded.
  if (!video.pixFmt || video.codec === 'unknown') {
    try {
      let decoded = 0;
      for await (const chunk of decodeVideoFrames(tools, { ...decode, maxFrames: 1 })) decoded += chunk.count;
      if (decoded === 0) throw new Error('no frame could be decoded');
    } catch (error) {
      throw fail(`cannot decode its ${video.codec} video stream: ${ffmpegReason(error)}`);
    }
  }

  const plan = planFrames(video.packets, sourceFps, settings);
  if (plan.count === 0) throw fail(`skip_first_frames/select_every_nth leave none of its ${video.packets} frames`);
  const lastSource = plan.sourceIndex(plan.count - 1);
  /** The planned frames, decoded to `pixFmt` in chunks of about `defaultChunkFrames` RGB frames' bytes. */
  const planned = (pixFmt: string, frameBytes: number) =>
    async function* (options: FrameReadOptions): AsyncGenerator<FrameChunk> {
      const perChunk = Math.max(1, options.chunkFrames ?? defaultChunkFrames(size.width, size.height));
      const frames = decodeVideoFrames(tools, { ...decode, maxFrames: lastSource + 1, pixFmt, frameBytes }, { ...options, chunkFrames: perChunk });
      try {
        yield* plan.identity ? frames : pickFrames(frames, plan, frameBytes, perChunk);
      } catch (error) {
        if (error instanceof InterruptedError) throw error;
        throw new MediaError(`${origin}: decoding failed: ${ffmpegReason(error)}`);
      }
    };
  const nativeBytes = video.pixFmt ? rawFrameBytes(video.pixFmt, size.width, size.height) : undefined;
  const untouched = plan.identity && plan.count === video.packets && !decode.scale && !decode.crop;
  const images = lazyImage(
    {
      count: plan.count,
      ...size,
      origin,
      ...(video.pixFmt && nativeBytes && { native: { pixFmt: video.pixFmt, frameBytes: nativeBytes, color: video.color, source: planned(video.pixFmt, nativeBytes) } }),
      ...(untouched && { file: { path, stream: video.index, container: probe.format, codec: video.codec, fps: sourceFps } }),
    },
    planned('rgb24', size.width * size.height * 3),
  );

  let audio = null;
  if (probe.audio && probe.audio.sampleRate > 0 && probe.audio.channels > 0) {
    const wanted = (plan.count * plan.fps.den) / plan.fps.num;
    const available = probe.audio.durationSeconds - plan.startSeconds;
    const durationSeconds = Math.min(wanted, available);
    if (durationSeconds > 0) {
      audio = audioFromFile(tools, { path, stream: probe.audio.audioIndex, startSeconds: plan.startSeconds, durationSeconds }, probe.audio.sampleRate, probe.audio.channels);
    }
  }
  const source: VideoSourceInfo = {
    width: video.width,
    height: video.height,
    fps: sourceFps,
    frameCount: video.packets,
    durationSeconds: (video.packets * sourceFps.den) / sourceFps.num,
    hasAudio: audio !== null,
  };
  return { video: videoFromComponents(images, plan.fps, audio), source };
}
