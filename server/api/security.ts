// Who may talk to the server: the Host rule against DNS rebinding, the same-origin rule that stops
// web pages from driving a local server, the optional shared token, and the optional permissive
// CORS mode. The same checks guard HTTP requests and WebSocket/socket.io handshakes.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { ApiConfig } from './config.ts';
import { hostRefusalReason, isLoopback } from './host-check.ts';

export interface Refusal {
  status: 401 | 403;
  message: string;
}

/** The refusal for this request, or undefined when it may proceed. */
export function refusal(req: IncomingMessage, config: ApiConfig): Refusal | undefined {
  // Whatever the CORS mode: a rebinding page must not reach the API under its own name.
  const host = hostRefusalReason(req, config);
  if (host !== undefined) return { status: 403, message: host };
  if (config.corsOrigin === undefined) {
    const origin = originRefusal(req);
    if (origin) return origin;
  }
  if (config.token !== undefined && !(req.method === 'OPTIONS' && config.corsOrigin !== undefined)) {
    if (!tokenMatches(presentedToken(req), config.token)) return { status: 401, message: 'missing or wrong token (send "Authorization: Bearer <token>" or ?token=)' };
  }
  return undefined;
}

/**
 * ComfyUI's origin rule: when the Host is a loopback name and an Origin is present, both must name
 * the same host (and port when both carry one); and any `Sec-Fetch-Site: cross-site` request is
 * refused except a top-level navigation to `/`.
 */
export function originRefusal(req: IncomingMessage): Refusal | undefined {
  const site = header(req, 'sec-fetch-site');
  if (site === 'cross-site') {
    const navigation =
      req.method === 'GET' && pathOf(req) === '/' && header(req, 'sec-fetch-mode') === 'navigate' && header(req, 'sec-fetch-dest') === 'document';
    if (!navigation) return { status: 403, message: 'cross-site requests are refused' };
  }
  const host = header(req, 'host');
  const origin = header(req, 'origin');
  if (host === undefined || origin === undefined) return undefined;
  let hostUrl: URL;
  try {
    hostUrl = new URL(`http://${host}`);
  } catch {
    return { status: 403, message: 'malformed Host header' };
  }
  if (!isLoopback(hostUrl.hostname)) return undefined;
  let originUrl: URL;
  try {
    originUrl = new URL(origin);
  } catch {
    return { status: 403, message: `origin ${JSON.stringify(origin)} does not match host ${JSON.stringify(host)}` };
  }
  const sameHost = originUrl.hostname.toLowerCase() === hostUrl.hostname.toLowerCase();
  const samePort = hostUrl.port === '' || originUrl.port === '' || hostUrl.port === originUrl.port;
  if (!sameHost || !samePort) return { status: 403, message: `origin ${JSON.stringify(origin)} does not match host ${JSON.stringify(host)}` };
  return undefined;
}

function presentedToken(req: IncomingMessage): string | undefined {
  const authorization = header(req, 'authorization');
  const bearer = authorization !== undefined ? /^Bearer\s+(.+)$/i.exec(authorization)?.[1] : undefined;
  if (bearer !== undefined) return bearer.trim();
  return queryParam(req, 'token');
}

export function tokenMatches(presented: unknown, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function queryParam(req: IncomingMessage, name: string): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://x').searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

function pathOf(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? '/', 'http://x').pathname;
  } catch {
    return '';
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function securityMiddleware(config: ApiConfig): RequestHandler {
  return (req, res, next) => {
    const refused = refusal(req, config);
    if (!refused) {
      next();
      return;
    }
    if (refused.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(refused.status).json({ error: refused.message });
  };
}

/** `--enable-cors-header [origin]`: ComfyUI's permissive CORS headers; preflights answer 200. */
export function corsMiddleware(origin: string): RequestHandler {
  return (req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Methods', 'POST, GET, DELETE, PUT, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    if (req.method === 'OPTIONS') {
      res.status(200).end();
      return;
    }
    next();
  };
}
