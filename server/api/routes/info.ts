// Introspection: node classes, system stats, feature flags, model folders, and the lists the
// ComfyUI frontend asks for at boot.
import { readdirSync } from 'node:fs';
import { Router } from 'express';
import type { ApiContext } from '../context.ts';
import { serverFeatures } from '../config.ts';
import { HttpError } from '../errors.ts';
import { systemStats } from '../system-stats.ts';

/** Flags whose value is a secret; /system_stats shows them as "***". */
const SECRET_FLAGS = ['--token'];

export function infoRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { registry, storage } = ctx;

  router.get('/object_info', (_req, res) => {
    res.json(registry.objectInfo(storage));
  });

  router.get('/object_info/:node_class', (req, res) => {
    const name = req.params.node_class;
    const info = registry.nodeInfo(name, storage);
    res.json(info ? { [name]: info } : {});
  });

  router.get('/system_stats', (_req, res) => {
    res.json(systemStats(redactArgv(ctx.config.argv)));
  });

  router.get('/features', (_req, res) => {
    res.json(serverFeatures(ctx.config));
  });
  router.get('/embeddings', (_req, res) => {
    res.json([]);
  });

  router.get('/models', (_req, res) => {
    res.json(modelFolders(storage.directory('models')));
  });

  router.get('/models/:folder', (req, res) => {
    const folder = req.params.folder;
    // Only names of folders that exist are accepted, so nothing else reaches the disk.
    if (!modelFolders(storage.directory('models')).includes(folder)) throw new HttpError(404, `unknown model folder ${JSON.stringify(folder)}`);
    res.json(storage.listFiles('models', () => true).flatMap((path) => (path.startsWith(`${folder}/`) ? [path.slice(folder.length + 1)] : [])));
  });

  return router;
}

function modelFolders(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const flag = SECRET_FLAGS.find((f) => arg === f || arg.startsWith(`${f}=`));
    if (!flag) out.push(arg);
    else if (arg === flag) {
      out.push(arg);
      if (i + 1 < argv.length) {
        out.push('***');
        i++;
      }
    } else out.push(`${flag}=***`);
  }
  return out;
}
