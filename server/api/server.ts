// One process serving the HTTP API, the WebSocket and socket.io endpoints, and running the queue.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHost, type HostOptions } from '../host.ts';
import type { PackReport } from '../packs/loader.ts';
import type { NodeRegistry } from '../runtime/registry.ts';
import type { PromptRunner } from '../runtime/runner.ts';
import type { FolderStorage } from '../storage/folders.ts';
import { createApp } from './app.ts';
import { apiConfig, serverFeatures, type ApiConfig } from './config.ts';
import { MessageHub } from './hub.ts';
import { attachSocketIo, SOCKET_IO_PATH } from './socketio.ts';
import { attachWebSocket } from './ws.ts';

export const DEFAULT_PORT = 8188;
export const DEFAULT_HOST = '127.0.0.1';

export interface ServerOptions extends Omit<HostOptions, 'progressState' | 'persistQueue' | 'ephemeralHistory'> {
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  api?: Partial<ApiConfig> & { maxUploadMb?: number };
  log?: (message: string) => void;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  http: Server;
  runner: PromptRunner;
  registry: NodeRegistry;
  packs: PackReport[];
  storage: FolderStorage;
  hub: MessageHub;
  /**
   * Stops cleanly: the running prompt is interrupted (its history entry says so), pending prompts
   * stay in user/queue.json for the next start, history is flushed, sockets are closed.
   */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const config = apiConfig(options.api);
  const host = await createHost({ ...options, progressState: true, persistQueue: true, onError: options.onError ?? ((error) => log(`error: ${(error as Error)?.message ?? error}`)) });
  const { runner, registry, storage } = host;

  const hub = new MessageHub(() => runner.queue.remaining(), () => serverFeatures(config));
  const unsubscribe = runner.on((event) => hub.handle(event));

  const app = createApp({ runner, registry, packs: host.packs, storage, config, log });
  const http = createServer(app);
  // Slow or stuck clients must not pin connections forever.
  http.headersTimeout = 60_000;
  http.requestTimeout = 300_000;
  const io = attachSocketIo(http, hub, config);
  const wss = attachWebSocket(http, hub, config, (path) => path === SOCKET_IO_PATH || path.startsWith(`${SOCKET_IO_PATH}/`));

  const bindHost = options.host ?? DEFAULT_HOST;
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
    await runner.stop();
    throw error;
  }
  const address = http.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Stop the worker first so clients still hear how the running prompt ended.
      await runner.stop();
      unsubscribe();
      hub.closeAll();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    })());

  return { url: `http://${shownHost}:${address.port}`, host: address.address, port: address.port, http, runner, registry, packs: host.packs, storage, hub, close };
}
