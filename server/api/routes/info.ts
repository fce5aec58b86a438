// Introspection: node classes, system stats and feature flags (model folders: routes/models.ts).
import { Router } from 'express';
import type { ApiContext } from '../context.ts';
import { serverFeatures } from '../config.ts';
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
  return router;
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
