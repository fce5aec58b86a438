// Output files of remote workers travel to the server over HTTP (never through Redis): the worker
// streams each file with its worker token; the server stores it under output/ (or temp/) so /view
// and /history work as for local runs.
import { timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, extname, basename, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import type { FolderStorage } from '../storage/folders.ts';
import { checkRelativePath } from '../storage/safe-path.ts';

export const WORKER_FILES_PATH = '/internal/worker/files';

export interface StoredFile {
  filename: string;
  subfolder: string;
  type: 'output' | 'temp';
}

/**
 * `PUT /internal/worker/files?type=&subfolder=&filename=` with `Authorization: Bearer <worker token>`
 * and the file as the body. A name already taken gets ` (1)`, ` (2)`... (two workers count their
 * save files independently); the answer names the stored file.
 */
export function workerFileRoutes(storage: FolderStorage, workerToken: () => string | undefined): Router {
  const router = Router();
  router.put(WORKER_FILES_PATH, async (req, res) => {
    const token = workerToken();
    const given = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    if (!token || given.length !== token.length || !timingSafeEqual(Buffer.from(given), Buffer.from(token))) {
      res.status(401).json({ error: 'worker token required' });
      return;
    }
    const type = req.query.type === 'temp' ? 'temp' : req.query.type === 'output' ? 'output' : undefined;
    const filename = typeof req.query.filename === 'string' ? req.query.filename : '';
    const subfolder = typeof req.query.subfolder === 'string' ? req.query.subfolder : '';
    if (!type || filename === '' || filename.includes('/') || filename.includes('\\')) {
      res.status(400).json({ error: 'type (output|temp) and a plain filename are required' });
      return;
    }
    try {
      if (subfolder !== '') checkRelativePath(subfolder, 'subfolder');
      checkRelativePath(filename, 'filename');
    } catch (error) {
      res.status(400).json({ error: (error as Error).message });
      return;
    }
    const stored = await storeExclusive(storage, type, subfolder, filename, req);
    res.json(stored);
  });
  return router;
}

async function storeExclusive(storage: FolderStorage, type: 'output' | 'temp', subfolder: string, filename: string, body: Readable): Promise<StoredFile> {
  storage.prepare(type);
  const extension = extname(filename);
  const stem = basename(filename, extension);
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? filename : `${stem} (${n})${extension}`;
    const target = storage.resolve(type, subfolder === '' ? candidate : posix.join(subfolder, candidate));
    mkdirSync(dirname(target), { recursive: true });
    // 'wx' claims the name atomically, so concurrent uploads of equal names cannot overwrite each other.
    const out = createWriteStream(target, { flags: 'wx' });
    const opened = await new Promise<boolean>((resolve, reject) => {
      out.once('open', () => resolve(true));
      out.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EEXIST' ? resolve(false) : reject(error)));
    });
    if (!opened) continue;
    try {
      await pipeline(body, out);
    } catch (error) {
      await rm(target, { force: true });
      throw error;
    }
    return { filename: candidate, subfolder, type };
  }
}

/** Streams one local file to the server; the answer names where it was stored. */
export async function uploadFile(serverUrl: string, token: string, file: StoredFile, fullPath: string): Promise<StoredFile> {
  const query = new URLSearchParams({ type: file.type, subfolder: file.subfolder, filename: file.filename });
  const response = await fetch(`${serverUrl}${WORKER_FILES_PATH}?${query}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(statSync(fullPath).size) },
    body: Readable.toWeb(createReadStream(fullPath)) as ReadableStream,
    duplex: 'half',
  } as RequestInit & { duplex: 'half' });
  if (!response.ok) throw new Error(`uploading ${file.filename} to ${serverUrl} failed: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as StoredFile;
}
