// ComfyUI's model folder names (folder_paths.py) mapped onto the models/ folder, plus every other
// folder there (FlashGraph's packs keep theirs, e.g. models/FlashPortrait), and the recursive model
// file listing of its experimental model library (app/model_manager.py).
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { FolderLayout } from './folders.ts';
import { isInside } from './safe-path.ts';

/** ComfyUI's supported_pt_extensions, plus ONNX (FlashGraph runs ONNX networks). */
export const MODEL_EXTENSIONS = new Set(['.ckpt', '.pt', '.pt2', '.bin', '.pth', '.safetensors', '.pkl', '.sft', '.onnx']);

/** folder_paths.py's folders under models/, in its order; several have a legacy second folder. */
const COMFY_MODEL_FOLDERS: readonly (readonly [string, readonly string[]])[] = [
  ['checkpoints', ['checkpoints']],
  ['configs', ['configs']],
  ['loras', ['loras']],
  ['vae', ['vae']],
  ['text_encoders', ['text_encoders', 'clip']],
  ['diffusion_models', ['unet', 'diffusion_models']],
  ['clip_vision', ['clip_vision']],
  ['style_models', ['style_models']],
  ['embeddings', ['embeddings']],
  ['diffusers', ['diffusers']],
  ['vae_approx', ['vae_approx']],
  ['controlnet', ['controlnet', 't2i_adapter']],
  ['gligen', ['gligen']],
  ['upscale_models', ['upscale_models']],
  ['hypernetworks', ['hypernetworks']],
  ['photomaker', ['photomaker']],
  ['classifiers', ['classifiers']],
  ['model_patches', ['model_patches']],
  ['audio_encoders', ['audio_encoders']],
];

/** A file name test: whether a folder's listing includes it. */
export type FileFilter = (name: string) => boolean;

/** Model files: ComfyUI's supported_pt_extensions (folder_paths.py:12) plus ONNX. */
export const hasModelExtension: FileFilter = (name) => MODEL_EXTENSIONS.has(extname(name).toLowerCase());

/**
 * The files `GET /models/{folder}` lists, as the extension list each folder carries in
 * folder_paths.py:23-51: `configs` holds `.yaml`, `diffusers` the pseudo-extension `folder` (no
 * file matches), `classifiers` files without an extension; every other folder model files.
 */
export function folderFileFilter(folder: string): FileFilter {
  if (folder === 'configs') return (name) => extname(name).toLowerCase() === '.yaml';
  if (folder === 'diffusers') return () => false;
  if (folder === 'classifiers') return (name) => extname(name) === '';
  return hasModelExtension;
}

/** Folders that hold no models: left out of the model library (model_manager.py:35). */
export const NOT_MODEL_FOLDERS = new Set(['configs', 'custom_nodes']);

/**
 * Every folder name and its search paths, as ComfyUI's `folder_names_and_paths` (GET
 * /internal/folder_paths): ComfyUI's names, `custom_nodes`, then any other folder of models/.
 */
export function modelFolderPaths(layout: FolderLayout, customNodesDirectory = join(layout.base, 'custom_nodes')): Record<string, string[]> {
  const folders: Record<string, string[]> = {};
  const taken = new Set<string>();
  for (const [name, dirs] of COMFY_MODEL_FOLDERS) {
    folders[name] = dirs.map((dir) => join(layout.models, dir));
    for (const dir of dirs) taken.add(dir);
    if (name === 'upscale_models') folders.custom_nodes = [customNodesDirectory];
  }
  let entries: Dirent[] = [];
  try {
    entries = readdirSync(layout.models, { withFileTypes: true });
  } catch {
    // No models folder yet: only ComfyUI's names.
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.') || taken.has(entry.name) || Object.hasOwn(folders, entry.name) || !entry.isDirectory()) continue;
    folders[entry.name] = [join(layout.models, entry.name)];
  }
  return folders;
}

/** One model file of the library: ComfyUI's `{name, pathIndex, modified, created, size}`. */
export interface ModelFile {
  name: string;
  pathIndex: number;
  modified: number;
  created: number;
  size: number;
}

const MAX_DEPTH = 16;

/**
 * The model files below each search path (model_manager.py:79-158): relative names with '/',
 * hidden files and folders and `.git` skipped; `accept` picks the files (model files by default).
 * Symbolic links are followed only while they stay inside the models folder.
 */
export async function listModelFiles(paths: readonly string[], modelsRoot: string, accept: FileFilter = hasModelExtension): Promise<ModelFile[]> {
  const rootReal = await realpath(modelsRoot).catch(() => modelsRoot);
  const files: ModelFile[] = [];
  for (const [pathIndex, folder] of paths.entries()) {
    const walk = async (dir: string, depth: number) => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : 1));
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue;
        const path = join(dir, entry.name);
        const real = await realpath(path).catch(() => undefined);
        if (!real || !isInside(rootReal, real)) continue;
        const found = await stat(real).catch(() => undefined);
        if (!found) continue;
        if (found.isDirectory()) {
          if (depth < MAX_DEPTH) await walk(path, depth + 1);
        } else if (found.isFile() && accept(entry.name)) {
          files.push({
            name: relative(folder, path).split(sep).join('/'),
            pathIndex,
            modified: found.mtimeMs / 1000,
            created: found.ctimeMs / 1000,
            size: found.size,
          });
        }
      }
    };
    await walk(folder, 0);
  }
  return files;
}
