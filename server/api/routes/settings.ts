// ComfyUI's settings routes (app/app_settings.py): GET/POST /settings and GET/POST /settings/{id},
// one JSON object per user in user/<user>/comfy.settings.json.
import express, { Router, type Request } from 'express';
import { isPlainObject } from '../../runtime/validate.ts';
import type { UserSettings } from '../../storage/user-settings.ts';
import type { UserDirectory } from '../../storage/users.ts';
import type { ApiContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { userFolder } from './userdata.ts';

export function settingsRoutes(ctx: ApiContext, users: UserDirectory, settings: UserSettings): Router {
  const router = Router();
  const rawJson = express.raw({ limit: ctx.config.maxJsonBytes, type: () => true });

  router.get('/settings', async (req, res) => {
    res.json(await settings.read(settingsFolder(users, req)));
  });

  router.get('/settings/:id', async (req, res) => {
    const all = await settings.read(settingsFolder(users, req));
    // app_settings.py:43-48: an unknown id answers null with 200.
    res.json(Object.hasOwn(all, req.params.id) ? all[req.params.id] : null);
  });

  router.post('/settings', rawJson, async (req, res) => {
    const changes = parsedBody(req.body);
    if (!isPlainObject(changes)) throw new HttpError(400, 'the settings must be a JSON object');
    await settings.change(settingsFolder(users, req), (current) => ({ ...current, ...changes }));
    res.status(200).end();
  });

  router.post('/settings/:id', rawJson, async (req, res) => {
    const { id } = req.params;
    // A single setting may be any JSON value (a string, a number, null), not only an object.
    const value = parsedBody(req.body);
    await settings.change(settingsFolder(users, req), (current) => ({ ...current, [id]: value }));
    res.status(200).end();
  });

  return router;
}

/** The request body as JSON; an empty or malformed body is a 400 (ComfyUI fails with a 500). */
function parsedBody(body: unknown): unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : '';
  if (text.trim() === '') throw new HttpError(400, 'the request body must be JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, `request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** app_settings.py:17-19: an unknown user gets 401 on the settings routes. */
function settingsFolder(users: UserDirectory, req: Request): string {
  try {
    return userFolder(users, req);
  } catch (error) {
    if (error instanceof HttpError && error.status === 403) throw new HttpError(401, error.message);
    throw error;
  }
}
