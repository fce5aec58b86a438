// Writing files without ever following a symbolic link. Every write to a folder a client can name
// (input/, output/, temp/, user/, models/) goes through here, after `resolveInside` (safe-path.ts)
// has proved the path stays in its folder:
//
// - `openForWrite(path, mode)` / `writeFileNoFollow(path, data, mode)`: the last path component is
//   opened with O_NOFOLLOW, so a link planted under the name (dangling or not) is never written
//   through: 'create' fails with EEXIST on any existing entry, links included (O_CREAT|O_EXCL
//   never follows); 'replace' and 'append' fail with an UnsafePathError (a 400 in the API).
// - `writeStreamNoFollow(path, mode)`: the same for streams (downloads).
// - `replaceFileAtomically(path, data)`: write beside, then rename over (user/*.json).
// - `reserveFile(path)`: claims a new, empty regular file for a program that opens the path itself
//   (ffmpeg), so that it finds a file there and no link.
// - `makeDirectory(path)`: `mkdir -p` that reports the real reason it failed (EROFS, EACCES,
//   ENOSPC, ENOTDIR); Node's recursive mkdir says ENOENT on a read-only file system.
//
// Folders above the last component are covered by `resolveInside`, which refuses links that lead
// out of the folder, dangling ones included.
import { constants, mkdirSync, statSync, type WriteStream } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { UnsafePathError } from './safe-path.ts';

/** 'create': a new file only; 'replace': create or truncate; 'append': create or add to the end. */
export type WriteMode = 'create' | 'replace' | 'append';

// O_NOFOLLOW is POSIX; where it is missing (Windows) links need privileges to create anyway.
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/** open(2) flags for `mode` that never follow a link at the last component. */
export function noFollowFlags(mode: WriteMode): number {
  const base = constants.O_WRONLY | constants.O_CREAT | NO_FOLLOW;
  if (mode === 'create') return base | constants.O_EXCL;
  if (mode === 'append') return base | constants.O_APPEND;
  return base | constants.O_TRUNC;
}

/** A write handle on `path`; an UnsafePathError when the name is a symbolic link. */
export async function openForWrite(path: string, mode: WriteMode = 'create', fileMode = 0o666): Promise<FileHandle> {
  try {
    return await open(path, noFollowFlags(mode), fileMode);
  } catch (error) {
    throw linkRefusal(error, path);
  }
}

/** writeFile that never follows a link; 'create' throws EEXIST (code) when the name is taken. */
export async function writeFileNoFollow(path: string, data: string | Uint8Array, mode: WriteMode = 'create'): Promise<void> {
  const file = await openForWrite(path, mode);
  try {
    await file.writeFile(data);
  } finally {
    await file.close();
  }
}

/** A write stream on `path` that never follows a link (opened before it is returned). */
export async function writeStreamNoFollow(path: string, mode: WriteMode): Promise<WriteStream> {
  return (await openForWrite(path, mode)).createWriteStream();
}

/** Creates `path` as a new empty regular file (EEXIST when anything, a link included, is there). */
export async function reserveFile(path: string): Promise<void> {
  await (await openForWrite(path, 'create')).close();
}

/** Writes a file beside `path` and renames it over `path` (rename replaces a link, never follows it). */
export async function replaceFileAtomically(path: string, data: string | Uint8Array, temporary = `${path}.${process.pid}.tmp`): Promise<void> {
  await unlink(temporary).catch(() => {});
  await writeFileNoFollow(temporary, data, 'create');
  await rename(temporary, path);
}

/**
 * `mkdir -p path`, one folder at a time so that a failure names its real cause (EROFS on a
 * read-only file system, EACCES, ENOSPC, ENOTDIR when a file is in the way) instead of the ENOENT
 * that Node's recursive mkdir reports there.
 */
export function makeDirectory(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const missing: string[] = [];
  let existing = path;
  while (!isDirectory(existing)) {
    missing.push(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  // The plain mkdir of the first missing folder fails with the reason the recursive one hid.
  for (const folder of missing.reverse()) mkdirSync(folder);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function linkRefusal(error: unknown, path: string): unknown {
  if ((error as NodeJS.ErrnoException)?.code !== 'ELOOP') return error;
  return new UnsafePathError(`${JSON.stringify(basename(path))} is a symbolic link; files are never written through links`);
}
