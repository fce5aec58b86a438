// `graph serve`: the HTTP/WebSocket server until SIGINT or SIGTERM.
import { resolve } from 'node:path';
import type { CachePolicy } from '../runtime/cache.ts';
import { frontendRootProblem } from '../api/frontend-root.ts';
import { LogRing } from '../api/log-ring.ts';
import { DEFAULT_HOST, DEFAULT_PORT, startServer } from '../api/server.ts';
import { isLoopback } from '../api/security.ts';
import type { HostOptions } from '../host.ts';
import { formatImportTimes } from '../packs/loader.ts';
import { UsageError } from './run.ts';
import { runUntilSignal } from './signals.ts';
import { parseQueueUrl, QueueUrlError } from '../scaleout/redis-queue.ts';

export interface ServeOptions {
  port?: string;
  /** `--listen` alone is `true`: every IPv4 interface. */
  listen?: string | boolean;
  folders?: HostOptions['folders'];
  packs?: HostOptions['packs'];
  maxUploadSize?: string;
  token?: string;
  enableCorsHeader?: string | boolean;
  cacheLru?: string;
  cacheNone?: boolean;
  queue?: string;
  /** `--no-local-worker` sets this to false. */
  localWorker?: boolean;
  advertiseUrl?: string;
  /** ComfyUI's --multi-user: per-user folders chosen by the Comfy-User header. */
  multiUser?: boolean;
  /** ComfyUI's --front-end-root: serve this frontend build instead of the built-in editor. */
  frontEndRoot?: string;
}

export function listenAddress(listen: string | boolean | undefined): string {
  if (listen === undefined || listen === false) return DEFAULT_HOST;
  if (listen === true) return '0.0.0.0';
  if (listen.includes(',')) throw new UsageError('--listen takes one address (for IPv4 and IPv6 together use "::")');
  return listen;
}

export function cachePolicy(options: Pick<ServeOptions, 'cacheLru' | 'cacheNone'>): CachePolicy | undefined {
  if (options.cacheNone && options.cacheLru !== undefined) throw new UsageError('--cache-none and --cache-lru exclude each other');
  if (options.cacheNone) return { kind: 'none' };
  if (options.cacheLru !== undefined) {
    const size = Number(options.cacheLru);
    if (!Number.isInteger(size) || size < 0) throw new UsageError(`--cache-lru expects a whole number, got ${JSON.stringify(options.cacheLru)}`);
    return { kind: 'lru', size };
  }
  return undefined;
}

function number(value: string | undefined, flag: string, check: (n: number) => boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`${flag} got ${JSON.stringify(value)}`);
  return n;
}

/** Starts the server and resolves with the exit code once a signal has stopped it. */
export async function serve(options: ServeOptions, argv: readonly string[]): Promise<number> {
  const host = listenAddress(options.listen);
  const port = number(options.port, '--port', (n) => Number.isInteger(n) && n >= 0 && n < 65536) ?? DEFAULT_PORT;
  const maxUploadMb = number(options.maxUploadSize, '--max-upload-size', (n) => n > 0);
  if (options.token !== undefined && options.token.trim() === '') throw new UsageError('--token must not be empty');
  const corsOrigin = options.enableCorsHeader === true ? '*' : options.enableCorsHeader || undefined;
  const frontEndRoot = options.frontEndRoot === undefined ? undefined : resolve(options.frontEndRoot);
  const frontendProblem = frontEndRoot === undefined ? undefined : frontendRootProblem(frontEndRoot);
  if (frontendProblem) throw new UsageError(frontendProblem);
  if (options.queue !== undefined) {
    try {
      parseQueueUrl(options.queue);
    } catch (error) {
      if (error instanceof QueueUrlError) throw new UsageError(error.message);
      throw error;
    }
  } else if (options.localWorker === false) throw new UsageError('--no-local-worker needs --queue (otherwise nothing would run prompts)');

  // Everything the process prints (ours, the packs', the nodes') is what the logs panel shows.
  const logs = new LogRing();
  const stopCapture = [logs.capture(process.stdout), logs.capture(process.stderr)];
  const server = await startServer({
    logs,
    host,
    port,
    folders: options.folders,
    packs: options.packs,
    cache: cachePolicy(options),
    api: { maxUploadMb, token: options.token, corsOrigin, argv, multiUser: Boolean(options.multiUser), frontEndRoot },
    queue: options.queue,
    localWorker: options.localWorker,
    advertiseUrl: options.advertiseUrl,
  });

  if (!isLoopback(host)) {
    process.stderr.write(
      `WARNING: listening on ${host}: anyone who can reach this machine can queue prompts and upload files${options.token ? '' : ' (consider --token)'}.\n`,
    );
  }
  process.stderr.write(`${formatImportTimes(server.packs)}\n`);
  const pending = server.runner.remaining();
  process.stdout.write(`FlashGraph server on ${server.url}${pending > 0 ? ` (resuming ${pending} queued prompt${pending === 1 ? '' : 's'})` : ''}\n`);

  try {
    return await runUntilSignal('serve', (signal) => `${signal}: interrupting the running prompt, saving the queue...`, () => server.close());
  } finally {
    for (const stop of stopCapture) stop();
  }
}
