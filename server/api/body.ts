import express, { type RequestHandler } from 'express';
import { MAX_JSON_DEPTH, nestingDepthExceeds, tooDeepMessage } from '../runtime/json-depth.ts';
import { isPlainObject } from '../runtime/validate.ts';
import type { ApiConfig } from './config.ts';
import { HttpError } from './errors.ts';

/**
 * JSON bodies whatever their Content-Type: ComfyUI reads the body as JSON unconditionally and
 * script clients (Python's urllib) send it as form-encoded. A body nested deeper than
 * MAX_JSON_DEPTH levels is refused with 400 here, before anything walks it.
 */
export function jsonBody(config: ApiConfig): RequestHandler {
  const parse = express.json({ limit: config.maxJsonBytes, type: () => true, strict: true });
  return (req, res, next) => {
    parse(req, res, (error?: unknown) => {
      if (error !== undefined) next(error);
      else if (nestingDepthExceeds(req.body, MAX_JSON_DEPTH)) next(new HttpError(400, tooDeepMessage('request body')));
      else next();
    });
  };
}

/** The parsed body as an object; an absent or empty body is `{}`. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (!isPlainObject(body)) throw new HttpError(400, 'request body must be a JSON object');
  return body;
}

/** A list of ids (`delete: [...]`), or a 400 naming the field. */
export function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw new HttpError(400, `"${field}" must be a list of ids`);
  return value.map((v) => String(v));
}
