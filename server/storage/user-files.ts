// One user's files (ComfyUI's `user/<user>/`: comfy.settings.json, workflows/, ...). Reads may go
// through links that stay inside the user's folder; writes, moves and deletes never follow a link.
// Every change to one file runs after the previous one finished (per-file lock).
import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { KeyedLock } from './keyed-lock.ts';
import { FileExistsError, makeFoldersNoFollow, noLinkPath, renameFile, writeFileNoFollow } from './no-follow-write.ts';
import { checkRelativePath, resolveInside } from './safe-path.ts';

/** ComfyUI's FileInfo: times in seconds since the epoch (fractions kept), as Python's getmtime. */
export interface FileInfo {
  path: string;
  size: number;
  modified: number;
  created: number;
}

/** One row of `GET /v2/userdata`. */
export interface TreeEntry {
  name: string;
  path: string;
  type: 'file' | 'directory';
  size?: number;
  modified?: number;
}

export interface ListOptions {
  recurse: boolean;
  fullInfo: boolean;
  split: boolean;
}

export class MissingFileError extends Error {
  override name = 'MissingFileError';
}

/** The request names the wrong kind of entry (a folder where a file is needed, or the reverse). */
export class WrongKindError extends Error {
  override name = 'WrongKindError';
}

const MAX_DEPTH = 32;

export class UserFiles {
  readonly #lock = new KeyedLock();

  /** The absolute path of `relativePath` in the user's folder, refused when it leaves it. */
  resolve(userFolder: string, relativePath: string): string {
    return resolveInside(userFolder, relativePath, 'user data path');
  }

  /** ComfyUI's `GET /userdata?dir=`: the files (not folders, no dotfiles) below `dir`. */
  async list(userFolder: string, dir: string, options: ListOptions): Promise<(string | string[] | FileInfo)[]> {
    const folder = this.resolve(userFolder, dir);
    const found = await stat(folder).catch(() => undefined);
    if (!found) throw new MissingFileError(`no folder ${JSON.stringify(dir)}`);
    const files: string[] = [];
    const walk = async (path: string, prefix: string, depth: number) => {
      for (const entry of await entries(path)) {
        if (entry.name.startsWith('.')) continue;
        if (entry.isFile()) files.push(prefix + entry.name);
        else if (options.recurse && entry.isDirectory() && depth < MAX_DEPTH) await walk(join(path, entry.name), `${prefix}${entry.name}/`, depth + 1);
      }
    };
    if (found.isDirectory()) await walk(folder, '', 0);
    files.sort();
    if (options.fullInfo) return Promise.all(files.map((file) => fileInfo(join(folder, file), folder)));
    return options.split ? files.map((file) => [file, ...file.split('/')]) : files;
  }

  /** ComfyUI's `GET /v2/userdata?path=`: every folder and file below `path`, folders first. */
  async tree(userFolder: string, path: string): Promise<TreeEntry[]> {
    const folder = path === '' ? userFolder : this.resolve(userFolder, path);
    const found = await stat(folder).catch(() => undefined);
    if (!found) {
      if (path === '') return [];
      throw new MissingFileError('Requested path not found');
    }
    if (!found.isDirectory()) throw new WrongKindError('Requested path is not a directory');
    const results: TreeEntry[] = [];
    const walk = async (dir: string, depth: number) => {
      const listed = await entries(dir);
      const folders = listed.filter((e) => e.isDirectory());
      for (const entry of folders) results.push({ name: entry.name, path: relativeSlash(join(dir, entry.name), userFolder), type: 'directory' });
      for (const entry of listed.filter((e) => e.isFile())) {
        const file = join(dir, entry.name);
        const info = await stat(file).catch(() => undefined);
        results.push({ name: entry.name, path: relativeSlash(file, userFolder), type: 'file', ...(info ? { size: info.size, modified: info.mtimeMs / 1000 } : {}) });
      }
      if (depth < MAX_DEPTH) for (const entry of folders) await walk(join(dir, entry.name), depth + 1);
    };
    await walk(folder, 0);
    results.sort((a, b) => Number(a.type !== 'directory') - Number(b.type !== 'directory') || compareText(a.name.toLowerCase(), b.name.toLowerCase()));
    return results;
  }

  /** The absolute path of an existing file, for sending. */
  async file(userFolder: string, relativePath: string): Promise<string> {
    const path = this.resolve(userFolder, relativePath);
    const found = await stat(path).catch(() => undefined);
    if (!found) throw new MissingFileError(`no file ${JSON.stringify(relativePath)}`);
    if (!found.isFile()) throw new WrongKindError(`${JSON.stringify(relativePath)} is not a file`);
    return path;
  }

  /** Writes a file atomically; `overwrite: false` refuses (FileExistsError) an existing name. */
  async write(userFolder: string, relativePath: string, data: Uint8Array | string, overwrite = true): Promise<string> {
    const path = this.resolve(userFolder, relativePath);
    return this.#lock.run(path, () => writeFileNoFollow(userFolder, relativePath, data, { overwrite }));
  }

  /**
   * Read-modify-write of one file under its lock: `change` gets the current bytes (undefined when
   * there is no file) and returns the new content.
   */
  async update(userFolder: string, relativePath: string, change: (current: Buffer | undefined) => Promise<string | Uint8Array> | string | Uint8Array): Promise<void> {
    const path = this.resolve(userFolder, relativePath);
    await this.#lock.run(path, async () => {
      await noLinkPath(userFolder, relativePath);
      const current = await readFile(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      await writeFileNoFollow(userFolder, relativePath, await change(current));
    });
  }

  async remove(userFolder: string, relativePath: string): Promise<void> {
    const path = this.resolve(userFolder, relativePath);
    await this.#lock.run(path, async () => {
      await noLinkPath(userFolder, posix.dirname(checkRelativePath(relativePath)));
      const found = await lstat(path).catch(() => undefined);
      if (!found) throw new MissingFileError(`no file ${JSON.stringify(relativePath)}`);
      if (found.isDirectory()) throw new WrongKindError(`${JSON.stringify(relativePath)} is a folder`);
      await unlink(path);
    });
  }

  /** Moves (renames) a file inside the user's folder; returns the new absolute path. */
  async move(userFolder: string, from: string, to: string, overwrite = true): Promise<string> {
    const source = this.resolve(userFolder, from);
    const target = this.resolve(userFolder, to);
    const [first, second] = [source, target].sort();
    return this.#lock.run(first!, () =>
      this.#lock.run(second!, async () => {
        const found = await lstat(source).catch(() => undefined);
        if (!found) throw new MissingFileError(`no file ${JSON.stringify(from)}`);
        await noLinkPath(userFolder, posix.dirname(checkRelativePath(from)));
        await noLinkPath(userFolder, to);
        const targetNormalized = checkRelativePath(to);
        const slash = targetNormalized.lastIndexOf('/');
        await makeFoldersNoFollow(userFolder, slash >= 0 ? targetNormalized.slice(0, slash) : '');
        const existing = await lstat(target).catch(() => undefined);
        if (existing?.isDirectory() && source !== target) throw new FileExistsError(`${JSON.stringify(to)} is a folder`);
        if (existing && !overwrite) throw new FileExistsError(`${JSON.stringify(to)} exists`);
        // A folder cannot be hard-linked: it is renamed after the check above.
        await renameFile(source, target, overwrite || !found.isFile(), to);
        return target;
      }),
    );
  }
}

/** ComfyUI's get_file_info: path relative to `relativeTo` with '/' separators. */
export async function fileInfo(path: string, relativeTo: string): Promise<FileInfo> {
  const found = await stat(path);
  return { path: relativeSlash(path, relativeTo), size: found.size, modified: found.mtimeMs / 1000, created: found.ctimeMs / 1000 };
}

export function relativeSlash(path: string, from: string): string {
  return relative(from, path).split(sep).join('/');
}

async function entries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
