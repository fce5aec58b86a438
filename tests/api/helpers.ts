// A real server on 127.0.0.1 (random port) with a few test nodes, and a WebSocket client that
// records what it receives, written like ComfyUI's websockets_api_example.py.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import sharp from 'sharp';
import WebSocket from 'ws';
import { startServer, type RunningServer, type ServerOptions } from '../../server/api/server.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { tempDir } from '../helpers/engine.ts';
import { REPO_ROOT } from '../helpers/golden.ts';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds; fails the test after `timeoutMs`. */
export async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/** Writes a small solid PNG to output/ (the test stand-in for SaveImage). */
export const TestSavePng: NodeDefinition = {
  type: 'TestSavePng',
  category: 'testing',
  outputNode: true,
  inputs: {
    required: {
      width: { type: 'INT', default: 8, min: 1, max: 256 },
      red: { type: 'INT', default: 255, min: 0, max: 255 },
      filename_prefix: { type: 'STRING', default: 'ComfyUI' },
    },
  },
  async execute({ width, red, filename_prefix }, ctx) {
    const target = ctx.storage.saveTarget('output', filename_prefix, 'png');
    await sharp({ create: { width, height: 4, channels: 4, background: { r: red, g: 0, b: 0, alpha: 0.5 } } }).png().toFile(target.fullPath);
    return { ui: { images: [{ filename: target.filename, subfolder: target.subfolder, type: target.type }] } };
  },
};

/** Counts `steps` progress ticks, `delay_ms` apart, optionally with a preview image per tick. */
export const TestSteps: NodeDefinition = {
  type: 'TestSteps',
  category: 'testing',
  outputNode: true,
  inputs: {
    required: {
      steps: { type: 'INT', default: 3, min: 1, max: 100_000 },
      delay_ms: { type: 'INT', default: 0, min: 0, max: 60_000 },
      preview: { type: 'BOOLEAN', default: false },
      tag: { type: 'STRING', default: '' },
    },
  },
  async execute({ steps, delay_ms, preview }, ctx) {
    const image = preview ? await sharp({ create: { width: 2, height: 2, channels: 3, background: '#00f' } }).png().toBuffer() : undefined;
    for (let i = 1; i <= steps; i++) {
      if (delay_ms > 0) await sleep(delay_ms);
      ctx.progress(i, steps, image ? { format: 'PNG', bytes: image } : undefined);
    }
    return { ui: { text: [`${steps} steps`] } };
  },
};

export const TestFail: NodeDefinition = {
  type: 'TestFail',
  category: 'testing',
  outputNode: true,
  inputs: { required: { message: { type: 'STRING', default: 'boom' } } },
  execute({ message }) {
    throw new Error(message);
  },
};

export const TEST_NODES = [TestSavePng, TestSteps, TestFail];

export interface TestServer extends RunningServer {
  base: string;
  get(path: string, init?: RequestInit): Promise<Response>;
  post(path: string, body: unknown, init?: RequestInit): Promise<Response>;
}

export async function startTestServer(options: ServerOptions = {}, base = tempDir('flashgraph-api-')): Promise<TestServer> {
  const server = await startServer({ port: 0, folders: { base }, nodes: TEST_NODES, log: () => {}, onError: () => {}, ...options });
  return Object.assign(server, {
    base,
    get: (path: string, init?: RequestInit) => fetch(server.url + path, init),
    post: (path: string, body: unknown, init?: RequestInit) =>
      fetch(server.url + path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), ...init }),
  });
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
}

/** Starts `graph serve` (args after the script, e.g. `['serve', '--port', '0']`) and waits for its URL. */
export async function launchServe(args: string[]): Promise<ServeProcess> {
  const script = join(REPO_ROOT, 'bin/graph.js');
  const child = spawn(process.execPath, args[0] === script ? args : [script, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (!(url = /on (http:\/\/\S+)/.exec(out)?.[1])) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`graph serve did not start:\n${out}\n${err}`);
    }
    await sleep(20);
  }
  return { child, url, exited, stdout: () => out, stderr: () => err };
}

/** A raw request, so Host, Origin and Sec-Fetch-* go out exactly as given. */
export function rawRequest(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(url + path, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A multipart body built by hand, so file names reach the server exactly as written. */
export function multipart(fields: Record<string, string>, file?: { name: string; bytes: Buffer; field?: string }): RequestInit {
  const boundary = `----flashgraph${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'image'}"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    parts.push(file.bytes, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { method: 'POST', body: Buffer.concat(parts), headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } };
}

export interface WsMessage {
  type: string;
  data: Record<string, any>;
}

/** A /ws client that keeps every frame it received. */
export class WsClient {
  readonly messages: WsMessage[] = [];
  readonly binary: Buffer[] = [];
  readonly #waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) this.binary.push(data as Buffer);
      else this.messages.push(JSON.parse(String(data)));
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async open(url: string, options: { path?: string; headers?: Record<string, string>; firstFrame?: unknown } = {}): Promise<WsClient> {
    const socket = new WebSocket(url.replace(/^http/, 'ws') + (options.path ?? '/ws'), { headers: options.headers });
    const client = new WsClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    if (options.firstFrame !== undefined) socket.send(JSON.stringify(options.firstFrame));
    await client.waitFor((m) => m.type === 'status');
    return client;
  }

  /** Resolves with the first message (already received or coming) that matches. */
  async waitFor(match: (m: WsMessage) => boolean, timeoutMs = 10_000): Promise<WsMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out; received: ${this.messages.map((m) => m.type).join(', ')}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** ComfyUI's end-of-prompt signal: `executing` with node null for this prompt. */
  finished(promptId: string, timeoutMs?: number): Promise<WsMessage> {
    return this.waitFor((m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === promptId, timeoutMs);
  }

  forPrompt(promptId: string): WsMessage[] {
    return this.messages.filter((m) => m.data?.prompt_id === promptId);
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

/** SaveText-free prompt writing one PNG. */
export function pngPrompt(prefix = 'api/test', red = 255) {
  return { '1': { class_type: 'TestSavePng', inputs: { width: 8, red, filename_prefix: prefix } } };
}

export function stepsPrompt(steps: number, delayMs = 0, extra: Record<string, unknown> = {}) {
  return { '1': { class_type: 'TestSteps', inputs: { steps, delay_ms: delayMs, preview: false, tag: '', ...extra } } };
}
