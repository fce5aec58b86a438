// Queue control: list, delete and clear pending prompts, interrupt the running one, free memory.
import { Router } from 'express';
import { queueItem } from '../../runtime/queue.ts';
import { bodyObject, jsonBody, stringList } from '../body.ts';
import type { ApiContext } from '../context.ts';

export function queueRoutes(ctx: ApiContext): Router {
  const router = Router();
  const json = jsonBody(ctx.config);
  const { runner } = ctx;

  router.get('/queue', (_req, res) => {
    const running = runner.queue.running;
    res.json({ queue_running: running ? [queueItem(running)] : [], queue_pending: runner.queue.pending().map(queueItem) });
  });

  router.post('/queue', json, (req, res) => {
    const body = bodyObject(req.body);
    const ids = body.delete !== undefined ? stringList(body.delete, 'delete') : undefined;
    if (body.clear) runner.queue.clear();
    if (ids) runner.queue.delete(ids);
    res.status(200).end();
  });

  router.post('/interrupt', json, (req, res) => {
    const body = bodyObject(req.body);
    const promptId = body.prompt_id;
    runner.interrupt(promptId === undefined || promptId === null ? undefined : String(promptId));
    res.status(200).end();
  });

  router.post('/free', json, (req, res) => {
    const body = bodyObject(req.body);
    runner.free({ unloadModels: Boolean(body.unload_models), freeMemory: Boolean(body.free_memory) });
    res.status(200).end();
  });

  return router;
}
