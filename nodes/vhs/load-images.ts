// VHS_LoadImages / VHS_LoadImagesPath: a folder of still images as one IMAGE batch, its MASK and
// count. Files are chosen as VHS chooses them (names in code-point order, image extensions only,
// skip / every nth / cap); the batch takes the most common size and other images are centre-cropped
// to its aspect and scaled (lanczos); a MASK (1 - alpha) comes from the alpha channel when any
// chosen file has one, else it is VHS's 64x64 zero mask per frame. Frames are decoded through sharp
// when a downstream node reads them; the mask (small) is built when the node runs.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { lazyImage, mask as makeMask, type Image, type Mask } from '../../types/data.ts';
import { inputError, sizeProblem } from '../../server/media/errors.ts';
import type { NodeContext, NodeDefinition, NodeInputs } from '../../server/runtime/schema.ts';
import { centeredAspectCrop } from '../../server/media/video-file.ts';
import { BIGMAX, CATEGORY, checkMetaBatch, folderInsideFolders, stripPath, SUFFIX } from './common.ts';

/** The extensions VHS's folder loaders accept (ComfyUI's FolderOfImages.IMG_EXTENSIONS). */
export const FOLDER_IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'];

/** Python's sorted() on str: code-point order (UTF-8 byte order is the same). */
const codePointOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The files VHS would load from `directory`, in order, before the load cap. */
export function sortedImageFiles(directory: string, skipFirst = 0, everyNth = 1): string[] {
  const files = readdirSync(directory)
    .sort(codePointOrder)
    .map((name) => join(directory, name))
    .filter((path) => {
      try {
        return statSync(path).isFile();
      } catch {
        return false;
      }
    })
    .filter((path) => FOLDER_IMAGE_EXTENSIONS.includes(`.${path.split('.').at(-1)!.toLowerCase()}`));
  return files.slice(skipFirst).filter((_, i) => i % everyNth === 0);
}

interface FolderSelection {
  files: string[];
  width: number;
  height: number;
  alpha: boolean;
}

function selectionOptions(inputs: NodeInputs) {
  const int = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : fallback);
  return { cap: Math.max(0, int(inputs.image_load_cap, 0)), skip: Math.max(0, int(inputs.skip_first_images, 0)), nth: Math.max(1, int(inputs.select_every_nth, 1)) };
}

function chosenFiles(directory: string, inputs: NodeInputs): string[] {
  const { cap, skip, nth } = selectionOptions(inputs);
  const files = sortedImageFiles(directory, skip, nth);
  return cap > 0 ? files.slice(0, cap) : files;
}

/** Reads every chosen file's header: the batch size (most common, first seen on a tie) and alpha. */
async function inspect(node: string, directory: string, inputs: NodeInputs): Promise<FolderSelection> {
  const files = chosenFiles(directory, inputs);
  if (files.length === 0) throw inputError(node, 'directory', `No files in directory '${directory}'.`);
  const sizes = new Map<string, { width: number; height: number; count: number }>();
  let alpha = false;
  for (const file of files) {
    let meta;
    try {
      meta = await sharp(file).metadata();
    } catch (error) {
      throw inputError(node, 'directory', `${file}: not a readable image: ${(error as Error).message}`);
    }
    const turned = (meta.orientation ?? 1) >= 5;
    const width = turned ? meta.height : meta.width;
    const height = turned ? meta.width : meta.height;
    const problem = sizeProblem(width, height);
    if (problem) throw inputError(node, 'directory', `${file}: ${problem}`);
    // PIL's palette images ('P' mode) have no alpha band, so VHS loads them as RGB.
    alpha ||= meta.hasAlpha && !meta.isPalette;
    const key = `${width}x${height}`;
    const entry = sizes.get(key) ?? { width, height, count: 0 };
    entry.count++;
    sizes.set(key, entry);
  }
  let best = { width: 0, height: 0, count: 0 };
  for (const entry of sizes.values()) if (entry.count > best.count) best = entry;
  return { files, width: best.width, height: best.height, alpha };
}

/** One file as RGB or RGBA uint8 at the batch size (centre crop to the aspect, then lanczos). */
async function decodeAt(file: string, channels: 3 | 4, width: number, height: number): Promise<Uint8Array> {
  const oriented = sharp(file).autoOrient().toColourspace('srgb');
  const withAlpha = channels === 4 ? oriented.ensureAlpha(1) : oriented.removeAlpha();
  const { data, info } = await withAlpha.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== channels) throw new Error(`${file}: decoded ${info.channels} channels, expected ${channels}`);
  if (info.width === width && info.height === height) return data;
  const crop = centeredAspectCrop({ width: info.width, height: info.height }, { width, height });
  const { data: resized } = await sharp(data, { raw: { width: info.width, height: info.height, channels } })
    .extract({ left: crop.x, top: crop.y, width: crop.width, height: crop.height })
    .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return resized;
}

function rgbOf(pixels: Uint8Array, channels: 3 | 4): Uint8Array {
  if (channels === 3) return pixels;
  const n = pixels.length / 4;
  const rgb = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    rgb[p * 3] = pixels[p * 4]!;
    rgb[p * 3 + 1] = pixels[p * 4 + 1]!;
    rgb[p * 3 + 2] = pixels[p * 4 + 2]!;
  }
  return rgb;
}

function folderImage(node: string, selection: FolderSelection): Image {
  const { files, width, height, alpha } = selection;
  const channels = alpha ? 4 : 3;
  return lazyImage({ count: files.length, width, height, origin: `${node} ${files.length} images` }, async function* (options) {
    // The next file is decoded while the current frame is consumed.
    let pending = decodeAt(files[0]!, channels, width, height);
    for (let i = 0; i < files.length; i++) {
      options.signal?.throwIfAborted();
      const pixels = await pending;
      if (i + 1 < files.length) {
        pending = decodeAt(files[i + 1]!, channels, width, height);
        pending.catch(() => undefined);
      }
      yield { start: i, count: 1, data: rgbOf(pixels, channels) };
    }
  });
}

async function folderMask(selection: FolderSelection, ctx: NodeContext): Promise<Mask> {
  const { files, width, height, alpha } = selection;
  if (!alpha) return makeMask(new Float32Array(files.length * 64 * 64), files.length, 64, 64);
  const plane = width * height;
  const data = new Float32Array(files.length * plane);
  for (const [i, file] of files.entries()) {
    ctx.throwIfInterrupted();
    const pixels = await decodeAt(file, 4, width, height);
    for (let p = 0; p < plane; p++) data[i * plane + p] = 1 - pixels[p * 4 + 3]! / 255;
    ctx.progress(i + 1, files.length);
  }
  return makeMask(data, files.length, width, height);
}

async function loadFolder(node: string, directory: string, inputs: NodeInputs, ctx: NodeContext) {
  checkMetaBatch(node, inputs.meta_batch);
  const selection = await inspect(node, directory, inputs);
  const images = folderImage(node, selection);
  let masks: Mask;
  try {
    masks = await folderMask(selection, ctx);
  } catch (error) {
    if ((error as Error).name === 'InterruptedError') throw error;
    throw inputError(node, 'directory', (error as Error).message);
  }
  return [images, masks, selection.files.length];
}

/** VHS's fingerprint: the chosen files and their modification times. */
function folderFingerprint(directory: string | undefined, inputs: NodeInputs): string | boolean {
  if (!directory) return false;
  try {
    return chosenFiles(directory, inputs)
      .map((file) => `${file}:${statSync(file).mtimeMs}`)
      .join('\n');
  } catch {
    return false;
  }
}

function validateFolder(directory: string): true | string {
  const entries = readdirSync(directory);
  return entries.length === 0 ? `No files in directory '${directory}'.` : true;
}

const folderOptionalInputs = {
  image_load_cap: { type: 'INT', default: 0, min: 0, max: BIGMAX, step: 1 },
  skip_first_images: { type: 'INT', default: 0, min: 0, max: BIGMAX, step: 1 },
  select_every_nth: { type: 'INT', default: 1, min: 1, max: BIGMAX, step: 1 },
  meta_batch: { type: 'VHS_BatchManager' },
} as const;

const folderOutputs = [
  { type: 'IMAGE', name: 'IMAGE' },
  { type: 'MASK', name: 'MASK' },
  { type: 'INT', name: 'frame_count' },
] as const;

/** The input folder's top-level folders (ComfyUI's clipspace excepted), for the Upload node. */
function inputDirectories(listFiles: (folder: 'input') => string[]): string[] {
  const dirs = new Set<string>();
  for (const path of listFiles('input')) {
    const slash = path.indexOf('/');
    if (slash > 0) dirs.add(path.slice(0, slash));
  }
  dirs.delete('clipspace');
  return [...dirs].sort(codePointOrder);
}

function uploadFolder(ctx: Pick<NodeContext, 'storage'>, directory: unknown): string | undefined {
  const name = stripPath(directory);
  if (name === '' || name.includes('\0')) return undefined;
  // Only a folder inside input/ (annotations "[output]"/"[temp]" as ComfyUI's get_annotated_filepath).
  if (/^[\\/]|^[a-z]:/i.test(name)) return undefined;
  return folderInsideFolders(ctx.storage, name).path;
}

export const VHS_LoadImages: NodeDefinition = {
  type: 'VHS_LoadImages',
  displayName: `Load Images (Upload)${SUFFIX}`,
  description: 'Loads the images of a folder inside the input folder as one batch (sorted by name), with a MASK from their alpha and the count.',
  category: CATEGORY,
  inputs: {
    required: { directory: { type: 'COMBO', options: (env) => inputDirectories((folder) => env.listFiles(folder)) } },
    optional: folderOptionalInputs,
    hidden: { unique_id: 'UNIQUE_ID' },
  },
  outputs: folderOutputs,
  isChanged: (inputs, ctx) => folderFingerprint(uploadFolder(ctx, inputs.directory), inputs),
  validatedInputs: ['directory'],
  validateInputs: ({ directory }, ctx) => {
    const path = uploadFolder(ctx, directory);
    return path ? validateFolder(path) : `Directory '${directory}' cannot be found.`;
  },
  async execute(inputs, ctx) {
    const path = uploadFolder(ctx, inputs.directory);
    if (!path) throw inputError('VHS_LoadImages', 'directory', `Directory '${inputs.directory}' cannot be found in the input folder.`);
    return loadFolder('VHS_LoadImages', path, inputs, ctx);
  },
};

export const VHS_LoadImagesPath: NodeDefinition = {
  type: 'VHS_LoadImagesPath',
  displayName: `Load Images (Path)${SUFFIX}`,
  description: 'Loads the images of a folder (relative to the input folder, or absolute inside the input, output or temp folder) as one batch, with a MASK from their alpha and the count.',
  category: CATEGORY,
  inputs: {
    required: { directory: { type: 'STRING', placeholder: 'X://path/to/images', extra: { vhs_path_extensions: [] } } },
    optional: folderOptionalInputs,
    hidden: { unique_id: 'UNIQUE_ID' },
  },
  outputs: folderOutputs,
  isChanged: (inputs, ctx) => (inputs.directory === null || inputs.directory === undefined ? 'input' : folderFingerprint(folderInsideFolders(ctx.storage, inputs.directory).path, inputs)),
  validateInputs: ({ directory }, ctx) => {
    // A linked directory (null here) is checked when the node runs.
    if (directory === null || directory === undefined) return true;
    const found = folderInsideFolders(ctx.storage, directory);
    return found.path ? validateFolder(found.path) : `directory is not valid: ${found.problem}`;
  },
  async execute(inputs, ctx) {
    const found = folderInsideFolders(ctx.storage, inputs.directory);
    if (!found.path) throw inputError('VHS_LoadImagesPath', 'directory', `directory is not valid: ${found.problem}`);
    const problem = validateFolder(found.path);
    if (problem !== true) throw inputError('VHS_LoadImagesPath', 'directory', problem);
    return loadFolder('VHS_LoadImagesPath', found.path, inputs, ctx);
  },
};
