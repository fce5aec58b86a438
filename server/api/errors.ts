// Every failure becomes a 4xx/5xx JSON answer; nothing a client sends can take the server down.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { UnsafePathError } from '../storage/safe-path.ts';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
};

/** Status for errors thrown by express, body-parser, multer and our own code. */
export function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (error instanceof UnsafePathError) return 400;
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

export function errorHandler(log: (message: string) => void): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const status = statusOf(error);
    if (status >= 500) log(`${req.method} ${req.originalUrl}: ${(error as Error)?.stack ?? String(error)}`);
    if (status === 413) res.setHeader('Connection', 'close');
    const message = status >= 500 ? 'internal server error' : describe(error);
    res.status(status).json({ error: message });
  };
}

function describe(error: unknown): string {
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') return `request body is not valid JSON: ${(error as Error).message}`;
  return error instanceof Error ? error.message : String(error);
}
