import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path';

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
 * Joins `relativePath` to `root` and proves the result stays inside it, following every symbolic
 * link along the path: a link leading out of the folder is refused, also when its target does not
 * exist (yet), since writing through it would create that target. Writers must still open the
 * result without following a link at the last component (safe-write.ts).
 */
export function resolveInside(root: string, relativePath: string, what = 'path'): string {
  const cleaned = relativePath === '' ? '' : checkRelativePath(relativePath, what);
  const rootReal = existsSync(root) ? realpathSync(root) : resolve(root);
  const target = resolve(rootReal, cleaned);
  if (!isInside(rootReal, target)) throw new UnsafePathError(`${what} leaves its folder: ${JSON.stringify(relativePath)}`);
  let reached: string;
  try {
    reached = followLinks(rootReal, cleaned);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw error;
    throw new UnsafePathError(`${what} goes through a loop of symbolic links: ${JSON.stringify(relativePath)}`);
  }
  if (!isInside(rootReal, reached)) {
    throw new UnsafePathError(`${what} leaves its folder through a symbolic link: ${JSON.stringify(relativePath)}`);
  }
  return target;
}

const MAX_LINK_HOPS = 40;

/**
 * Where `relativePath` below the link-free folder `base` leads once every symbolic link on the way
 * is followed, dangling links included (realpath gives up on those): the part of the path that
 * does not exist is kept as written. Throws ELOOP after 40 links, as the kernel does.
 */
export function followLinks(base: string, relativePath: string): string {
  const pending = segments(relativePath).reverse();
  let current = base;
  let hops = 0;
  while (pending.length > 0) {
    const segment = pending.pop()!;
    if (segment === '.') continue;
    if (segment === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, segment);
    let isLink: boolean;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch {
      // Missing (or below a file): nothing further down exists, so nothing further is a link.
      return join(next, ...pending.reverse());
    }
    if (!isLink) {
      current = next;
      continue;
    }
    if (++hops > MAX_LINK_HOPS) throw Object.assign(new Error(`too many symbolic links at ${next}`), { code: 'ELOOP' });
    const link = readlinkSync(next);
    if (isAbsolute(link)) current = parse(link).root;
    pending.push(...segments(link).reverse());
  }
  return current;
}

function segments(path: string): string[] {
  return path.split(sep === '\\' ? /[\\/]/ : '/').filter((segment) => segment !== '');
}

export function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
