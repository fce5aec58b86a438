// POST /upload/mask, the mask editor's save (ComfyUI's server.py upload_mask): the form's `image`
// is the painted mask, `original_ref` ({filename, subfolder, type}) the image it was painted on.
// The original's pixels with the mask's alpha are stored like an upload (`type` input by default,
// `subfolder`, `overwrite`, ComfyUI's "name (1).png" naming) and the answer is the stored name.
// Unlike ComfyUI, which answers 200 and stores nothing when `original_ref` is unusable, a bad or
// missing original is refused with 400, 403 or 404.
import { existsSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import type { RequestHandler } from 'express';
import type { FolderType } from '../../../types/api.ts';
import { applyMaskAlpha, MaskError } from '../../media/mask-alpha.ts';
import { resolveInside, UnsafePathError } from '../../storage/safe-path.ts';
import type { ApiContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { fieldValue, storeUpload, UPLOAD_FOLDERS, uploadForm } from '../upload-store.ts';

/** A file name's trailing folder annotation (ComfyUI's folder_paths.annotated_filepath). */
const ANNOTATION = /^(.*) \[(input|output|temp)\]$/;

interface OriginalRef {
  filename: string;
  subfolder: string;
  type: FolderType;
}

function originalRef(raw: string): OriginalRef {
  let ref: unknown;
  try {
    ref = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'original_ref must be JSON: {"filename", "subfolder", "type"}');
  }
  if (ref === null || typeof ref !== 'object' || typeof (ref as { filename?: unknown }).filename !== 'string') {
    throw new HttpError(400, 'original_ref needs a "filename"');
  }
  const { filename, subfolder = '', type = 'output' } = ref as Record<string, unknown>;
  const annotated = ANNOTATION.exec(filename as string);
  const name = annotated ? annotated[1]! : (filename as string);
  // ComfyUI: an annotation wins over `type`, whose default here is output.
  const folder = annotated ? annotated[2]! : type;
  if (typeof folder !== 'string' || !UPLOAD_FOLDERS.includes(folder as FolderType)) throw new HttpError(400, `original_ref type must be one of ${UPLOAD_FOLDERS.join(', ')}`);
  if (typeof subfolder !== 'string') throw new HttpError(400, 'original_ref subfolder must be a string');
  if (name === '' || name.startsWith('/') || name.includes('..')) throw new HttpError(400, `original_ref filename ${JSON.stringify(filename)} is not a plain file name`);
  return { filename: name, subfolder, type: folder as FolderType };
}

function maskFormat(filename: string): 'png' | 'webp' {
  const ext = posix.extname(filename).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.webp') return 'webp';
  throw new HttpError(400, `the mask is stored as PNG or WebP: name it .png or .webp, not ${JSON.stringify(filename)}`);
}

export function uploadMask(ctx: ApiContext): RequestHandler {
  return async (req, res) => {
    const { file, body, type, subfolder, overwrite, filename } = uploadForm(req);
    const format = maskFormat(filename);
    const rawRef = fieldValue(body.original_ref);
    if (rawRef === '') throw new HttpError(400, 'no original_ref: the image the mask was painted on');
    const ref = originalRef(rawRef);

    let originalPath: string;
    try {
      const folder = ctx.storage.directory(ref.type);
      // ComfyUI answers 403 for a subfolder that leaves the folder.
      const inside = (() => {
        try {
          return resolveInside(folder, ref.subfolder, 'original_ref subfolder');
        } catch (error) {
          throw error instanceof UnsafePathError ? new HttpError(403, error.message) : error;
        }
      })();
      originalPath = resolveInside(inside, ref.filename, 'original_ref filename');
    } catch (error) {
      throw error instanceof UnsafePathError ? new HttpError(400, error.message) : error;
    }
    if (!existsSync(originalPath) || !statSync(originalPath).isFile()) {
      throw new HttpError(404, `original image ${JSON.stringify(posix.join(ref.subfolder, ref.filename))} not found in ${ref.type}/`);
    }

    let composed: Buffer;
    try {
      composed = await applyMaskAlpha(originalPath, file.buffer, format);
    } catch (error) {
      throw error instanceof MaskError ? new HttpError(400, error.message) : error;
    }
    // ComfyUI compares a taken name's file with the uploaded mask, not with the composed image.
    const name = await storeUpload(ctx.storage.prepare(type), subfolder, filename, composed, overwrite, file.buffer);
    res.json({ name, subfolder, type });
  };
}
