// `--front-end-root DIR` (ComfyUI's flag, server.py:175-179 and 833-835): another frontend build,
// such as ComfyUI's official one, served in place of the built-in editor. `/` is its index.html
// (never cached), every other path that names a file of DIR is that file; the API routes come
// first, and nothing under /api/ is ever a static file (unknown API routes stay JSON 404s).
import { existsSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Router, type RequestHandler } from 'express';
import { resolveInside } from '../storage/safe-path.ts';

/** Why `dir` cannot be served as a frontend, or undefined when it can. */
export function frontendRootProblem(dir: string): string | undefined {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return `--front-end-root ${JSON.stringify(dir)} is not a folder`;
  if (!existsSync(join(dir, 'index.html'))) return `--front-end-root ${JSON.stringify(dir)} has no index.html (give the folder of the built frontend, e.g. its dist/)`;
  return undefined;
}

export function frontendRootRoutes(root: string): Router {
  const router = Router();
  const sendIndex: RequestHandler = (_req, res) => {
    // server.py:248-254: the page itself is never cached, so a new build shows on reload.
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Pragma', 'no-cache');
    res.setHeader('Expires', '0');
    res.type('html').sendFile(join(root, 'index.html'));
  };
  router.get(['/', '/index.html'], sendIndex);
  router.get('/*path', async (req, res, next) => {
    const segments = (req.params as unknown as { path: string[] }).path;
    if (segments[0] === 'api' || segments.some((segment) => segment.startsWith('.'))) return next();
    let path: string;
    try {
      // Links inside the build are fine; a link or name that leaves it is not served.
      path = resolveInside(root, segments.join('/'), 'path');
    } catch {
      return next();
    }
    if (!(await stat(path).catch(() => undefined))?.isFile()) return next();
    // ComfyUI's cache_control middleware: scripts and styles are revalidated on every load.
    if (/^\.(js|mjs|css)$/.test(extname(path))) res.setHeader('Cache-Control', 'no-cache');
    res.type(extname(path) || 'application/octet-stream').sendFile(path, { dotfiles: 'allow' });
  });
  return router;
}
