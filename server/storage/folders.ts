import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FolderType } from '../../types/api.ts';
import type { NodeStorage, SaveTarget } from '../runtime/schema.ts';
import { checkRelativePath, resolveInside, UnsafePathError } from './safe-path.ts';
import { makeDirectory } from './safe-write.ts';

export interface FolderLayout {
  base: string;
  input: string;
  output: string;
  temp: string;
  models: string;
  user: string;
}

/** Every folder the storage knows: the three ComfyUI file types plus models/ and user/. */
export type StorageFolder = FolderType | 'models' | 'user';

const TEMP_MARKER = '.flashgraph-temp';

/** ComfyUI's layout: input/, output/, temp/, models/ and user/ under a base directory. */
export function folderLayout(options: Partial<FolderLayout> & { base?: string } = {}): FolderLayout {
  const base = resolve(options.base ?? process.cwd());
  return {
    base,
    input: resolve(options.input ?? join(base, 'input')),
    output: resolve(options.output ?? join(base, 'output')),
    temp: resolve(options.temp ?? join(base, 'temp')),
    models: resolve(options.models ?? join(base, 'models')),
    user: resolve(options.user ?? join(base, 'user')),
  };
}

/** The only way nodes touch the disk: every path is checked to stay inside its folder. */
export class FolderStorage implements NodeStorage {
  constructor(readonly layout: FolderLayout) {}

  /**
   * Empties the temp folder, as ComfyUI does at start, but only one this program made (it holds
   * our marker file): a user's own `temp/` in the working directory is never deleted.
   */
  clearTemp(): void {
    if (existsSync(join(this.layout.temp, TEMP_MARKER))) rmSync(this.layout.temp, { recursive: true, force: true });
  }

  directory(folder: StorageFolder): string {
    const dir = this.layout[folder];
    if (!dir) throw new UnsafePathError(`unknown folder ${JSON.stringify(folder)}`);
    return dir;
  }

  /** Creates a folder if needed; a temp folder made here gets the marker that lets us empty it. */
  prepare(folder: FolderType): string {
    const dir = this.directory(folder);
    if (folder === 'temp') this.#makeTemp();
    makeDirectory(dir);
    return dir;
  }

  resolve(folder: StorageFolder, relativePath: string): string {
    return resolveInside(this.directory(folder), relativePath, `${folder} path`);
  }

  /** Makes the temp folder, with the marker that lets a later start empty it, if it is missing. */
  #makeTemp(): void {
    if (existsSync(this.layout.temp)) return;
    makeDirectory(this.layout.temp);
    writeFileSync(join(this.layout.temp, TEMP_MARKER), 'Made by FlashGraph: emptied at every start.\n');
  }

  /** Files below a folder as sorted relative paths with '/' separators; dotfiles are skipped. */
  listFiles(folder: StorageFolder, accept: (name: string) => boolean = () => true): string[] {
    const root = this.directory(folder);
    const found: string[] = [];
    const walk = (dir: string, prefix: string, depth: number) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue;
        const rel = prefix + entry.name;
        if (entry.isDirectory() && depth < 8) walk(join(dir, entry.name), `${rel}/`, depth + 1);
        else if (entry.isFile() && accept(entry.name)) found.push(rel);
      }
    };
    walk(root, '', 0);
    return found.sort();
  }

  saveTarget(folder: 'output' | 'temp', filenamePrefix: string, extension: string, size?: { width: number; height: number }): SaveTarget {
    const prefix = expandPrefix(filenamePrefix, size);
    const normalized = checkRelativePath(prefix, 'filename_prefix');
    const slash = normalized.lastIndexOf('/');
    const subfolder = slash >= 0 ? normalized.slice(0, slash) : '';
    const base = normalized.slice(slash + 1);
    if (base === '') throw new UnsafePathError(`filename_prefix ${JSON.stringify(filenamePrefix)} has no file name`);
    if (folder === 'temp') this.#makeTemp();
    const dir = resolveInside(this.directory(folder), subfolder, 'filename_prefix');
    makeDirectory(dir);
    const counter = nextCounter(dir, base);
    const filename = `${base}_${String(counter).padStart(5, '0')}_.${extension}`;
    return { fullPath: join(dir, filename), filename, subfolder, type: folder };
  }
}

/** ComfyUI's %width%, %height% and date placeholders in filename prefixes. */
export function expandPrefix(prefix: string, size?: { width: number; height: number }, now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return prefix
    .replaceAll('%width%', String(size?.width ?? 0))
    .replaceAll('%height%', String(size?.height ?? 0))
    .replaceAll('%year%', String(now.getFullYear()))
    .replaceAll('%month%', pad(now.getMonth() + 1))
    .replaceAll('%day%', pad(now.getDate()))
    .replaceAll('%hour%', pad(now.getHours()))
    .replaceAll('%minute%', pad(now.getMinutes()))
    .replaceAll('%second%', pad(now.getSeconds()));
}

function nextCounter(dir: string, base: string): number {
  const lower = base.toLowerCase();
  let highest = 0;
  for (const name of readdirSync(dir)) {
    if (!name.toLowerCase().startsWith(`${lower}_`)) continue;
    const match = /^(\d+)_/.exec(name.slice(base.length + 1));
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return highest + 1;
}
