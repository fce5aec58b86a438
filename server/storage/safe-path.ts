import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

export class UnsafePathError extends Error {
  override name = 'UnsafePathError';
}

/**
 * Checks a user-supplied relative path before it is joined to an allowed folder. Rejected: empty
 * paths, NUL bytes, absolute POSIX paths, drive letters, UNC paths and any `..` segment (names that
 * merely contain dots, like `my..file.png`, are fine).
 */
export function checkRelativePath(path: string, what = 'path'): string {
  if (typeof path !== 'string' || path === '') throw new UnsafePathError(`${what} is empty`);
  if (path.includes('\0')) throw new UnsafePathError(`${what} contains a NUL byte`);
  const normalized = path.replaceAll('\\', '/');
  if (normalized.startsWith('/')) throw new UnsafePathError(`${what} must be relative: ${JSON.stringify(path)}`);
  if (/^[A-Za-z]:/.test(normalized)) throw new UnsafePathError(`${what} must not name a drive: ${JSON.stringify(path)}`);
  if (normalized.split('/').some((segment) => segment === '..')) {
    throw new UnsafePathError(`${what} must not contain '..': ${JSON.stringify(path)}`);
  }
  return normalized;
}

/**
 * Joins `relativePath` to `root` and proves the result stays inside it, following symlinks of
 * whatever part of the path already exists (a link pointing out of the folder is refused).
 */
export function resolveInside(root: string, relativePath: string, what = 'path'): string {
  const cleaned = relativePath === '' ? '' : checkRelativePath(relativePath, what);
  const rootReal = existsSync(root) ? realpathSync(root) : resolve(root);
  const target = resolve(rootReal, cleaned);
  if (!isInside(rootReal, target)) throw new UnsafePathError(`${what} leaves its folder: ${JSON.stringify(relativePath)}`);
  let existing = target;
  while (!existsSync(existing)) existing = dirname(existing);
  // When the folder itself does not exist yet, nothing below it can be a link.
  if (isInside(rootReal, existing) && !isInside(rootReal, realpathSync(existing))) {
    throw new UnsafePathError(`${what} leaves its folder through a symbolic link: ${JSON.stringify(relativePath)}`);
  }
  return target;
}

export function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
