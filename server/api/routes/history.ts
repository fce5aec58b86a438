// Finished prompts: paginated listing, one entry by id, delete and clear.
import { Router } from 'express';
import { bodyObject, jsonBody, stringList } from '../body.ts';
import type { ApiContext } from '../context.ts';
import { HttpError } from '../errors.ts';

export function historyRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { history } = ctx.runner;

  router.get('/history', (req, res) => {
    const maxItems = intParam(req.query.max_items, 'max_items');
    const offset = intParam(req.query.offset, 'offset');
    res.json(history.list(maxItems, offset));
  });

  router.get('/history/:prompt_id', (req, res) => {
    const id = req.params.prompt_id;
    const entry = history.get(id);
    // Unknown or still queued: an empty object with 200, as ComfyUI answers.
    res.json(entry ? { [id]: entry } : {});
  });

  router.post('/history', jsonBody(ctx.config), (req, res) => {
    const body = bodyObject(req.body);
    const ids = body.delete !== undefined ? stringList(body.delete, 'delete') : undefined;
    if (body.clear) history.clear();
    if (ids) history.delete(ids);
    res.status(200).end();
  });

  return router;
}

function intParam(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\s*-?\d+\s*$/.test(value)) throw new HttpError(400, `${name} must be an integer`);
  return Number.parseInt(value, 10);
}
