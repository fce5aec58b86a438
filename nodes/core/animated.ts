// ComfyUI's animated savers: SaveAnimatedWEBP, SaveAnimatedPNG and SaveWEBM. Frames stream from the
// IMAGE into an ffmpeg encoder (libwebp_anim, apng, libvpx-vp9 / libsvtav1), so a long clip is never
// held whole; the prompt and workflow go where ComfyUI puts them (WebP EXIF, APNG `comf` chunks,
// WebM container tags).
import { unlink, writeFile } from 'node:fs/promises';
import { rational, type Image } from '../../types/data.ts';
import type { FileRef, UiOutput } from '../../types/api.ts';
import {
  addWebpExif,
  animationRate,
  apngOptions,
  comfyPngChunks,
  comfyWebpExif,
  insertBeforeIend,
  requireEncoder,
  webpOptions,
} from '../../server/media/animated-file.ts';
import { inputError, MediaError, sizeProblem } from '../../server/media/errors.ts';
import { ffmpegReason } from '../../server/media/ffmpeg.ts';
import { mediaToolsFrom } from '../../server/media/tools.ts';
import { encodeFrames, ffmetadata, type EncodeFramesRequest } from '../../server/media/video-encode.ts';
import { InterruptedError } from '../../server/runtime/errors.ts';
import type { NodeContext, NodeDefinition } from '../../server/runtime/schema.ts';
import { saveMetadata } from './media-files.ts';

const WEBP_METHODS = { default: 4, fastest: 0, slowest: 6 } as const;
/** libwebp refuses larger frames. */
const WEBP_MAX_SIDE = 16383;

interface SaveJob {
  node: string;
  images: Image;
  extension: string;
  filenamePrefix: string;
  request: Omit<EncodeFramesRequest, 'path' | 'width' | 'height'>;
  /** Adds metadata to the finished file. */
  finish?: (path: string) => Promise<void>;
}

/** Encodes the frames of `job.images` into one new output file; removes it when anything fails. */
async function saveAnimation(job: SaveJob, ctx: NodeContext): Promise<FileRef> {
  const { images, node } = job;
  const problem = sizeProblem(images.width, images.height);
  if (problem) throw inputError(node, 'images', `image ${problem}`);
  if (images.count === 0) throw inputError(node, 'images', 'there are no frames to save');
  const tools = mediaToolsFrom(ctx.services);
  const target = ctx.storage.saveTarget('output', job.filenamePrefix, job.extension, images);
  try {
    await encodeFrames(tools, { ...job.request, path: target.fullPath, width: images.width, height: images.height }, images.frames({ signal: ctx.signal }), {
      signal: ctx.signal,
      onProgress: (frames) => ctx.progress(frames, images.count),
    });
    await job.finish?.(target.fullPath);
  } catch (error) {
    await unlink(target.fullPath).catch(() => {});
    if (error instanceof InterruptedError || ctx.signal.aborted) throw error;
    if (error instanceof MediaError) throw error;
    throw inputError(node, 'images', `encoding ${target.filename} failed: ${ffmpegReason(error)}`);
  }
  return { filename: target.filename, subfolder: target.subfolder, type: target.type };
}

/** ComfyUI's result of the animated image savers: `animated` only when there is more than one frame. */
function animatedImageUi(file: FileRef, frames: number): { ui: UiOutput } {
  const ui: UiOutput = { images: [file] };
  if (frames > 1) ui.animated = [true];
  return { ui };
}

const hidden = { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' } as const;

export const SaveAnimatedWEBP: NodeDefinition = {
  type: 'SaveAnimatedWEBP',
  category: 'image/animation',
  outputNode: true,
  inputs: {
    required: {
      images: { type: 'IMAGE' },
      filename_prefix: { type: 'STRING', default: 'ComfyUI' },
      fps: { type: 'FLOAT', default: 6.0, min: 0.01, max: 1000.0, step: 0.01 },
      lossless: { type: 'BOOLEAN', default: true },
      quality: { type: 'INT', default: 80, min: 0, max: 100 },
      method: { type: 'COMBO', options: Object.keys(WEBP_METHODS) },
    },
    hidden,
  },
  async execute({ images, filename_prefix, fps, lossless, quality, method, prompt, extra_pnginfo }, ctx) {
    const source = images as Image;
    const node = 'SaveAnimatedWEBP';
    if (!(method in WEBP_METHODS)) throw inputError(node, 'method', `unknown method ${JSON.stringify(method)} (one of ${Object.keys(WEBP_METHODS).join(', ')})`);
    if (source.width > WEBP_MAX_SIDE || source.height > WEBP_MAX_SIDE) {
      throw inputError(node, 'images', `WebP frames are at most ${WEBP_MAX_SIDE}x${WEBP_MAX_SIDE}, got ${source.width}x${source.height}`);
    }
    const tools = mediaToolsFrom(ctx.services);
    await requireEncoder(tools, 'libwebp_anim', node, 'images', 'animated WebP');
    const exif = comfyWebpExif(saveMetadata(prompt, extra_pnginfo));
    const file = await saveAnimation(
      {
        node,
        images: source,
        extension: 'webp',
        filenamePrefix: filename_prefix,
        request: {
          muxer: 'webp',
          fps: animationRate(fps),
          outputOptions: webpOptions({ lossless: Boolean(lossless), quality, method: WEBP_METHODS[method as keyof typeof WEBP_METHODS] }),
        },
        finish: exif ? (path) => addWebpExif(path, exif, source) : undefined,
      },
      ctx,
    );
    return animatedImageUi(file, source.count);
  },
};

export const SaveAnimatedPNG: NodeDefinition = {
  type: 'SaveAnimatedPNG',
  category: 'image/animation',
  outputNode: true,
  inputs: {
    required: {
      images: { type: 'IMAGE' },
      filename_prefix: { type: 'STRING', default: 'ComfyUI' },
      fps: { type: 'FLOAT', default: 6.0, min: 0.01, max: 1000.0, step: 0.01 },
      compress_level: { type: 'INT', default: 4, min: 0, max: 9 },
    },
    hidden,
  },
  async execute({ images, filename_prefix, fps, compress_level, prompt, extra_pnginfo }, ctx) {
    const source = images as Image;
    const node = 'SaveAnimatedPNG';
    await requireEncoder(mediaToolsFrom(ctx.services), 'apng', node, 'images', 'animated PNG');
    const chunks = comfyPngChunks(saveMetadata(prompt, extra_pnginfo));
    const file = await saveAnimation(
      {
        node,
        images: source,
        extension: 'png',
        filenamePrefix: filename_prefix,
        request: { muxer: 'apng', fps: animationRate(fps), outputOptions: apngOptions(compress_level) },
        finish: (path) => insertBeforeIend(path, chunks),
      },
      ctx,
    );
    return animatedImageUi(file, source.count);
  },
};

const WEBM_ENCODERS = { vp9: 'libvpx-vp9', av1: 'libsvtav1' } as const;

export const SaveWEBM: NodeDefinition = {
  type: 'SaveWEBM',
  category: 'image/video',
  outputNode: true,
  experimental: true,
  inputs: {
    required: {
      images: { type: 'IMAGE' },
      filename_prefix: { type: 'STRING', default: 'ComfyUI' },
      codec: { type: 'COMBO', options: Object.keys(WEBM_ENCODERS) },
      fps: { type: 'FLOAT', default: 24.0, min: 0.01, max: 1000.0, step: 0.01 },
      crf: {
        type: 'FLOAT',
        default: 32.0,
        min: 0,
        max: 63.0,
        step: 1,
        tooltip: 'Higher crf means lower quality with a smaller file size, lower crf means higher quality higher filesize.',
      },
    },
    hidden,
  },
  async execute({ images, filename_prefix, codec, fps, crf, prompt, extra_pnginfo }, ctx) {
    const source = images as Image;
    const node = 'SaveWEBM';
    const encoder = WEBM_ENCODERS[codec as keyof typeof WEBM_ENCODERS];
    if (!encoder) throw inputError(node, 'codec', `unknown codec ${JSON.stringify(codec)} (one of ${Object.keys(WEBM_ENCODERS).join(', ')})`);
    const tools = mediaToolsFrom(ctx.services);
    await requireEncoder(tools, encoder, node, 'codec', `WebM with ${codec}`);
    // ComfyUI passes crf to the encoder as the text of a Python float ("32.0"); both encoders take
    // whole values, so it is rounded here.
    const options =
      codec === 'av1'
        ? ['-c:v', 'libsvtav1', '-crf', String(Math.round(crf)), '-preset', '6', '-pix_fmt', 'yuv420p10le']
        : ['-c:v', 'libvpx-vp9', '-crf', String(Math.round(crf)), '-b:v', '0', '-pix_fmt', 'yuv420p'];
    const metadataFile = ctx.storage.saveTarget('temp', 'flashgraph/scratch', 'txt').fullPath;
    await writeFile(metadataFile, ffmetadata(saveMetadata(prompt, extra_pnginfo)), { flag: 'wx' });
    try {
      const file = await saveAnimation(
        {
          node,
          images: source,
          extension: 'webm',
          filenamePrefix: filename_prefix,
          // ComfyUI's stream rate: Fraction(round(fps * 1000), 1000).
          request: { muxer: 'webm', fps: rational(Math.max(1, Math.round(fps * 1000)), 1000), metadataFile, outputOptions: [...options, '-an'] },
        },
        ctx,
      );
      return { ui: { images: [file], animated: [true] } };
    } catch (error) {
      // SVT-AV1 builds such as Debian 12's refuse frames under 64x64 or with odd sides, in words
      // that do not say so ("bad parameter").
      const small = source.width < 64 || source.height < 64 || source.width % 2 === 1 || source.height % 2 === 1;
      if (codec === 'av1' && small && error instanceof MediaError && !ctx.signal.aborted) {
        throw inputError(
          node,
          'codec',
          `${error.message.replace(/^SaveWEBM: input "images": /, '')} (this libsvtav1 may need frames of at least 64x64 with even sides, these are ${source.width}x${source.height}: use vp9 or scale the images)`,
        );
      }
      throw error;
    } finally {
      await unlink(metadataFile).catch(() => {});
    }
  },
};
