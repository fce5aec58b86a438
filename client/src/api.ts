// The editor's view of the server: ComfyUI's HTTP routes (under /api/) and the socket.io events.
import { io, type Socket } from 'socket.io-client';
import type { ApiPrompt, ExecutionEventMap, FileRef, HistoryEntry, NodeErrors, ObjectInfo, QueueItem } from '../../types/api.ts';

export interface QueueState {
  queue_running: QueueItem[];
  queue_pending: QueueItem[];
}

export interface PreviewEvent {
  node_id: string;
  prompt_id: string;
  display_node_id: string;
  image_type: string;
  image: ArrayBuffer | Uint8Array;
}

export interface ServerEvents extends ExecutionEventMap {
  status: { status: { exec_info: { queue_remaining: number } }; sid?: string };
  b_preview_with_metadata: PreviewEvent;
  connect: undefined;
  disconnect: undefined;
}

/** A refused POST /prompt: ComfyUI's `{error, node_errors}`. */
export class PromptRejected extends Error {
  constructor(
    readonly error: { type?: string; message: string; details?: string },
    readonly nodeErrors: NodeErrors,
  ) {
    super(error.details ? `${error.message}: ${error.details}` : error.message);
  }
}

type Listener<K extends keyof ServerEvents> = (data: ServerEvents[K]) => void;

export class ServerApi {
  readonly clientId: string;
  private socket: Socket | undefined;
  private readonly listeners = new Map<string, Set<(data: never) => void>>();

  constructor(private readonly base = './api') {
    // One id per tab, kept across reloads so the tab still hears about a prompt it queued.
    const stored = sessionStorage.getItem('flashgraph.clientId');
    this.clientId = stored ?? crypto.randomUUID().replace(/-/g, '');
    sessionStorage.setItem('flashgraph.clientId', this.clientId);
  }

  connect(): void {
    const socket = io({ path: new URL('./socket.io', location.href).pathname, query: { clientId: this.clientId }, transports: ['websocket', 'polling'] });
    this.socket = socket;
    socket.onAny((event: string, data: unknown) => this.emit(event, data));
    socket.on('connect', () => this.emit('connect', undefined));
    socket.on('disconnect', () => this.emit('disconnect', undefined));
  }

  on<K extends keyof ServerEvents>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (data: never) => void);
    return () => set.delete(listener as (data: never) => void);
  }

  private emit(event: string, data: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as (data: unknown) => void)(data);
      } catch (error) {
        console.error(`listener for ${event} failed`, error);
      }
    }
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  private async request<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await fetch(this.url(path), { cache: 'no-store', ...init });
    const text = await response.text();
    const body = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (!response.ok) {
      const message = (body as { error?: unknown } | undefined)?.error;
      throw new Error(typeof message === 'string' ? message : `${init?.method ?? 'GET'} ${path}: HTTP ${response.status}`);
    }
    return body as T;
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }

  /** GET of a server route (remote combos' lists). */
  fetchRoute(route: string): Promise<unknown> {
    return this.request(route.startsWith('/') ? route : `/${route}`);
  }

  objectInfo(): Promise<ObjectInfo> {
    return this.request('/object_info');
  }

  /** Queues a prompt exactly as ComfyUI's frontend does; a 400 becomes PromptRejected. */
  async queuePrompt(prompt: ApiPrompt, workflow: unknown): Promise<{ prompt_id: string; number: number; node_errors?: NodeErrors }> {
    const response = await fetch(this.url('/prompt'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ prompt, client_id: this.clientId, extra_data: { extra_pnginfo: { workflow } } }),
    });
    const body = (await response.json()) as { prompt_id: string; number: number; error?: { type?: string; message: string; details?: string } | string; node_errors?: NodeErrors };
    if (!response.ok) {
      const error = typeof body.error === 'string' ? { message: body.error } : (body.error ?? { message: `HTTP ${response.status}` });
      throw new PromptRejected(error, body.node_errors ?? {});
    }
    return body;
  }

  queue(): Promise<QueueState> {
    return this.request('/queue');
  }

  deleteFromQueue(promptIds: string[]): Promise<void> {
    return this.post('/queue', { delete: promptIds });
  }

  clearQueue(): Promise<void> {
    return this.post('/queue', { clear: true });
  }

  interrupt(promptId?: string): Promise<void> {
    return this.post('/interrupt', promptId ? { prompt_id: promptId } : {});
  }

  history(maxItems = 50): Promise<Record<string, HistoryEntry>> {
    return this.request(`/history?max_items=${maxItems}`);
  }

  clearHistory(): Promise<void> {
    return this.post('/history', { clear: true });
  }

  exampleWorkflows(): Promise<string[]> {
    return this.request('/workflows');
  }

  exampleWorkflow(name: string): Promise<unknown> {
    return this.request(`/workflows/${encodeURIComponent(name)}`);
  }

  /** Script URLs of the node packs' editor extensions (ComfyUI's /extensions). */
  extensions(): Promise<string[]> {
    return this.request('/extensions');
  }

  templates(): Promise<Record<string, string[]>> {
    return this.request('/workflow_templates');
  }

  template(pack: string, name: string): Promise<unknown> {
    return this.request(`/workflow_templates/${encodeURIComponent(pack)}/${encodeURIComponent(name)}.json`);
  }

  async uploadImage(file: File): Promise<FileRef & { name: string }> {
    const form = new FormData();
    form.append('image', file, file.name);
    form.append('type', 'input');
    const response = await fetch(this.url('/upload/image'), { method: 'POST', body: form });
    const body = (await response.json()) as { name: string; subfolder: string; type: FileRef['type']; error?: string };
    if (!response.ok) throw new Error(body.error ?? `upload failed: HTTP ${response.status}`);
    return { ...body, filename: body.name };
  }

  viewUrl(file: FileRef): string {
    const params = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder ?? '', type: file.type ?? 'output' });
    return this.url(`/view?${params}`);
  }
}
