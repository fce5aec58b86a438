// socket.io for our editor, on the same HTTP server: the WebSocket messages as events (event
// name = message type, payload = data). Previews arrive as `b_preview_with_metadata` events
// carrying the image bytes and their metadata (ComfyUI frontend's name for binary type 4).
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Server, type Socket } from 'socket.io';
import type { PreviewImage } from '../../types/api.ts';
import type { ApiConfig } from './config.ts';
import { MessageHub, type Connection, type PreviewMetadata } from './hub.ts';
import { refusal, tokenMatches } from './security.ts';
import { rejectUpgrade } from './ws.ts';

export const SOCKET_IO_PATH = '/socket.io';
const MAX_CLIENT_ID = 256;

/** Whether a request URL (or path) belongs to socket.io. */
export function isSocketIoPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0]!;
  return path === SOCKET_IO_PATH || path.startsWith(`${SOCKET_IO_PATH}/`);
}

class SocketIoConnection implements Connection {
  supportsPreviewMetadata = true;
  constructor(
    readonly clientId: string,
    readonly socket: Socket,
  ) {}

  send(type: string, data: unknown): void {
    this.socket.emit(type, data);
  }

  sendPreview(preview: PreviewImage, metadata: PreviewMetadata): void {
    this.socket.emit('b_preview_with_metadata', { ...metadata, image: Buffer.from(preview.bytes) });
  }

  close(): void {
    this.socket.disconnect(true);
  }
}

export function attachSocketIo(server: HttpServer, hub: MessageHub, config: ApiConfig): Server {
  const io = new Server(server, {
    path: SOCKET_IO_PATH,
    serveClient: false,
    // /ws upgrades on the same server belong to the plain WebSocket endpoint.
    destroyUpgrade: false,
    maxHttpBufferSize: 1024 * 1024,
    cors: config.corsOrigin !== undefined ? { origin: config.corsOrigin, credentials: true } : undefined,
    // The same origin rule as HTTP; the token may also come in the handshake's `auth` (below).
    allowRequest: (req, callback) => {
      const refused = refusal(req, { ...config, token: undefined });
      callback(refused ? refused.message : null, !refused);
    },
  });

  // engine.io answers a refused WebSocket upgrade with 400; refuse it first, with the 403 that HTTP
  // and /ws give (engine.io then finds the socket closed and leaves it).
  server.prependListener('upgrade', (req: IncomingMessage, socket: Duplex) => {
    if (!isSocketIoPath(req.url)) return;
    if (refusal(req, { ...config, token: undefined })) rejectUpgrade(socket, 403, 'Forbidden');
  });

  io.use((socket, next) => {
    if (config.token === undefined) {
      next();
      return;
    }
    const { auth, query, headers } = socket.handshake;
    const bearer = /^Bearer\s+(.+)$/i.exec(String(headers.authorization ?? ''))?.[1]?.trim();
    const presented = (auth as Record<string, unknown>).token ?? query.token ?? bearer;
    if (tokenMatches(presented, config.token)) next();
    else next(new Error('missing or wrong token'));
  });

  io.on('connection', (socket) => {
    const { auth, query } = socket.handshake;
    const requested = (auth as Record<string, unknown>).clientId ?? query.clientId;
    const clientId = typeof requested === 'string' && requested !== '' && requested.length <= MAX_CLIENT_ID ? requested : MessageHub.newClientId();
    const connection = new SocketIoConnection(clientId, socket);
    // The editor understands type-4 previews by default; it may still send its flags.
    socket.on('feature_flags', (flags: unknown) => hub.negotiate(connection, flags));
    socket.on('disconnect', () => hub.disconnect(connection));
    hub.connect(connection);
  });

  return io;
}
