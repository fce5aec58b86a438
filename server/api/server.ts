// One process serving the HTTP API, the WebSocket and socket.io endpoints, and running the queue.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createHost, createServices, prepareHost, type HostOptions } from '../host.ts';
import type { PackReport } from '../packs/loader.ts';
import type { PromptService } from '../runtime/prompt-service.ts';
import type { NodeRegistry } from '../runtime/registry.ts';
import { parseQueueUrl } from '../scaleout/redis-queue.ts';
import { RedisPromptService } from '../scaleout/redis-service.ts';
import { GraphWorker } from '../scaleout/worker.ts';
import type { FolderStorage } from '../storage/folders.ts';
import { HistoryFile } from '../storage/history-file.ts';
import { createApp } from './app.ts';
import { apiConfig, DEFAULT_HOST, serverFeatures, type ApiConfig } from './config.ts';
import { MessageHub } from './hub.ts';
import { LogRing } from './log-ring.ts';
import { attachSocketIo, isSocketIoPath } from './socketio.ts';
import { attachWebSocket } from './ws.ts';
import { START_GRACE_MS } from '../runtime/runner.ts';

export const DEFAULT_PORT = 8188;
export { DEFAULT_HOST };

export interface ServerOptions extends Omit<HostOptions, 'progressState' | 'persistQueue' | 'ephemeralHistory'> {
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  api?: Partial<ApiConfig> & { maxUploadMb?: number };
  log?: (message: string) => void;
  /** `redis://host:port/db`: the queue lives in Redis and `graph worker` processes run prompts. */
  queue?: string;
  /** With `queue`: also run prompts in this process (default true; `--no-local-worker` turns it off). */
  localWorker?: boolean;
  /** With `queue`: the URL workers send output files to (default: the URL this server listens on). */
  advertiseUrl?: string;
  /**
   * The log ring behind /internal/logs. When given, the caller fills it (`graph serve` copies
   * stdout and stderr into it); otherwise the server makes one holding what `log` is given.
   */
  logs?: LogRing;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  http: Server;
  runner: PromptService;
  /** The worker running inside this process (Redis queue without `--no-local-worker`). */
  localWorker?: GraphWorker;
  registry: NodeRegistry;
  packs: PackReport[];
  storage: FolderStorage;
  hub: MessageHub;
  logs: LogRing;
  /**
   * Stops cleanly: the running prompt is interrupted (its history entry says so), pending prompts
   * stay in user/queue.json for the next start, history is flushed, sockets are closed.
   */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const writeLog = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const logs = options.logs ?? new LogRing();
  const log = options.logs ? writeLog : (message: string) => (logs.write(`${message}\n`), writeLog(message));
  const bindHost = options.host ?? DEFAULT_HOST;
  const config = apiConfig({ listenHost: bindHost, ...options.api });
  const onError = options.onError ?? ((error: unknown) => log(`error: ${(error as Error)?.message ?? error}`));
  let host: { runner: PromptService; registry: NodeRegistry; packs: PackReport[]; storage: FolderStorage };
  let redis: RedisPromptService | undefined;
  let localWorker: GraphWorker | undefined;
  if (options.queue !== undefined) {
    const queueConfig = parseQueueUrl(options.queue);
    const parts = await prepareHost(options);
    redis = new RedisPromptService({
      config: queueConfig,
      registry: parts.registry,
      env: { storage: parts.storage, services: createServices() },
      historyStore: new HistoryFile(join(parts.storage.layout.user, 'history.json')),
      onError,
    });
    await redis.start();
    if (options.localWorker !== false) {
      localWorker = new GraphWorker({ config: queueConfig, registry: parts.registry, storage: parts.storage, cache: options.cache, sharesServerStorage: true, log });
      await localWorker.start();
    }
    host = { ...parts, runner: redis };
  } else {
    host = await createHost({ ...options, progressState: true, persistQueue: true, startGraceMs: START_GRACE_MS, onError });
  }
  const { runner, registry, storage } = host;

  const hub = new MessageHub(() => runner.remaining(), () => serverFeatures(config));
  const unsubscribe = runner.on((event) => hub.handle(event));

  const workerToken = redis?.workerToken;
  const customNodesDirectory = options.packs?.customNodesDirectory ?? join(storage.layout.base, 'custom_nodes');
  const app = createApp({ runner, registry, packs: host.packs, storage, config, log, workerToken, logs, hub, customNodesDirectory });
  const http = createServer(app);
  // Slow or stuck clients must not pin connections forever.
  http.headersTimeout = 60_000;
  http.requestTimeout = 300_000;
  const io = attachSocketIo(http, hub, config);
  const wss = attachWebSocket(http, hub, config, isSocketIoPath);

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? DEFAULT_PORT, bindHost, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    unsubscribe();
    await localWorker?.close({ interrupt: true });
    await runner.stop();
    throw error;
  }
  const address = http.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  await redis?.advertise(options.advertiseUrl ?? (address.address === '0.0.0.0' || address.address === '::' ? `http://127.0.0.1:${address.port}` : url));

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Stop the worker first so clients still hear how the running prompt ended.
      await localWorker?.close({ interrupt: true });
      await runner.stop();
      unsubscribe();
      hub.closeAll();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    })());

  return { url, host: address.address, port: address.port, http, runner, localWorker, registry, packs: host.packs, storage, hub, logs, close };
}
