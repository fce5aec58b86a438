// What the upload routes share: the multipart parser (one file in field "image"), ComfyUI's
// naming of stored uploads, and the checks on the form's names.
import { readFile, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Request, RequestHandler } from 'express';
import multer from 'multer';
import type { FolderType } from '../../types/api.ts';
import { checkRelativePath, resolveInside, UnsafePathError } from '../storage/safe-path.ts';
import { makeDirectory, writeFileNoFollow } from '../storage/safe-write.ts';
import type { ApiConfig } from './config.ts';
import { HttpError } from './errors.ts';

export const UPLOAD_FOLDERS: readonly FolderType[] = ['input', 'output', 'temp'];
const MAX_RENAMES = 10_000;

/** Parses a multipart form with one file in field `image` into memory (`req.file`, `req.body`). */
export function uploadParser(config: Pick<ApiConfig, 'maxUploadBytes'>): RequestHandler {
  const multipart = multer({
    storage: multer.memoryStorage(),
    // The raw client file name, so that a path in it is refused rather than silently cut off.
    preservePath: true,
    defParamCharset: 'utf8',
    limits: { fileSize: config.maxUploadBytes, files: 1, fields: 16, fieldSize: 64 * 1024, parts: 24 },
  }).single('image');
  return (req, res, next) => {
    multipart(req, res, (error: unknown) => next(error === undefined ? undefined : multipartError(error)));
  };
}

/** What an upload form says: the file, and where and how to store it. */
export interface UploadForm {
  file: Express.Multer.File;
  body: Record<string, unknown>;
  type: FolderType;
  subfolder: string;
  overwrite: boolean;
  /** The client's plain file name (a path in it is refused). */
  filename: string;
}

/** Reads a form `uploadParser` parsed: the `image` file, `type`, `subfolder`, `overwrite`. */
export function uploadForm(req: Request): UploadForm {
  const file = req.file;
  if (!file) throw new HttpError(400, 'no file in field "image"');
  const body = (req.body ?? {}) as Record<string, unknown>;
  return {
    file,
    body,
    type: uploadFolder(body),
    subfolder: fieldValue(body.subfolder),
    overwrite: ['true', '1'].includes(fieldValue(body.overwrite).toLowerCase()),
    filename: plainFileName(file.originalname),
  };
}

/** The form's `type` (default input) as an upload folder. */
function uploadFolder(body: Record<string, unknown>): FolderType {
  const type = fieldValue(body.type) || 'input';
  if (!UPLOAD_FOLDERS.includes(type as FolderType)) throw new HttpError(400, `type must be one of ${UPLOAD_FOLDERS.join(', ')}`);
  return type as FolderType;
}

/**
 * ComfyUI's naming (server.py image_upload): writes `bytes` under `filename` in `root/subfolder`, or
 * "name (1).ext" and so on when taken; a taken name whose file equals `sameAs` (the uploaded
 * bytes) is reused without writing. Returns the name used.
 */
export async function storeUpload(root: string, subfolder: string, filename: string, bytes: Buffer, overwrite: boolean, sameAs: Buffer = bytes): Promise<string> {
  const at = (name: string) => {
    try {
      return resolveInside(root, posix.join(subfolder.replaceAll('\\', '/'), name), 'upload path');
    } catch (error) {
      throw error instanceof UnsafePathError ? new HttpError(400, error.message) : error;
    }
  };
  makeDirectory(posix.dirname(at(filename)));
  // Re-check after creating the folders: a link among them must not lead outside.
  at(filename);
  const ext = posix.extname(filename);
  const stem = filename.slice(0, filename.length - ext.length);
  let name = filename;
  for (let i = 1; i <= MAX_RENAMES; i++) {
    const path = at(name);
    // Never through a link: overwriting one is refused (400), and a new name is only ever created.
    if (overwrite) {
      await writeFileNoFollow(path, bytes, 'replace');
      return name;
    }
    try {
      await writeFileNoFollow(path, bytes, 'create');
      return name;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await sameBytes(path, sameAs)) return name;
    name = `${stem} (${i})${ext}`;
  }
  throw new HttpError(409, `too many files named like ${JSON.stringify(filename)}`);
}

async function sameBytes(path: string, bytes: Buffer): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile() || info.size !== bytes.length) return false;
  return (await readFile(path)).equals(bytes);
}

/** The client's file name: a plain name, no folders (those go in `subfolder`). */
function plainFileName(original: string): string {
  let checked: string;
  try {
    checked = checkRelativePath(original, 'file name');
  } catch (error) {
    throw new HttpError(400, (error as Error).message);
  }
  if (checked.includes('/')) throw new HttpError(400, `file name ${JSON.stringify(original)} must not contain a folder; use "subfolder"`);
  return checked;
}

export function fieldValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new HttpError(400, 'form fields must be given once');
  return value;
}

function multipartError(error: unknown): unknown {
  if (error instanceof multer.MulterError) {
    if (error.code === 'LIMIT_FILE_SIZE') return new HttpError(413, 'the upload is larger than --max-upload-size');
    return new HttpError(400, `bad upload: ${error.message}${error.field ? ` (${error.field})` : ''}`);
  }
  const status = (error as { status?: number; statusCode?: number }).status ?? (error as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return error;
  return new HttpError(400, `bad multipart body: ${(error as Error)?.message ?? String(error)}`);
}
