// What node packs bring to the editor: browser extensions (/extensions) and example workflows
// (/workflow_templates), each read only from inside its pack's own folders.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { Router } from 'express';
import type { PackReport } from '../../packs/loader.ts';
import { resolveInside } from '../../storage/safe-path.ts';
import type { ApiContext } from '../context.ts';
import { HttpError } from '../errors.ts';

export function packRoutes(ctx: ApiContext): Router {
  const router = Router();
  const loaded = ctx.packs.filter((p) => !p.failure);
  const byName = new Map(loaded.map((p) => [p.name, p]));

  router.get('/extensions', (_req, res) => {
    res.json(loaded.flatMap((pack) => scripts(pack).map((file) => `/extensions/${encodeURIComponent(pack.name)}/${file}`)));
  });

  router.get('/extensions/:pack/*file', (req, res) => {
    const pack = byName.get(req.params.pack);
    if (!pack?.webDirectory) throw new HttpError(404, 'no such extension');
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

/** The pack's .js files (relative, '/'-separated), as the editor loads them. */
function scripts(pack: PackReport): string[] {
  if (!pack.webDirectory || !existsSync(pack.webDirectory)) return [];
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js')) found.push(relative(pack.webDirectory!, path).split('\\').join('/'));
    }
  };
  walk(pack.webDirectory);
  return found.sort();
}
