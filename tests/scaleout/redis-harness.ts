// A throwaway redis-server on 127.0.0.1 for the queue tests, and `graph worker` child processes.
// Without a redis-server binary these tests are skipped with a notice, unless
// FLASHGRAPH_REQUIRE_REDIS=1 (CI) makes that a failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers/engine.ts';

export const QUEUE_PACK = resolve(import.meta.dirname, 'fixtures');
const GRAPH = resolve(import.meta.dirname, '../../bin/graph.js');

/** Short BullMQ timings so a killed worker's prompt moves on in about a second. */
export const FAST_QUEUE_ENV = {
  FLASHGRAPH_QUEUE_LOCK_MS: '1000',
  FLASHGRAPH_QUEUE_STALLED_INTERVAL_MS: '500',
  FLASHGRAPH_QUEUE_MAX_ATTEMPTS: '3',
  FLASHGRAPH_WORKER_HEARTBEAT_MS: '300',
};

export function redisAvailable(): boolean {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!found) {
    if (process.env.FLASHGRAPH_REQUIRE_REDIS === '1') throw new Error('FLASHGRAPH_REQUIRE_REDIS=1 but no redis-server binary is on PATH');
    console.warn('NOTICE: redis-server not found; skipping the Redis queue tests (apt-get install redis-server)');
  }
  return found;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
  /** Stops and starts it again on the same port and data (AOF): queued work must survive. */
  restart(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = tempDir('flashgraph-redis-');
  let child: ChildProcess;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForLine(child, /Ready to accept connections/, 10_000);
  };
  const stop = async () => {
    if (child.exitCode !== null) return;
    await new Promise<void>((done) => {
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  };
  await launch();
  return { url: `redis://127.0.0.1:${port}/0`, port, dir, stop, restart: async () => { await stop(); await launch(); } };
}

export interface WorkerProcess {
  child: ChildProcess;
  id: string;
  output: () => string;
  stop(): Promise<void>;
}

export async function startWorker(queueUrl: string, name: string, options: { customNodes?: string; env?: Record<string, string> } = {}): Promise<WorkerProcess> {
  const base = tempDir(`flashgraph-worker-${name}-`);
  const child = spawn(process.execPath, [GRAPH, 'worker', '--queue', queueUrl, '--name', name, '--base-directory', base, '--custom-nodes-directory', options.customNodes ?? QUEUE_PACK], {
    env: { ...process.env, ...FAST_QUEUE_ENV, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stderr!.on('data', (chunk) => (text += String(chunk)));
  await waitForLine(child, /FlashGraph worker/, 20_000);
  // Keep reading: a worker writing to a full pipe would block (stdout to a pipe is synchronous).
  child.stdout!.on('data', (chunk) => (text += String(chunk)));
  return {
    child,
    id: name,
    output: () => text,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
    },
  };
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolveLine, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output: ${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += String(chunk);
      if (pattern.test(seen)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolveLine();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}; output: ${seen}`));
    });
  });
}

export function workPrompt(tag: string, inputs: Record<string, unknown> = {}) {
  return { '1': { class_type: 'QueueWork', inputs: { tag, steps: 3, delay_ms: 0, spin_ms: 0, save: true, ...inputs } } };
}

export { join };
