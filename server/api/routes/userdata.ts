// ComfyUI's users and user data routes (app/user_manager.py): GET/POST /users, GET /userdata,
// GET/POST/DELETE /userdata/{file}, POST /userdata/{file}/move/{dest} and GET /v2/userdata. The
// official frontend keeps its workflows, templates and user.css here.
import { realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import { FileExistsError } from '../../storage/no-follow-write.ts';
import { UnsafePathError } from '../../storage/safe-path.ts';
import { fileInfo, MissingFileError, WrongKindError, type UserFiles } from '../../storage/user-files.ts';
import { DuplicateUserError, UnknownUserError, type UserDirectory } from '../../storage/users.ts';
import { bodyObject, jsonBody } from '../body.ts';
import type { ApiContext } from '../context.ts';
import { HttpError } from '../errors.ts';

/** Types a browser could run as active content on our origin: sent as plain bytes instead. */
const ACTIVE_TYPES = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/javascript|application\/javascript|text\/xml|application\/xml)\b/;

export function userDataRoutes(ctx: ApiContext, users: UserDirectory, files: UserFiles): Router {
  const router = Router();

  router.get('/users', async (req, res) => {
    if (users.multiUser) {
      res.json({ storage: 'server', users: users.users });
      return;
    }
    // user_manager.py:121-126: single-user mode says whether the default user's folder exists.
    const folder = users.folder(users.userId(undefined));
    res.json({ storage: 'server', migrated: await realpath(folder).then(() => true, () => false) });
  });

  router.post('/users', jsonBody(ctx.config), async (req, res) => {
    const username = bodyObject(req.body).username;
    if (typeof username !== 'string') throw new HttpError(400, '"username" must be a string');
    try {
      res.json(await users.add(username));
    } catch (error) {
      if (error instanceof DuplicateUserError) throw new HttpError(400, error.message);
      if (error instanceof TypeError) throw new HttpError(400, error.message);
      throw error;
    }
  });

  router.get('/userdata', async (req, res) => {
    const dir = queryText(req.query.dir) ?? '';
    if (dir === '') throw new HttpError(400, 'Directory not provided');
    const folder = userFolder(users, req);
    const flag = (name: string) => (queryText(req.query[name]) ?? '').toLowerCase() === 'true';
    res.json(await guarded(() => files.list(folder, dir, { recurse: flag('recurse'), fullInfo: flag('full_info'), split: flag('split') })));
  });

  router.get('/v2/userdata', async (req, res) => {
    const folder = userFolder(users, req);
    const path = unquoteAgain(queryText(req.query.path) ?? '');
    try {
      res.json(await files.tree(folder, path));
    } catch (error) {
      // user_manager.py:252-254: a path leaving the user's folder is a 400 on this route.
      if (error instanceof UnsafePathError) throw new HttpError(400, 'Invalid path requested');
      throw mapped(error);
    }
  });

  router.get('/userdata/:file', async (req, res) => {
    const path = await guarded(() => files.file(userFolder(users, req), fileParam(req, 'file')));
    await sendUserFile(res, path);
  });

  const rawBody = express.raw({ type: () => true, limit: ctx.config.maxUploadBytes });
  router.post('/userdata/:file', rawBody, async (req, res) => {
    const folder = userFolder(users, req);
    const file = fileParam(req, 'file');
    // user_manager.py:360-361: only the exact word "false" refuses to overwrite.
    const overwrite = queryText(req.query.overwrite) !== 'false';
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const written = await guarded(() => files.write(folder, file, body, overwrite));
    await answerWithPath(req, res, written, folder);
  });

  router.delete('/userdata/:file', async (req, res) => {
    await guarded(() => files.remove(userFolder(users, req), fileParam(req, 'file')));
    res.status(204).end();
  });

  router.post('/userdata/:file/move/:dest', async (req, res) => {
    const folder = userFolder(users, req);
    const overwrite = queryText(req.query.overwrite) !== 'false';
    const moved = await guarded(() => files.move(folder, fileParam(req, 'file'), fileParam(req, 'dest'), overwrite));
    await answerWithPath(req, res, moved, folder);
  });

  return router;
}

/** The folder of the user this request acts for; unknown users are refused with 403. */
export function userFolder(users: UserDirectory, req: Request): string {
  try {
    return users.folder(users.userId(req.get('comfy-user')));
  } catch (error) {
    if (error instanceof UnknownUserError) throw new HttpError(403, error.message);
    throw error;
  }
}

/** A path parameter as the frontend sends it (`workflows%2Fa.json`, decoded once by express). */
function fileParam(req: Request, name: string): string {
  const value = unquoteAgain(String(req.params[name] ?? ''));
  if (value === '') throw new HttpError(400, `${name} is empty`);
  return value;
}

/**
 * user_manager.py:85-86 decodes a name that still holds '%' once more (clients that encoded twice);
 * a '%' that starts no valid escape stays as it is.
 */
function unquoteAgain(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** POST answers: the path relative to the user's folder, or ComfyUI's FileInfo with full_info=true. */
async function answerWithPath(req: Request, res: Response, path: string, folder: string): Promise<void> {
  const base = await realpath(folder);
  if ((queryText(req.query.full_info) ?? 'false').toLowerCase() === 'true') res.json(await fileInfo(path, base));
  else res.json(posix.relative(base.split('\\').join('/'), path.split('\\').join('/')));
}

async function sendUserFile(res: Response, path: string): Promise<void> {
  res.type(posix.extname(path) || 'application/octet-stream');
  if (ACTIVE_TYPES.test(String(res.getHeader('Content-Type') ?? ''))) res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-cache');
  await new Promise<void>((resolve, reject) => res.sendFile(path, { dotfiles: 'allow' }, (error) => (error && !res.headersSent ? reject(error) : resolve())));
}

/** Runs a storage call and turns its refusals into ComfyUI's statuses. */
async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw mapped(error);
  }
}

function mapped(error: unknown): unknown {
  if (error instanceof UnsafePathError) return new HttpError(403, error.message);
  if (error instanceof MissingFileError) return new HttpError(404, error.message);
  if (error instanceof FileExistsError) return new HttpError(409, `File already exists: ${error.message}`);
  if (error instanceof WrongKindError) return new HttpError(400, error.message);
  const code = (error as NodeJS.ErrnoException | null)?.code;
  // user_manager.py:371-376: a name the file system refuses is the client's mistake.
  if (code === 'ENAMETOOLONG' || code === 'EINVAL' || code === 'ENOTDIR' || code === 'EISDIR') {
    return new HttpError(400, `the file system refused this file name (${code})`);
  }
  return error;
}

export function queryText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}
