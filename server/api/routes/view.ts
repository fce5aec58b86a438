// GET /view: a file from input/, output/ or temp/, as it is or re-encoded as a preview.
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { Router, type Response } from 'express';
import type { FolderType } from '../../../types/api.ts';
import { checkRelativePath, resolveInside, UnsafePathError } from '../../storage/safe-path.ts';
import type { ApiContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { convertImage, wantsConversion } from '../images.ts';

const FOLDERS: readonly FolderType[] = ['input', 'output', 'temp'];

/** Types a browser may render inline; anything else (HTML, JS, CSS, SVG, XML...) is a download. */
function inlineSafe(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'image/svg+xml') return false;
  return /^(image|video|audio)\//.test(type) || type === 'text/plain' || type === 'application/json';
}

export function viewRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.get('/view', async (req, res) => {
    const raw = query(req.query.filename, 'filename');
    if (raw === undefined) throw new HttpError(404, 'filename is required');
    if (raw === '') throw new HttpError(400, 'filename is empty');
    let name = raw;
    let type = query(req.query.type, 'type') ?? 'output';
    // "x.png [output]": the annotation ComfyUI's combos carry overrides `type`.
    const annotated = /^(.*) \[(input|output|temp)\]$/.exec(raw);
    if (annotated) [, name, type] = annotated as unknown as [string, string, string];
    if (!FOLDERS.includes(type as FolderType)) throw new HttpError(400, `type must be one of ${FOLDERS.join(', ')}`);

    try {
      name = posix.basename(checkRelativePath(name, 'filename'));
    } catch (error) {
      throw new HttpError(400, (error as Error).message);
    }
    const folder = type as FolderType;
    const root = ctx.storage.directory(folder);
    const subfolder = query(req.query.subfolder, 'subfolder') ?? '';
    let path: string;
    try {
      resolveInside(root, subfolder, 'subfolder');
      // The file itself may be a link: the whole path must still end inside the folder.
      path = resolveInside(root, posix.join(subfolder.replaceAll('\\', '/'), name), 'path');
    } catch (error) {
      if (error instanceof UnsafePathError) throw new HttpError(403, error.message);
      throw error;
    }
    const found = await stat(path).catch(() => undefined);
    if (!found?.isFile()) throw new HttpError(404, `no file ${JSON.stringify(name)} in ${folder}${subfolder ? `/${subfolder}` : ''}`);

    const preview = query(req.query.preview, 'preview');
    const channel = query(req.query.channel, 'channel');
    if (wantsConversion({ preview, channel })) {
      let encoded;
      try {
        encoded = await convertImage(path, { preview, channel });
      } catch (error) {
        throw new HttpError(415, `cannot re-encode ${JSON.stringify(name)} as an image: ${(error as Error).message}`);
      }
      disposition(res, name, 'inline');
      res.type(encoded.contentType).send(encoded.bytes);
      return;
    }
    res.type(posix.extname(name) || 'application/octet-stream');
    const contentType = String(res.getHeader('Content-Type') ?? '');
    const inline = inlineSafe(contentType);
    if (!inline) res.setHeader('Content-Type', 'application/octet-stream');
    disposition(res, name, inline ? 'inline' : 'attachment');
    await new Promise<void>((resolve, reject) => res.sendFile(path, { dotfiles: 'allow' }, (error) => (error && !res.headersSent ? reject(error) : resolve())));
  });

  return router;
}

/**
 * RFC 6266/5987 form: an ASCII fallback plus the exact UTF-8 name. Media is `inline`, as ComfyUI
 * serves it (a bare `filename=` with no disposition type, which browsers show in place); content
 * that is sent as plain bytes for safety is an `attachment`.
 */
export function contentDisposition(name: string, kind: 'inline' | 'attachment' = 'inline'): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

function disposition(res: Response, name: string, kind: 'inline' | 'attachment'): void {
  res.setHeader('Content-Disposition', contentDisposition(name, kind));
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

/** One query value; repeated parameters are a client error. */
function query(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new HttpError(400, `${name} must be given once`);
  return value;
}
