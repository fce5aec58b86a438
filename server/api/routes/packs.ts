// What node packs bring to the editor: browser extensions (/extensions) and example workflows
// (/workflow_templates), each read only from inside its pack's own folders.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { Router } from 'express';
import { resolveInside } from '../../storage/safe-path.ts';
import type { ApiContext } from '../context.ts';
import { HttpError } from '../errors.ts';

export function packRoutes(ctx: ApiContext): Router {
  const router = Router();
  const loaded = ctx.packs.filter((p) => !p.failure);
  const byName = new Map(loaded.map((p) => [p.name, p]));

  router.get('/extensions', (_req, res) => {
    // server.py:275-283: with --front-end-root, the build's own extensions/**/*.js come first.
    const root = ctx.config.frontEndRoot;
    const own = root === undefined ? [] : scripts(join(root, 'extensions')).map((file) => `/extensions/${file}`);
    res.json([...own, ...loaded.flatMap((pack) => (pack.webDirectory ? scripts(pack.webDirectory).map((file) => `/extensions/${encodeURIComponent(pack.name)}/${file}`) : []))]);
  });

  router.get('/extensions/:pack/*file', (req, res, next) => {
    const pack = byName.get(req.params.pack);
    // Not a pack's: maybe a file of the --front-end-root build (extensions/core/...), else a 404.
    if (!pack?.webDirectory) return next();
    const file = (req.params as unknown as { file: string[] }).file.join('/');
    const path = resolveInside(pack.webDirectory, file, 'extension path');
    if (!existsSync(path)) throw new HttpError(404, 'no such extension file');
    res.setHeader('Cache-Control', 'no-cache');
    res.type(extname(path) || 'application/octet-stream').sendFile(path);
  });

  router.get('/workflow_templates', (_req, res) => {
    res.json(Object.fromEntries(loaded.filter((p) => Object.keys(p.examples).length > 0).map((p) => [p.name, Object.keys(p.examples)])));
  });

  router.get('/workflow_templates/:pack/:name', (req, res) => {
    const name = req.params.name.replace(/\.json$/, '');
    const file = byName.get(req.params.pack)?.examples[name];
    if (!file) throw new HttpError(404, 'no such workflow template');
    res.type('application/json').send(readFileSync(file));
  });

  return router;
}

/** The .js files below a web folder (relative, '/'-separated), as the editor loads them. */
function scripts(webDirectory: string): string[] {
  if (!existsSync(webDirectory)) return [];
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js')) found.push(relative(webDirectory, path).split('\\').join('/'));
    }
  };
  walk(webDirectory);
  return found.sort();
}
