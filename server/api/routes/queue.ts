// Queue control: list, delete and clear pending prompts, interrupt the running one, free memory;
// and FlashGraph's additions: pause/resume, move a pending prompt, cancel by id.
import { Router } from 'express';
import { queueItem } from '../../runtime/queue.ts';
import { bodyObject, jsonBody, stringList } from '../body.ts';
import type { ApiContext } from '../context.ts';
import { HttpError } from '../errors.ts';

export function queueRoutes(ctx: ApiContext): Router {
  const router = Router();
  const json = jsonBody(ctx.config);
  const { runner } = ctx;

  router.get('/queue', async (_req, res) => {
    const { running, pending } = await runner.snapshot();
    res.json({ queue_running: running.map(queueItem), queue_pending: pending.map(queueItem) });
  });

  router.post('/queue', json, async (req, res) => {
    const body = bodyObject(req.body);
    const ids = body.delete !== undefined ? stringList(body.delete, 'delete') : undefined;
    if (body.clear) await runner.clearPending();
    if (ids) await runner.deletePending(ids);
    res.status(200).end();
  });

  router.get('/queue/pause', async (_req, res) => {
    res.json({ paused: (await runner.snapshot()).paused });
  });

  router.post('/queue/pause', json, async (_req, res) => {
    await runner.pause();
    res.json({ paused: true });
  });

  router.post('/queue/resume', json, async (_req, res) => {
    await runner.resume();
    res.json({ paused: false });
  });

  router.post('/queue/move', json, async (req, res) => {
    const body = bodyObject(req.body);
    const promptId = requiredId(body.prompt_id);
    const position = body.position === undefined || body.position === 'front' ? 0 : body.position;
    if (typeof position !== 'number' || !Number.isInteger(position) || position < 0) {
      throw new HttpError(400, 'position must be "front" or a whole number >= 0');
    }
    const number = await runner.move(promptId, position);
    if (number === undefined) throw new HttpError(404, `prompt ${promptId} is not pending`);
    res.json({ prompt_id: promptId, number });
  });

  router.post('/queue/cancel', json, async (req, res) => {
    const promptId = requiredId(bodyObject(req.body).prompt_id);
    const cancelled = await runner.cancel(promptId);
    if (cancelled === undefined) throw new HttpError(404, `prompt ${promptId} is neither pending nor running`);
    res.json({ prompt_id: promptId, cancelled });
  });

  router.post('/interrupt', json, async (req, res) => {
    const body = bodyObject(req.body);
    const promptId = body.prompt_id;
    await runner.interrupt(promptId === undefined || promptId === null ? undefined : String(promptId));
    res.status(200).end();
  });

  router.post('/free', json, async (req, res) => {
    const body = bodyObject(req.body);
    await runner.free({ unloadModels: Boolean(body.unload_models), freeMemory: Boolean(body.free_memory) });
    res.status(200).end();
  });

  return router;
}

function requiredId(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new HttpError(400, 'prompt_id must be a non-empty string');
  return value;
}
