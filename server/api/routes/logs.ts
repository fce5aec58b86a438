// ComfyUI's frontend-only routes of api_server/routes/internal/internal_routes.py that live at
// /internal/... only (ComfyUI mounts them as a sub-application, never under /api): the logs panel
// (GET /internal/logs, /internal/logs/raw, PATCH /internal/logs/subscribe with WebSocket `logs`
// messages) and GET /internal/folder_paths.
import { Router } from 'express';
import { modelFolderPaths } from '../../storage/model-folders.ts';
import { bodyObject, jsonBody } from '../body.ts';
import type { ApiContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import type { LogEntry } from '../log-ring.ts';

interface TerminalSize {
  cols: number;
  rows: number;
}

/** The server's terminal size (80x24 when it has none), and whether it changed since last asked. */
class Terminal {
  #last: TerminalSize | undefined;

  current(): TerminalSize {
    const out = process.stdout;
    const cols = out.isTTY && out.columns ? out.columns : Number(process.env.COLUMNS) || 80;
    const rows = out.isTTY && out.rows ? out.rows : Number(process.env.LINES) || 24;
    this.#last = { cols, rows };
    return this.#last;
  }

  /** terminal_service.py:25-40: the size only when it changed, else null. */
  changed(): TerminalSize | null {
    const before = this.#last;
    const now = this.current();
    return before && before.cols === now.cols && before.rows === now.rows ? null : now;
  }
}

export function internalOnlyRoutes(ctx: ApiContext): Router {
  const router = Router();
  const { logs, hub } = ctx;
  const terminal = new Terminal();
  const subscribers = new Set<string>();

  logs.onFlush((entries: LogEntry[]) => {
    if (subscribers.size === 0) return;
    const size = terminal.changed();
    for (const clientId of [...subscribers]) {
      // terminal_service.py:54-58: a client that went away is unsubscribed.
      if (!hub.has(clientId)) subscribers.delete(clientId);
      else hub.sendTo(clientId, 'logs', { entries, size });
    }
  });

  router.get('/internal/logs', (_req, res) => {
    res.json(logs.text());
  });

  router.get('/internal/logs/raw', (_req, res) => {
    res.json({ entries: logs.entries, size: terminal.current() });
  });

  router.patch('/internal/logs/subscribe', jsonBody(ctx.config), (req, res) => {
    const { clientId, enabled } = bodyObject(req.body);
    if (typeof clientId !== 'string' || clientId === '') throw new HttpError(400, '"clientId" must be a string');
    if (enabled === undefined) throw new HttpError(400, '"enabled" is required');
    if (enabled) subscribers.add(clientId);
    else subscribers.delete(clientId);
    res.status(200).end();
  });

  router.get('/internal/folder_paths', (_req, res) => {
    res.json(modelFolderPaths(ctx.storage.layout, ctx.customNodesDirectory));
  });

  return router;
}
