// What the VideoHelperSuite-compatible nodes share: VHS's category names and limits, and how a
// path typed into a "(Path)" node is checked against the folders FlashGraph lets nodes read.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { existingFile, parseAnnotated } from '../core/media-files.ts';
import { MediaError } from '../../server/media/errors.ts';
import type { NodeContext, NodeDefinition, NodeStorage } from '../../server/runtime/schema.ts';
import { inputError } from '../../server/media/errors.ts';

export const CATEGORY = 'Video Helper Suite 🎥🅥🅗🅢';
export const SUFFIX = ' 🎥🅥🅗🅢';
/** VHS's BIGMAX / BIGMIN (the largest exact integer of a double) and DIMMAX. */
export const BIGMAX = 2 ** 53 - 1;
export const BIGMIN = -(2 ** 53 - 1);
export const DIMMAX = 8192;

/** VHS strips surrounding quotes and spaces from typed paths (pasted "C:\\x.mp4"). */
export function stripPath(path: unknown): string {
  if (typeof path !== 'string') return '';
  let p = path.trim();
  if (p.length >= 2 && p.startsWith('"') && p.endsWith('"')) p = p.slice(1, -1);
  return p;
}

/**
 * The file a "(Path)" node names: an absolute path inside the input, output or temp folder, or a
 * path relative to the input folder (ComfyUI's "name [output]" annotations work too). Files
 * elsewhere on disk and URLs are refused: FlashGraph nodes only read the folders it serves.
 */
export function pathInsideFolders(storage: NodeStorage, typed: unknown): { path?: string; problem?: string } {
  const p = stripPath(typed);
  if (p === '') return { problem: 'no path given' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) return { problem: `${p}: URLs are not loaded (download the file into the input folder)` };
  if (isAbsolute(p)) {
    const full = resolve(p);
    for (const folder of ['input', 'output', 'temp'] as const) {
      const root = storage.directory(folder);
      const rel = relative(root, full);
      if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) {
        return existsSync(full) && statSync(full).isFile() ? { path: full } : { problem: `${p}: no such file` };
      }
    }
    return { problem: `${p}: lies outside the input, output and temp folders` };
  }
  const found = existingFile(storage, p);
  return found ? { path: found } : { problem: `${p}: no such file in the input folder` };
}

/**
 * The folder a "(Path)" folder input names: relative to the input folder, or absolute inside the
 * input, output or temp folder (the same confinement as `pathInsideFolders`, for directories).
 */
export function folderInsideFolders(storage: NodeStorage, typed: unknown): { path?: string; problem?: string } {
  const p = stripPath(typed);
  if (p === '') return { problem: 'no directory given' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) return { problem: `${p}: URLs are not loaded` };
  let full: string;
  if (isAbsolute(p)) {
    full = resolve(p);
    const inside = (['input', 'output', 'temp'] as const).some((folder) => {
      const rel = relative(storage.directory(folder), full);
      return !rel.startsWith('..') && !isAbsolute(rel);
    });
    if (!inside) return { problem: `${p}: lies outside the input, output and temp folders` };
  } else {
    try {
      const { folder, path } = parseAnnotated(p);
      full = storage.resolve(folder, path);
    } catch {
      return { problem: `${p}: lies outside the input folder` };
    }
  }
  return existsSync(full) && statSync(full).isDirectory() ? { path: full } : { problem: `Directory '${p}' cannot be found.` };
}

/**
 * VHS_BatchManager's value. VHS runs the whole prompt once per batch of `frames_per_batch` frames;
 * FlashGraph streams frames instead, so the loaders and Video Combine take everything in one run
 * and the manager only carries its setting (the final output is that of an unbatched run).
 */
export interface VhsBatchManager {
  readonly type: 'VHS_BatchManager';
  readonly framesPerBatch: number;
  describe(): string;
}

/**
 * Checks a connected meta_batch: it must come from a Meta Batch Manager and, for a load format
 * with a frame-count rule (`[div, mod]`), VHS refuses a frames_per_batch outside that rule.
 */
export function checkMetaBatch(node: string, value: unknown, frames?: readonly [number, number]): void {
  if (value === undefined || value === null) return;
  const manager = value as Partial<VhsBatchManager>;
  if (manager.type !== 'VHS_BatchManager' || typeof manager.framesPerBatch !== 'number') {
    throw new MediaError(`${node}: input "meta_batch": expected the output of a Meta Batch Manager (VHS_BatchManager)`);
  }
  if (frames) {
    const [div, mod] = frames;
    const fpb = manager.framesPerBatch;
    if (fpb % div !== mod) {
      const error = (((fpb - mod) % div) + div) % div;
      let suggested = fpb - error;
      if (error > div / 2) suggested += div;
      throw new MediaError(`${node}: input "meta_batch": The chosen frames per batch is incompatible with the selected format. Try ${suggested}`);
    }
  }
}

/** A file's modification time and size, or NaN (always re-run) when there is none. */
export function mtimeFingerprint(path: string | undefined): string | number {
  if (!path) return NaN;
  const stat = statSync(path);
  return `${stat.mtimeMs}:${stat.size}`;
}

/**
 * isChanged and validateInputs of a node that reads a file named by the path input `input`,
 * confined to the input, output and temp folders (a linked path is checked when the node runs).
 */
export function pathInputHooks(input: string): Pick<NodeDefinition, 'isChanged' | 'validateInputs'> {
  return {
    isChanged: (inputs, ctx) => mtimeFingerprint(pathInsideFolders(ctx.storage, inputs[input]).path),
    validateInputs: (inputs, ctx) => {
      if (inputs[input] === null || inputs[input] === undefined) return true;
      const found = pathInsideFolders(ctx.storage, inputs[input]);
      return found.path ? true : `${input} is not a valid path: ${found.problem}`;
    },
  };
}

/**
 * isChanged and validateInputs of an upload combo `input` naming a file in the input folder;
 * `what` names the kind of file in ComfyUI's message ("Invalid video file: x").
 */
export function uploadInputHooks(input: string, what: string): Pick<NodeDefinition, 'isChanged' | 'validatedInputs' | 'validateInputs'> {
  return {
    isChanged: (inputs, ctx) => mtimeFingerprint(existingFile(ctx.storage, stripPath(inputs[input]))),
    validatedInputs: [input],
    validateInputs: (inputs, ctx) => (existingFile(ctx.storage, stripPath(inputs[input])) ? true : `Invalid ${what} file: ${inputs[input]}`),
  };
}

/** The input-folder file an upload combo names (and its name), or the node's error. */
export function resolveUploadInput(node: string, input: string, what: string, value: unknown, ctx: Pick<NodeContext, 'storage'>): { path: string; name: string } {
  const name = stripPath(value);
  const path = existingFile(ctx.storage, name);
  if (!path) throw inputError(node, input, `Invalid ${what} file: ${value}`);
  return { path, name };
}

/** The file a path input names, or an error naming the node and input. */
export function resolvePathInput(node: string, input: string, value: unknown, ctx: Pick<NodeContext, 'storage'>): string {
  const found = pathInsideFolders(ctx.storage, value);
  if (!found.path) throw inputError(node, input, `not a valid path: ${found.problem}`);
  return found.path;
}
