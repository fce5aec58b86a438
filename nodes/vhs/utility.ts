// VHS_Unbatch, VHS_PruneOutputs and VHS_SelectLatest.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { concatImages, mask as makeMask, type Image, type Mask } from '../../types/data.ts';
import { inputError } from '../../server/media/errors.ts';
import type { NodeDefinition, NodeStorage } from '../../server/runtime/schema.ts';
import { BIGMAX, CATEGORY, stripPath, SUFFIX, type VhsBatchManager } from './common.ts';
import type { VhsFilenames } from './video-combine.ts';

const isImage = (v: unknown): v is Image => (v as Image | null)?.type === 'IMAGE';
const isMask = (v: unknown): v is Mask => (v as Mask | null)?.type === 'MASK';

/**
 * VHS_Unbatch: the list a list-producing node (or a batched run) gave, joined into one value as VHS
 * joins it: IMAGEs and MASKs end to end in one batch (same size required), anything else with
 * Python's `+` (lists concatenated, strings joined, numbers summed).
 */
export const VHS_Unbatch: NodeDefinition = {
  type: 'VHS_Unbatch',
  displayName: `Unbatch${SUFFIX}`,
  category: CATEGORY,
  inputs: { required: { batched: { type: '*' } } },
  inputIsList: true,
  outputs: [{ type: '*', name: 'unbatched' }],
  validateInputs: () => true,
  execute: ({ batched }) => {
    const items = batched as unknown[];
    const fail = (why: string) => inputError('VHS_Unbatch', 'batched', why);
    if (items.length === 0) throw fail('nothing to unbatch');
    const first = items[0];
    if (isImage(first)) {
      if (!items.every(isImage)) throw fail('a list that mixes IMAGE with other types cannot be joined');
      try {
        return [items.slice(1).reduce<Image>((a, b) => concatImages(a, b), first)];
      } catch (error) {
        throw fail((error as Error).message);
      }
    }
    if (isMask(first)) {
      if (!items.every(isMask)) throw fail('a list that mixes MASK with other types cannot be joined');
      const masks = items as Mask[];
      const odd = masks.find((m) => m.width !== first.width || m.height !== first.height);
      if (odd) throw fail(`cannot batch masks of different sizes (${first.width}x${first.height} and ${odd.width}x${odd.height})`);
      const plane = first.width * first.height;
      const count = masks.reduce((n, m) => n + m.count, 0);
      const data = new Float32Array(count * plane);
      let at = 0;
      for (const m of masks) {
        data.set(m.data, at);
        at += m.data.length;
      }
      return [makeMask(data, count, first.width, first.height)];
    }
    if ((first as { type?: unknown } | null)?.type === 'AUDIO') {
      throw fail('AUDIO is not joined: VHS stacks waveforms as a batch of clips, and FlashGraph audio holds one clip');
    }
    if (Array.isArray(first)) {
      if (!items.every(Array.isArray)) throw fail('a list that mixes lists with other values cannot be joined');
      return [(items as unknown[][]).flat(1)];
    }
    if (typeof first === 'string') {
      if (!items.every((v) => typeof v === 'string')) throw fail('strings can only be joined with strings');
      return [(items as string[]).join('')];
    }
    if (typeof first === 'number' || typeof first === 'boolean') {
      if (!items.every((v) => typeof v === 'number' || typeof v === 'boolean')) throw fail('numbers can only be added to numbers');
      return [(items as number[]).reduce((a, b) => Number(a) + Number(b), 0)];
    }
    if (items.length === 1) return [first];
    throw fail(`${describe(first)} values cannot be joined`);
  },
};

function describe(v: unknown): string {
  const type = (v as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : typeof v;
}

const PRUNE_OPTIONS = ['Intermediate', 'Intermediate and Utility'];

function insideFolder(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * VHS_PruneOutputs: deletes what VHS_VideoCombine wrote besides its final file: "Intermediate"
 * removes the files between the first and the last (the video without sound when audio was
 * muxed), "Intermediate and Utility" also the first (the PNG with the workflow). Only files in the
 * output or temp folder are deleted; anything else is an error.
 */
export const VHS_PruneOutputs: NodeDefinition = {
  type: 'VHS_PruneOutputs',
  displayName: `Prune Outputs${SUFFIX}`,
  category: CATEGORY,
  inputs: { required: { filenames: { type: 'VHS_FILENAMES' }, options: { type: 'COMBO', options: PRUNE_OPTIONS } } },
  outputs: [],
  outputNode: true,
  execute: ({ filenames, options }, ctx) => {
    const files = (filenames as VhsFilenames | undefined)?.[1];
    if (!Array.isArray(files)) throw inputError('VHS_PruneOutputs', 'filenames', 'expected the Filenames output of Video Combine');
    if (files.length === 0) return [];
    if (files.length < 2 || files.length > 3) throw inputError('VHS_PruneOutputs', 'filenames', `expected 2 or 3 files from Video Combine, got ${files.length}`);
    const doomed: string[] = [];
    if (options === 'Intermediate' || options === 'Intermediate and Utility') doomed.push(...files.slice(1, -1));
    if (options === 'Intermediate and Utility') doomed.push(files[0]!);
    const roots = [ctx.storage.directory('output'), ctx.storage.directory('temp')];
    for (const file of doomed) {
      if (typeof file !== 'string' || !roots.some((root) => insideFolder(root, file))) {
        throw inputError('VHS_PruneOutputs', 'filenames', `Tried to prune output from invalid directory: ${String(file)}`);
      }
    }
    for (const file of doomed) if (existsSync(file)) rmSync(file);
    return [];
  },
};

/** `output/AnimateDiff` -> the output folder's `AnimateDiff`; absolute paths must lie in a folder. */
function resolvePrefixFolder(storage: NodeStorage, dirPart: string): string | undefined {
  if (isAbsolute(dirPart)) {
    const full = resolve(dirPart);
    const inside = (['input', 'output', 'temp'] as const).some((f) => {
      const rel = relative(storage.directory(f), full);
      return !rel.startsWith('..') && !isAbsolute(rel);
    });
    return inside ? full : undefined;
  }
  const parts = dirPart.split('/').filter((p) => p !== '' && p !== '.');
  const folder = parts[0];
  if (folder !== 'input' && folder !== 'output' && folder !== 'temp') return undefined;
  try {
    return storage.resolve(folder, parts.slice(1).join('/'));
  } catch {
    return undefined;
  }
}

/**
 * VHS_SelectLatest: the most recently modified file whose name starts with the prefix's last part
 * and ends with the postfix, in the prefix's folder. In VHS it is a browser-side node that copies
 * that name into the linked widget before queueing; here it runs each time the prompt runs and
 * outputs the file's absolute path (which the "(Path)" loaders accept). The folder is one of
 * `input/`, `output/`, `temp/` (as in VHS's default "output/AnimateDiff") or an absolute path inside them.
 */
export const VHS_SelectLatest: NodeDefinition = {
  type: 'VHS_SelectLatest',
  displayName: `Select Latest${SUFFIX}`,
  category: CATEGORY,
  experimental: true,
  inputs: {
    required: {
      filename_prefix: { type: 'STRING', default: 'output/AnimateDiff', extra: { vhs_path_extensions: [] } },
      filename_postfix: { type: 'STRING', placeholder: '.webm' },
    },
  },
  outputs: [{ type: 'STRING', name: 'Filename' }],
  isChanged: () => NaN,
  execute: ({ filename_prefix, filename_postfix }, ctx) => {
    const prefix = stripPath(filename_prefix).replaceAll('\\', '/');
    const postfix = typeof filename_postfix === 'string' ? filename_postfix : '';
    const slash = prefix.lastIndexOf('/');
    const dirPart = slash >= 0 ? prefix.slice(0, slash + 1) : '';
    const stem = prefix.slice(slash + 1);
    const dir = resolvePrefixFolder(ctx.storage, dirPart);
    if (!dir) throw inputError('VHS_SelectLatest', 'filename_prefix', `${JSON.stringify(dirPart || prefix)} is not inside the input, output or temp folder (write e.g. "output/AnimateDiff")`);
    const names = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : [];
    const candidates = names
      .map((entry) => ({ name: entry.isDirectory() ? `${entry.name}/` : entry.name, path: join(dir, entry.name) }))
      .filter((c) => c.name.startsWith(stem) && c.name.endsWith(postfix) && !c.name.endsWith('/'))
      .map((c) => ({ ...c, mtime: statSync(c.path).mtimeMs }))
      .sort((a, b) => a.mtime - b.mtime);
    const latest = candidates.at(-1);
    if (!latest) throw inputError('VHS_SelectLatest', 'filename_prefix', `no file in ${dir}${sep} starts with ${JSON.stringify(stem)} and ends with ${JSON.stringify(postfix)}`);
    return [latest.path];
  },
};

/**
 * VHS_BatchManager ("Meta Batch Manager"). VHS re-queues the whole prompt once per batch of
 * frames_per_batch frames, each run loading, processing and appending the next batch, to bound
 * memory. FlashGraph already streams frames, so it runs once: the loaders connected to it load
 * every frame and Video Combine writes them all, which is the output of an unbatched run. (Nodes in
 * between see the whole video at once, not batches of frames_per_batch.) A load format with a
 * frame-count rule still refuses a frames_per_batch that breaks it, as VHS does.
 */
export const VHS_BatchManager: NodeDefinition = {
  type: 'VHS_BatchManager',
  displayName: `Meta Batch Manager${SUFFIX}`,
  category: CATEGORY,
  inputs: {
    required: { frames_per_batch: { type: 'INT', default: 16, min: 1, max: BIGMAX, step: 1 } },
    hidden: { prompt: 'PROMPT', unique_id: 'UNIQUE_ID' },
  },
  outputs: [{ type: 'VHS_BatchManager', name: 'meta_batch' }],
  execute: ({ frames_per_batch }) => {
    const framesPerBatch = Number(frames_per_batch);
    const manager: VhsBatchManager = { type: 'VHS_BatchManager', framesPerBatch, describe: () => `VHS_BatchManager (${framesPerBatch} frames per batch; FlashGraph runs unbatched)` };
    return [manager];
  },
};
