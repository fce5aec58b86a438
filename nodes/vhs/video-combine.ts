// VHS_VideoCombine: frames (+ optional audio) to an animated image or a video, named as VHS names
// them (`<prefix>_00001.mp4`, the first frame as `<prefix>_00001.png` with the workflow, and
// `<prefix>_00001-audio.mp4` when audio is muxed), with VHS's `ui.gifs` entry and Filenames output.
// Frames stream from the source into ffmpeg; only pingpong keeps the frames it plays back.
import { mkdirSync, readdirSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatRational, rationalFromNumber, type Audio, type Image } from '../../types/data.ts';
import { audioAsInput, type PreparedAudio } from '../../server/media/audio-input.ts';
import { inputError, MediaError } from '../../server/media/errors.ts';
import { ffmpegCommand, ffmpegEncoders, ffmpegReason, runCommand } from '../../server/media/ffmpeg.ts';
import { encodePng } from '../../server/media/image-file.ts';
import { mediaToolsFrom } from '../../server/media/tools.ts';
import { ffmetadata } from '../../server/media/video-encode.ts';
import { InterruptedError } from '../../server/runtime/errors.ts';
import type { NodeContext, NodeDefinition, NodeInputs } from '../../server/runtime/schema.ts';
import { expandPrefix } from '../../server/storage/folders.ts';
import { saveMetadata } from '../core/media-files.ts';
import { CATEGORY, checkMetaBatch, SUFFIX } from './common.ts';
import { encodeRawFrames } from './encode.ts';
import { FORMATS, formatWidgets, widgetDefault, widgetProblem, type VideoFormatSpec } from './formats.ts';
import { refuseUnsupported } from './load-video.ts';
import { reserveFile } from '../../server/storage/safe-write.ts';

const NODE = 'VHS_VideoCombine';

/** VHS_FILENAMES: whether the files went to the output folder, and their absolute paths. */
export type VhsFilenames = [saveOutput: boolean, files: string[]];

/** VHS's save path: the prefix's folders and name, and the next counter over `<name>_<n>*.*` files. */
function vhsSaveTarget(ctx: NodeContext, saveOutput: boolean, filenamePrefix: string, size: { width: number; height: number }) {
  const folder = saveOutput ? 'output' : 'temp';
  // saveTarget checks the prefix and creates the folder (the temp folder with its marker).
  const probe = ctx.storage.saveTarget(folder, filenamePrefix, 'png', size);
  const dir = probe.fullPath.slice(0, probe.fullPath.length - probe.filename.length);
  const name = expandPrefix(filenamePrefix, size).split('/').pop()!;
  mkdirSync(dir, { recursive: true });
  const matcher = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_(\\d+)\\D*\\..+$`, 'i');
  let highest = 0;
  for (const file of readdirSync(dir)) {
    const match = matcher.exec(file);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  const base = `${name}_${String(highest + 1).padStart(5, '0')}`;
  return { dir, base, subfolder: probe.subfolder, type: folder as 'output' | 'temp' };
}

/** The frames of `image` as whole-frame buffers; with pingpong, then frames n-2 .. 1 again. */
async function* frameStream(image: Image, pingpong: boolean, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const size = image.width * image.height * 3;
  const keep = pingpong && image.count > 2;
  const kept: Uint8Array[] = [];
  for await (const chunk of image.frames({ signal })) {
    yield chunk.data;
    if (!keep) continue;
    for (let f = 0; f < chunk.count; f++) {
      const index = chunk.start + f;
      if (index >= 1 && index <= image.count - 2) kept.push(chunk.data.slice(f * size, (f + 1) * size));
    }
  }
  for (let i = kept.length - 1; i >= 0; i--) yield kept[i]!;
}

/** The format widgets' values: linked or given (declared nowhere, so read from the prompt), else defaults. */
function formatValues(spec: VideoFormatSpec, inputs: NodeInputs, ctx: NodeContext): Record<string, unknown> {
  const given = (ctx.prompt[ctx.nodeId]?.inputs ?? {}) as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  for (const widget of spec.widgets) {
    const name = widget[0];
    let value = inputs[name] ?? (Array.isArray(given[name]) ? undefined : given[name]);
    if (value === undefined || value === null) value = widgetDefault(widget);
    const problem = widgetProblem(widget, value);
    if (problem) throw inputError(NODE, name, problem);
    values[name] = value;
  }
  return values;
}

export const VHS_VideoCombine: NodeDefinition = {
  type: NODE,
  displayName: `Video Combine${SUFFIX}`,
  description: 'Saves frames (and optional audio) as an animated image or a video, in the output folder or, with save_output off, the temp folder.',
  category: CATEGORY,
  outputNode: true,
  inputs: {
    required: {
      images: { type: 'IMAGE' },
      frame_rate: { type: 'FLOAT', default: 8, min: 1, step: 1 },
      loop_count: { type: 'INT', default: 0, min: 0, max: 100, step: 1 },
      filename_prefix: { type: 'STRING', default: 'AnimateDiff' },
      format: { type: 'COMBO', options: Object.keys(FORMATS), extra: { formats: formatWidgets() } },
      pingpong: { type: 'BOOLEAN', default: false },
      save_output: { type: 'BOOLEAN', default: true },
    },
    optional: {
      audio: { type: 'AUDIO' },
      meta_batch: { type: 'VHS_BatchManager' },
      vae: { type: 'VAE' },
    },
    hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO', unique_id: 'UNIQUE_ID' },
  },
  outputs: [{ type: 'VHS_FILENAMES', name: 'Filenames' }],
  async execute(inputs, ctx) {
    checkMetaBatch(NODE, inputs.meta_batch);
    refuseUnsupported(NODE, inputs, {
      vae: 'decoding latents inside Video Combine is not supported in FlashGraph; disconnect the VAE and feed images from a VAE Decode node',
    });
    const { frame_rate, loop_count, filename_prefix, format, pingpong, save_output, prompt, extra_pnginfo } = inputs;
    const images = inputs.images as Image | null;
    const saveOutput = save_output !== false;
    if (!images || images.count === 0) return { result: [[saveOutput, []] satisfies VhsFilenames] };
    const spec = Object.hasOwn(FORMATS, format) ? FORMATS[format as string]! : undefined;
    if (!spec) throw inputError(NODE, 'format', `unknown format ${JSON.stringify(format)} (one of ${Object.keys(FORMATS).join(', ')})`);
    if (!(typeof frame_rate === 'number' && frame_rate > 0)) throw inputError(NODE, 'frame_rate', `must be a positive number, got ${JSON.stringify(frame_rate)}`);
    const values = formatValues(spec, inputs, ctx);
    const tools = mediaToolsFrom(ctx.services);
    if (!(await ffmpegEncoders(tools)).has(spec.encoder)) throw inputError(NODE, 'format', `${format} needs ffmpeg's ${spec.encoder} encoder, which ${tools.ffmpeg} lacks`);

    const { width, height } = images;
    const target = vhsSaveTarget(ctx, saveOutput, filename_prefix, { width, height });
    const outputFiles: string[] = [];
    const scratch: string[] = [];
    const scratchPath = (ext: string) => {
      const path = ctx.storage.saveTarget('temp', 'flashgraph/scratch', ext).fullPath;
      scratch.push(path);
      return path;
    };
    const workflowExtra = (extra_pnginfo as { workflow?: { extra?: Record<string, unknown> } } | null)?.workflow?.extra ?? {};
    const tags = saveMetadata(prompt, extra_pnginfo);

    // The first frame as a PNG with the prompt and workflow (VHS's "workflow" image).
    const pngName = `${target.base}.png`;
    if (workflowExtra.VHS_MetadataImage !== false) {
      let first: Uint8Array | undefined;
      for await (const chunk of images.frames({ signal: ctx.signal, chunkFrames: 1 })) {
        first = chunk.data.subarray(0, width * height * 3);
        break;
      }
      const texts = { ...tags, CreationTime: new Date().toISOString().replace('T', ' ').slice(0, 19) };
      await writeFile(join(target.dir, pngName), await encodePng(first!, width, height, 4, texts), { flag: 'wx' });
    }
    outputFiles.push(join(target.dir, pngName));

    const pad = { x: (spec.alignment - (width % spec.alignment)) % spec.alignment, y: (spec.alignment - (height % spec.alignment)) % spec.alignment };
    const frames = pingpong && images.count > 2 ? 2 * images.count - 2 : images.count;
    const chain: string[] = [];
    if (!spec.containerLoop && loop_count > 0) chain.push(`loop=loop=${loop_count}:size=${frames}`);
    if (pad.x || pad.y) chain.push(`pad=iw+${pad.x}:ih+${pad.y}:0:0`, `fillborders=right=${pad.x}:bottom=${pad.y}:mode=smear`);
    const formatArgs = { values, width: width + pad.x, height: height + pad.y };
    chain.push(...(spec.filters?.(formatArgs) ?? []));
    const filterOptions = spec.complexFilter ? ['-filter_complex', spec.complexFilter(formatArgs, chain.join(','))] : chain.length > 0 ? ['-vf', chain.join(',')] : [];

    const videoName = `${target.base}.${spec.extension}`;
    const videoPath = join(target.dir, videoName);
    const extraInputs: { path: string; options: string[] }[] = [];
    const outputOptions = ['-map', '0:v'];
    if (values.save_metadata === true) {
      const metadataFile = scratchPath('txt');
      await writeFile(metadataFile, ffmetadata(tags), { flag: 'wx' });
      extraInputs.push({ path: metadataFile, options: ['-f', 'ffmetadata'] });
      outputOptions.push('-map_metadata', '1', '-metadata', 'creation_time=now');
      if (spec.muxer === 'mp4' || spec.muxer === 'mov') outputOptions.push('-movflags', 'use_metadata_tags');
    }
    outputOptions.push(...filterOptions, ...spec.encode(formatArgs));
    if (spec.containerLoop) outputOptions.push('-loop', String(loop_count));
    const rate = formatRational(rationalFromNumber(frame_rate));
    const inputOptions = ['-color_range', 'pc', '-colorspace', 'rgb', '-color_primaries', 'bt709', '-color_trc', spec.fakeTrc ?? 'iec61966-2-1'];

    let written = 0;
    let prepared: PreparedAudio | undefined;
    let shownFile = videoName;
    try {
      written = await encodeRawFrames(
        tools,
        { path: videoPath, muxer: spec.muxer, width, height, inputOptions, rate, extraInputs, outputOptions },
        frameStream(images, pingpong === true, ctx.signal),
        { signal: ctx.signal, onFrames: (n) => ctx.progress(n, frames) },
      );
      outputFiles.push(videoPath);
      const audio = inputs.audio as Audio | null | undefined;
      if (audio && spec.audio && !spec.containerLoop) {
        const totalFrames = written * (spec.containerLoop ? 1 : loop_count + 1);
        const audioName = `${target.base}-audio.${spec.extension}`;
        const audioPath = join(target.dir, audioName);
        prepared = await audioAsInput(audio, () => scratchPath('f32'), { signal: ctx.signal });
        await reserveFile(audioPath);
        const apad = values.trim_to_audio === true ? [] : ['-af', `apad=whole_dur=${totalFrames / frame_rate + 1}`];
        const command = ffmpegCommand(tools)
          .input(videoPath)
          .input(prepared.input.path)
          .inputOptions(prepared.input.options)
          .outputOptions(['-map', '0:v', '-map', `1:${prepared.input.stream}`, '-c:v', 'copy', ...spec.audio, ...apad, '-shortest'])
          .format(spec.muxer)
          .output(audioPath);
        await runCommand(command, ctx.signal);
        outputFiles.push(audioPath);
        shownFile = audioName;
      }
    } catch (error) {
      // No half-written files are left behind (the workflow PNG goes with them).
      await Promise.all([...outputFiles, videoPath, join(target.dir, `${target.base}-audio.${spec.extension}`)].map((path) => unlink(path).catch(() => {})));
      if (error instanceof InterruptedError || ctx.signal.aborted) throw error;
      if (error instanceof MediaError) throw error;
      throw inputError(NODE, 'format', `writing ${videoName} as ${format} failed: ${ffmpegReason(error)}`);
    } finally {
      await prepared?.cleanup();
      await Promise.all(scratch.map((path) => unlink(path).catch(() => {})));
    }
    if (workflowExtra.VHS_KeepIntermediate === false) {
      await Promise.all(outputFiles.slice(1, -1).map((path) => unlink(path).catch(() => {})));
    }
    const preview = {
      filename: shownFile,
      subfolder: target.subfolder,
      type: target.type,
      format,
      frame_rate,
      workflow: pngName,
      fullpath: outputFiles.at(-1)!,
    };
    return { ui: { gifs: [preview] }, result: [[saveOutput, outputFiles] satisfies VhsFilenames] };
  },
};

/** VHS_SelectFilename: one path of a VHS_FILENAMES list (Python-style negative index). */
export const VHS_SelectFilename: NodeDefinition = {
  type: 'VHS_SelectFilename',
  displayName: `Select Filename${SUFFIX}`,
  category: CATEGORY,
  inputs: { required: { filenames: { type: 'VHS_FILENAMES' }, index: { type: 'INT', default: -1, step: 1, min: -1 } } },
  outputs: [{ type: 'STRING', name: 'Filename' }],
  execute: ({ filenames, index }) => {
    const files = (filenames as VhsFilenames)[1];
    const at = index < 0 ? files.length + index : index;
    if (at < 0 || at >= files.length) throw inputError('VHS_SelectFilename', 'index', `${index} is outside the ${files.length} file names`);
    return [files[at]];
  },
};
