// The HTTP API: ComfyUI's routes, each served at `/<path>` and at `/api/<path>`.
import express, { Router, type Express, type RequestHandler } from 'express';
import type { ApiContext } from './context.ts';
import { editorRoutes, exampleWorkflowRoutes } from './editor.ts';
import { errorHandler, HttpError, notFound } from './errors.ts';
import { frontendRootRoutes } from './frontend-root.ts';
import { historyRoutes } from './routes/history.ts';
import { jobsRoutes } from './routes/jobs.ts';
import { packRoutes } from './routes/packs.ts';
import { infoRoutes } from './routes/info.ts';
import { i18nRoutes } from './routes/i18n.ts';
import { internalRoutes } from './routes/internal.ts';
import { internalOnlyRoutes } from './routes/logs.ts';
import { modelRoutes } from './routes/models.ts';
import { promptRoutes } from './routes/prompt.ts';
import { queueRoutes } from './routes/queue.ts';
import { settingsRoutes } from './routes/settings.ts';
import { templateRoutes } from './routes/templates.ts';
import { uploadRoutes } from './routes/upload.ts';
import { userDataRoutes } from './routes/userdata.ts';
import { viewRoutes } from './routes/view.ts';
import { corsMiddleware, securityMiddleware } from './security.ts';
import { workerFileRoutes } from '../scaleout/file-transfer.ts';
import { UserFiles } from '../storage/user-files.ts';
import { UserSettings } from '../storage/user-settings.ts';
import { UserDirectory } from '../storage/users.ts';

export function createApp(ctx: ApiContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Workers authenticate with their own token (not --token) and are not browsers: before the checks for clients.
  if (ctx.workerToken !== undefined) app.use(workerFileRoutes(ctx.storage, () => ctx.workerToken));
  if (ctx.config.corsOrigin !== undefined) app.use(corsMiddleware(ctx.config.corsOrigin));
  app.use(securityMiddleware(ctx.config));
  app.use(bodySizeLimit(ctx.config.maxUploadBytes));

  const api = Router();
  api.use(promptRoutes(ctx));
  api.use(queueRoutes(ctx));
  api.use(historyRoutes(ctx));
  api.use(jobsRoutes(ctx));
  api.use(infoRoutes(ctx));
  api.use(viewRoutes(ctx));
  api.use(uploadRoutes(ctx));
  api.use(packRoutes(ctx));
  api.use(internalRoutes(ctx));
  const users = new UserDirectory(ctx.storage.directory('user'), ctx.config.multiUser);
  const userFiles = new UserFiles();
  api.use(userDataRoutes(ctx, users, userFiles));
  api.use(settingsRoutes(ctx, users, new UserSettings(userFiles, ctx.log)));
  api.use(modelRoutes(ctx));
  api.use(i18nRoutes(ctx));
  api.use(exampleWorkflowRoutes());
  // ComfyUI serves these at /internal/... and /templates/... only, never under /api.
  app.use(internalOnlyRoutes(ctx));
  app.use(templateRoutes(ctx));
  app.use('/api', api);
  app.use(api);
  // --front-end-root: another frontend build (ComfyUI's own) in place of the built-in editor.
  app.use(ctx.config.frontEndRoot !== undefined ? frontendRootRoutes(ctx.config.frontEndRoot) : editorRoutes());

  app.use(notFound);
  app.use(errorHandler(ctx.log));
  return app;
}

/** `--max-upload-size` for every request: a declared length over the limit is refused at once. */
function bodySizeLimit(maxBytes: number): RequestHandler {
  return (req, _res, next) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      next(new HttpError(413, `request body of ${declared} bytes is larger than the limit of ${maxBytes} bytes (--max-upload-size)`));
      return;
    }
    next();
  };
}
