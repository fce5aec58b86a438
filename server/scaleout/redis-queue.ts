// What the server and the workers agree on when the queue lives in Redis: connection, key names,
// BullMQ timings, and the messages they exchange.
import type { ConnectionOptions } from 'bullmq';
import type { ExecutionEvent, ExtraData, HistoryEntry } from '../../types/api.ts';
import type { ApiPrompt } from '../../types/api.ts';

export interface RedisQueueConfig {
  connection: ConnectionOptions & { host: string; port: number; db: number };
  /** Namespace of every key and channel (BullMQ's `prefix` too). */
  prefix: string;
  /** A worker that stops renewing its lock for this long has its prompt taken back (BullMQ lockDuration). */
  lockMs: number;
  /** How often stalled prompts are looked for (BullMQ stalledInterval). */
  stalledIntervalMs: number;
  /** Runs after which a prompt whose worker keeps dying fails (1 + BullMQ maxStalledCount). */
  maxAttempts: number;
  /** Workers refresh their entry this often; three missed beats and the server considers them gone. */
  heartbeatMs: number;
}

export class QueueUrlError extends Error {}

/** `redis://[:password@]host[:port][/db][?prefix=name]` (also `rediss://` for TLS). */
export function parseQueueUrl(url: string, env: NodeJS.ProcessEnv = process.env): RedisQueueConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueUrlError(`--queue expects redis://host:port/db, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new QueueUrlError(`--queue expects a redis:// URL, got ${JSON.stringify(url)}`);
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new QueueUrlError(`bad Redis database number ${JSON.stringify(dbText)} in ${url}`);
  const millis = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    connection: {
      host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
      port: parsed.port ? Number(parsed.port) : 6379,
      db,
      username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
      password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
      tls: parsed.protocol === 'rediss:' ? {} : undefined,
      // BullMQ requires this for the connections it blocks on; commands wait for Redis to come back.
      maxRetriesPerRequest: null,
    },
    prefix: parsed.searchParams.get('prefix') || 'flashgraph',
    lockMs: millis('FLASHGRAPH_QUEUE_LOCK_MS', 30_000),
    stalledIntervalMs: millis('FLASHGRAPH_QUEUE_STALLED_INTERVAL_MS', 15_000),
    maxAttempts: Math.max(1, Math.floor(millis('FLASHGRAPH_QUEUE_MAX_ATTEMPTS', 3))),
    heartbeatMs: millis('FLASHGRAPH_WORKER_HEARTBEAT_MS', 1_000),
  };
}

export const QUEUE_NAME = 'prompts';

export function redisKeys(prefix: string) {
  return {
    /** ZSET: pending prompt ids scored by number; Redis orders ties by id, as ComfyUI does. */
    pending: `${prefix}:pending`,
    /** HASH: prompt id → JobData of pending prompts. */
    prompts: `${prefix}:prompts`,
    counter: `${prefix}:counter`,
    paused: `${prefix}:paused`,
    /** HASH: worker id → WorkerState. */
    workers: `${prefix}:workers`,
    /** HASH: url and token the workers send output files to. */
    server: `${prefix}:server`,
    /** Channel: worker → server, every event of every run in order. */
    events: `${prefix}:events`,
    /** Channel: server → workers (interrupt, free). */
    control: `${prefix}:control`,
    /** Channel: worker → server, a worker's state changed. */
    workersChanged: `${prefix}:workers-changed`,
    /** Channel: server → one worker, "take the next job". */
    grant: (workerId: string) => `${prefix}:grant:${workerId}`,
  };
}

/** BullMQ refuses integer-like and colon-carrying custom ids; prompt ids may be either. */
export function jobIdOf(promptId: string): string {
  return `prompt-${encodeURIComponent(promptId)}`;
}

export interface JobData {
  promptId: string;
  number: number;
  prompt: ApiPrompt;
  outputs: string[];
  extraData: ExtraData;
  /** Secret extra_data keys: they have to reach the worker's nodes. */
  secrets: ExtraData;
  /** Models the prompt names; the dispatcher prefers a free worker that ran them last. */
  modelKeys: string[];
}

export interface JobResult {
  entry: HistoryEntry;
  worker: string;
}

export interface WorkerState {
  id: string;
  slots: number;
  busy: number;
  /** Models of the prompts this worker ran most recently (kept warm by its cache and loaders). */
  models: string[];
  device?: string;
  pid: number;
  hostname: string;
  at: number;
}

export type RelayedEvent =
  | { kind: 'execution'; event: ExecutionEvent; clientId: string | undefined; worker: string }
  | { kind: 'preview'; nodeId: string; promptId: string; format: 'PNG' | 'JPEG'; bytes: string; clientId: string | undefined; worker: string };

export type ControlMessage = { kind: 'interrupt'; promptId?: string } | { kind: 'free'; unloadModels: boolean; freeMemory: boolean };

/**
 * What models a prompt loads, as keys to match workers by. A node class declared `loadsModels`
 * contributes its class and literal inputs; other nodes their string inputs that ComfyUI's loaders
 * name `*_name` (ckpt_name, lora_name, ...), `model` or `model_path`, a heuristic every ComfyUI loader follows.
 */
export function modelKeysOf(prompt: ApiPrompt, loadsModels: (classType: string) => boolean = () => false): string[] {
  const keys = new Set<string>();
  for (const node of Object.values(prompt)) {
    const literals = Object.entries(node.inputs ?? {}).filter(([, value]) => !Array.isArray(value)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (loadsModels(node.class_type)) {
      keys.add(`${node.class_type}${JSON.stringify(Object.fromEntries(literals))}`);
      continue;
    }
    for (const [name, value] of literals) {
      if (typeof value === 'string' && value !== '' && (name.endsWith('_name') || name === 'model' || name === 'model_path')) keys.add(`${name}=${value}`);
    }
  }
  return [...keys].sort();
}
