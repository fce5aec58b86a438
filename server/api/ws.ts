// ComfyUI's WebSocket endpoint, `/ws?clientId=...` (also `/api/ws`), with the `ws` package.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PreviewImage } from '../../types/api.ts';
import type { ApiConfig } from './config.ts';
import { MessageHub, previewFrame, type Connection, type PreviewMetadata } from './hub.ts';
import { queryParam, refusal } from './security.ts';

const PATHS = new Set(['/ws', '/api/ws']);
const MAX_CLIENT_FRAME = 1024 * 1024;
const MAX_CLIENT_ID = 256;

class WsConnection implements Connection {
  supportsPreviewMetadata = false;
  constructor(
    readonly clientId: string,
    readonly socket: WebSocket,
  ) {}

  send(_type: string, _data: unknown, payload: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(payload);
  }

  sendPreview(preview: PreviewImage, metadata: PreviewMetadata): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    // Never both formats: type 4 only for clients that asked for it.
    this.socket.send(previewFrame(preview, this.supportsPreviewMetadata ? metadata : undefined));
  }

  close(): void {
    this.socket.close(1001, 'server shutting down');
  }
}

/** Handles upgrades to /ws; other paths are left to socket.io or refused. */
export function attachWebSocket(server: Server, hub: MessageHub, config: ApiConfig, otherPaths: (path: string) => boolean): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = pathOf(req);
    if (!PATHS.has(path)) {
      if (!otherPaths(path)) rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    const refused = refusal(req, config);
    if (refused) {
      rejectUpgrade(socket, refused.status, refused.status === 401 ? 'Unauthorized' : 'Forbidden');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req));
  });

  const accept = (ws: WebSocket, req: IncomingMessage) => {
    const requested = queryParam(req, 'clientId');
    const clientId = requested && requested.length <= MAX_CLIENT_ID ? requested : MessageHub.newClientId();
    const connection = new WsConnection(clientId, ws);
    let first = true;
    ws.on('message', (data, isBinary) => {
      // Only the first text frame may negotiate feature flags; everything else is ignored.
      if (!first || isBinary) return;
      first = false;
      try {
        const message = JSON.parse(data.toString()) as { type?: unknown; data?: unknown };
        if (message?.type === 'feature_flags') hub.negotiate(connection, message.data);
      } catch {
        // Not JSON: ignored, as ComfyUI does.
      }
    });
    ws.on('close', () => hub.disconnect(connection));
    ws.on('error', () => hub.disconnect(connection));
    hub.connect(connection);
  };

  return wss;
}

function pathOf(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? '/', 'http://x').pathname;
  } catch {
    return '';
  }
}

export function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
