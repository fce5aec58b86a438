// Writes below a folder that never follow a symbolic link: every part of the path is looked at
// with lstat (a link anywhere is refused), folders are made one level at a time, and the file is
// written aside with O_NOFOLLOW | O_EXCL and then renamed over its name, so a reader sees the
// old file or the new one, never half of one, and a crash leaves no partial file behind.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, realpath, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { checkRelativePath, UnsafePathError } from './safe-path.ts';

/** The target exists already and the caller asked not to replace it. */
export class FileExistsError extends Error {
  override name = 'FileExistsError';
}

/**
 * The absolute path of `relativePath` below `root` after proving that no existing part of it is a
 * symbolic link (the root itself may be one: it is the trusted base). Parts that do not exist yet
 * are fine; `makeFoldersNoFollow` creates them.
 */
export async function noLinkPath(root: string, relativePath: string, what = 'path'): Promise<string> {
  const segments = checkRelativePath(relativePath, what).split('/').filter((s) => s !== '' && s !== '.');
  let path = await realpath(root).catch(() => root);
  for (const segment of segments) {
    path = join(path, segment);
    const found = await lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (!found) continue;
    if (found.isSymbolicLink()) throw new UnsafePathError(`${what} goes through a symbolic link, which writes never follow: ${JSON.stringify(relativePath)}`);
  }
  return path;
}

/** Creates the folders of `relativeFolder` below `root` one at a time, refusing any link. */
export async function makeFoldersNoFollow(root: string, relativeFolder: string, what = 'path'): Promise<string> {
  let path = await realpath(root).catch(() => root);
  await mkdir(path, { recursive: true });
  if (relativeFolder === '' || relativeFolder === '.') return path;
  for (const segment of checkRelativePath(relativeFolder, what).split('/')) {
    if (segment === '' || segment === '.') continue;
    path = join(path, segment);
    try {
      await mkdir(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const found = await lstat(path);
    if (found.isSymbolicLink()) throw new UnsafePathError(`${what} goes through a symbolic link, which writes never follow: ${JSON.stringify(relativeFolder)}`);
    if (!found.isDirectory()) throw new UnsafePathError(`${what}: ${JSON.stringify(segment)} is a file, not a folder`);
  }
  return path;
}

/**
 * Renames the file `from` to `to`. Without `overwrite` an existing `to` is refused
 * (FileExistsError) atomically: link(2) fails when the name exists, so no file that appears
 * meanwhile is replaced.
 */
export async function renameFile(from: string, to: string, overwrite: boolean, shownName: string): Promise<void> {
  if (overwrite) {
    await rename(from, to);
    return;
  }
  try {
    await link(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(`${JSON.stringify(shownName)} exists`);
    throw error;
  }
  await unlink(from);
}

export interface AtomicWriteOptions {
  /** false: refuse (FileExistsError) when the target exists; checked atomically with link(2). */
  overwrite?: boolean;
}

/**
 * Writes `data` to `relativePath` below `root` atomically without following links. Returns the
 * absolute path written.
 */
export async function writeFileNoFollow(root: string, relativePath: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<string> {
  const normalized = checkRelativePath(relativePath, 'file name');
  const slash = normalized.lastIndexOf('/');
  const name = normalized.slice(slash + 1);
  if (name === '' || name === '.') throw new UnsafePathError(`file name ${JSON.stringify(relativePath)} names a folder`);
  await noLinkPath(root, normalized);
  const folder = await makeFoldersNoFollow(root, slash >= 0 ? normalized.slice(0, slash) : '');
  const target = join(folder, name);
  const existing = await lstat(target).catch(() => undefined);
  if (existing?.isSymbolicLink()) throw new UnsafePathError(`file name ${JSON.stringify(relativePath)} is a symbolic link, which writes never follow`);
  if (existing?.isDirectory()) throw new FileExistsError(`${JSON.stringify(relativePath)} is a folder`);
  if (existing && options.overwrite === false) throw new FileExistsError(`${JSON.stringify(relativePath)} exists`);

  const temporary = join(folder, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await renameFile(temporary, target, options.overwrite !== false, relativePath);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  return target;
}
