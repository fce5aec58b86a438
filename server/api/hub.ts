// Routes the runner's events to connected clients with ComfyUI's rules, whatever the transport
// (plain WebSocket for ComfyUI clients, socket.io for our editor).
import { randomUUID } from 'node:crypto';
import type { PreviewImage } from '../../types/api.ts';
import type { RunnerEvent } from '../runtime/prompt-service.ts';

/** What a preview frame says about itself (the metadata of ComfyUI's binary type 4). */
export interface PreviewMetadata {
  node_id: string;
  prompt_id: string;
  display_node_id: string;
  parent_node_id: string | null;
  real_node_id: string;
  image_type: 'image/png' | 'image/jpeg';
}

/** One connected client, whatever carries its messages. */
export interface Connection {
  readonly clientId: string;
  /** Set when the client negotiated `supports_preview_metadata` (binary type 4 instead of 1). */
  supportsPreviewMetadata: boolean;
  /** Sends `{type, data}`; `payload` is the already-serialised frame, shared by a broadcast. */
  send(type: string, data: unknown, payload: string): void;
  sendPreview(preview: PreviewImage, metadata: PreviewMetadata): void;
  close(): void;
}

/** Without a client_id ComfyUI drops these (clients poll /history instead)... */
const CLIENT_ONLY = new Set(['execution_start', 'execution_cached', 'executing', 'executed', 'execution_success', 'execution_error']);
// ...and broadcasts everything else (progress, progress_state, execution_interrupted, previews).

export class MessageHub {
  readonly #clients = new Map<string, Connection>();
  /** The node running now and whom it belongs to, for a client that reconnects mid-run. */
  #current: { clientId: string | undefined; node: string } | undefined;

  constructor(
    readonly queueRemaining: () => number,
    readonly serverFeatures: () => Record<string, unknown>,
  ) {}

  static newClientId(): string {
    return randomUUID().replaceAll('-', '');
  }

  get size(): number {
    return this.#clients.size;
  }

  has(clientId: string): boolean {
    return this.#clients.has(clientId);
  }

  /** Registers a client (replacing an older connection with the same id) and greets it. */
  connect(connection: Connection): void {
    this.#clients.set(connection.clientId, connection);
    const status = { status: { exec_info: { queue_remaining: this.queueRemaining() } }, sid: connection.clientId };
    this.#sendTo(connection, 'status', status);
    if (this.#current && this.#current.clientId === connection.clientId) {
      this.#sendTo(connection, 'executing', { node: this.#current.node });
    }
  }

  disconnect(connection: Connection): void {
    // A newer connection may already hold this id; only forget the one that closed.
    if (this.#clients.get(connection.clientId) === connection) this.#clients.delete(connection.clientId);
  }

  /** The client's answer to a `feature_flags` frame: store its flags, reply with ours. */
  negotiate(connection: Connection, flags: unknown): void {
    const clientFlags = flags !== null && typeof flags === 'object' ? (flags as Record<string, unknown>) : {};
    connection.supportsPreviewMetadata = clientFlags.supports_preview_metadata === true;
    this.#sendTo(connection, 'feature_flags', this.serverFeatures());
  }

  handle(event: RunnerEvent): void {
    switch (event.kind) {
      case 'status':
        this.broadcast('status', { status: { exec_info: { queue_remaining: event.queueRemaining } } });
        return;
      case 'execution': {
        const { type, data } = event.event;
        if (type === 'executing') {
          this.#current = data.node === null ? undefined : { clientId: event.clientId, node: data.node };
        }
        if (event.clientId !== undefined) this.sendTo(event.clientId, type, data);
        else if (!CLIENT_ONLY.has(type)) this.broadcast(type, data);
        return;
      }
      case 'preview': {
        const metadata: PreviewMetadata = {
          node_id: event.nodeId,
          prompt_id: event.promptId,
          display_node_id: event.nodeId,
          parent_node_id: null,
          real_node_id: event.nodeId,
          image_type: event.preview.format === 'PNG' ? 'image/png' : 'image/jpeg',
        };
        const targets = event.clientId !== undefined ? [this.#clients.get(event.clientId)] : [...this.#clients.values()];
        for (const target of targets) {
          if (!target) continue;
          try {
            target.sendPreview(event.preview, metadata);
          } catch {
            // A client that went away mid-send loses the frame; the run goes on.
          }
        }
        return;
      }
    }
  }

  sendTo(clientId: string, type: string, data: unknown): void {
    const connection = this.#clients.get(clientId);
    if (connection) this.#sendTo(connection, type, data);
  }

  broadcast(type: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const payload = JSON.stringify({ type, data });
    for (const connection of this.#clients.values()) this.#deliver(connection, type, data, payload);
  }

  closeAll(): void {
    for (const connection of [...this.#clients.values()]) connection.close();
    this.#clients.clear();
  }

  #sendTo(connection: Connection, type: string, data: unknown): void {
    this.#deliver(connection, type, data, JSON.stringify({ type, data }));
  }

  #deliver(connection: Connection, type: string, data: unknown, payload: string): void {
    try {
      connection.send(type, data, payload);
    } catch {
      // Messages for a client that is going away are dropped, as in ComfyUI.
    }
  }
}

/** ComfyUI's binary preview frames: type 1 `[1][format][image]`, type 4 `[4][len][json][image]`. */
export function previewFrame(preview: PreviewImage, metadata: PreviewMetadata | undefined): Buffer {
  if (!metadata) {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(1, 0);
    header.writeUInt32BE(preview.format === 'PNG' ? 2 : 1, 4);
    return Buffer.concat([header, preview.bytes]);
  }
  const json = Buffer.from(JSON.stringify(metadata));
  const header = Buffer.alloc(8);
  header.writeUInt32BE(4, 0);
  header.writeUInt32BE(json.length, 4);
  return Buffer.concat([header, json, preview.bytes]);
}
