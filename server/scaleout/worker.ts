// `graph worker`: takes prompts from the Redis queue and runs them with the same executor as the
// server. Its PromptRunners (one per slot) live as long as the process, so node caches and loaded
// models stay warm between prompts.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { posix } from 'node:path';
import { access, rm } from 'node:fs/promises';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { ExecutionErrorData, HistoryEntry, UiOutput } from '../../types/api.ts';
import { createServices } from '../host.ts';
import type { CachePolicy } from '../runtime/cache.ts';
import type { NodeRegistry } from '../runtime/registry.ts';
import { queueItem } from '../runtime/queue.ts';
import { PromptRunner } from '../runtime/runner.ts';
import type { RunnerEvent } from '../runtime/prompt-service.ts';
import type { FolderStorage } from '../storage/folders.ts';
import { uploadFile, type StoredFile } from './file-transfer.ts';
import { QUEUE_NAME, redisKeys, type ControlMessage, type JobData, type JobResult, type RedisQueueConfig, type RelayedEvent, type WorkerState } from './redis-queue.ts';

const WARM_MODELS = 8;
/** Uploaded output files remembered, for cached nodes that report them again. */
const UPLOADS_REMEMBERED = 4096;
const SERVER_WAIT_MS = 60_000;

export interface GraphWorkerOptions {
  config: RedisQueueConfig;
  registry: NodeRegistry;
  storage: FolderStorage;
  id?: string;
  concurrency?: number;
  device?: string;
  cache?: CachePolicy;
  /** The server's own worker writes straight into the server's folders: nothing to upload. */
  sharesServerStorage?: boolean;
  log?: (message: string) => void;
}

interface Slot {
  runner: PromptRunner;
  job: Job<JobData> | undefined;
}

export class GraphWorker {
  readonly id: string;
  readonly #options: GraphWorkerOptions;
  readonly #keys;
  readonly #slots: Slot[] = [];
  readonly #runs = new Set<Promise<void>>();
  #models: string[] = [];
  /** Output files this worker moved to the server: local file key -> the server's name for it. */
  readonly #uploaded = new Map<string, StoredFile>();
  #redis: Redis | undefined;
  #subscriber: Redis | undefined;
  #bull: Worker<JobData, JobResult> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closing = false;
  #reserved = 0;

  constructor(options: GraphWorkerOptions) {
    this.#options = options;
    this.id = options.id ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.#keys = redisKeys(options.config.prefix);
  }

  get busy(): number {
    return this.#slots.filter((s) => s.job).length + this.#reserved;
  }

  async start(): Promise<void> {
    const { config } = this.#options;
    this.#redis = new Redis(config.connection);
    this.#subscriber = new Redis(config.connection);
    const concurrency = Math.max(1, this.#options.concurrency ?? 1);
    for (let i = 0; i < concurrency; i++) {
      const runner = new PromptRunner({
        registry: this.#options.registry,
        env: { storage: this.#options.storage, services: { ...createServices(), ...(this.#options.device ? { device: this.#options.device } : {}) } },
        cache: this.#options.cache,
        progressState: true,
      });
      await runner.start();
      this.#slots.push({ runner, job: undefined });
    }
    // Jobs are fetched by hand, one per grant from the server's dispatcher: that is what lets the
    // server choose the worker (model affinity). Locks, stalled-job detection and attempts are BullMQ's.
    this.#bull = new Worker<JobData, JobResult>(QUEUE_NAME, null, {
      connection: config.connection,
      prefix: config.prefix,
      autorun: false,
      concurrency,
      lockDuration: config.lockMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: config.maxAttempts - 1,
    });
    this.#bull.on('error', (error) => this.#log(`queue error: ${error.message}`));
    await this.#bull.waitUntilReady();
    await this.#bull.startStalledCheckTimer();
    this.#subscriber.on('message', (channel, message) => {
      if (channel === this.#keys.control) this.#onControl(JSON.parse(message) as ControlMessage);
      else void this.#onGrant();
    });
    await this.#subscriber.subscribe(this.#keys.grant(this.id), this.#keys.control);
    await this.#writeState();
    this.#heartbeat = setInterval(() => void this.#writeState().catch(() => {}), config.heartbeatMs);
  }

  /**
   * Stops taking prompts. By default the running ones finish first (a rolling restart loses
   * nothing); `interrupt` ends them now (their history says so).
   */
  async close(options: { interrupt?: boolean } = {}): Promise<void> {
    this.#closing = true;
    if (options.interrupt) for (const slot of this.#slots) slot.runner.interruptRunning();
    await Promise.all([...this.#runs]);
    clearInterval(this.#heartbeat);
    await this.#subscriber?.quit().catch(() => {});
    await this.#bull?.close().catch(() => {});
    for (const slot of this.#slots) await slot.runner.stop();
    if (this.#redis) {
      await this.#redis.hdel(this.#keys.workers, this.id).catch(() => {});
      await this.#redis.publish(this.#keys.workersChanged, this.id).catch(() => {});
      await this.#redis.quit().catch(() => {});
    }
  }

  #log(message: string): void {
    this.#options.log?.(`worker ${this.id}: ${message}`);
  }

  async #writeState(): Promise<void> {
    if (!this.#redis) return;
    const state: WorkerState = {
      id: this.id,
      slots: this.#closing ? 0 : this.#slots.length,
      busy: this.busy,
      models: this.#models,
      device: this.#options.device,
      pid: process.pid,
      hostname: hostname(),
      at: Date.now(),
    };
    await this.#redis.hset(this.#keys.workers, this.id, JSON.stringify(state));
  }

  async #stateChanged(): Promise<void> {
    await this.#writeState();
    await this.#redis?.publish(this.#keys.workersChanged, this.id);
  }

  #onControl(message: ControlMessage): void {
    for (const slot of this.#slots) {
      if (message.kind === 'interrupt') slot.runner.interruptRunning(message.promptId);
      else slot.runner.freeAfterPrompt({ unloadModels: message.unloadModels, freeMemory: message.freeMemory });
    }
    if (message.kind === 'free' && (message.unloadModels || message.freeMemory)) this.#models = [];
  }

  async #onGrant(): Promise<void> {
    const slot = this.#slots.find((s) => !s.job);
    if (this.#closing || !slot || this.busy >= this.#slots.length) return;
    this.#reserved++;
    const token = `${this.id}:${randomUUID()}`;
    let job: Job<JobData, JobResult> | undefined;
    try {
      await this.#writeState();
      job = await this.#bull!.getNextJob(token, { block: false });
    } catch (error) {
      this.#log(`fetching a job failed: ${(error as Error).message}`);
    } finally {
      this.#reserved--;
    }
    if (!job) {
      await this.#stateChanged().catch(() => {});
      return;
    }
    slot.job = job;
    const run = this.#run(slot, job, token).finally(() => this.#runs.delete(run));
    this.#runs.add(run);
  }

  async #run(slot: Slot, job: Job<JobData, JobResult>, token: string): Promise<void> {
    const { lockMs } = this.#options.config;
    const renew = setInterval(() => void job.extendLock(token, lockMs).catch(() => {}), Math.max(50, lockMs / 3));
    try {
      const entry = await this.#execute(slot.runner, job.data);
      await job.moveToCompleted({ entry, worker: this.id }, token, false);
    } catch (error) {
      // A lost lock means the prompt was given to another worker after this one stalled: that run
      // counts, this one does not.
      this.#log(`prompt ${job.data.promptId}: ${(error as Error).message}`);
      await job.moveToFailed(error as Error, token, false).catch(() => {});
    } finally {
      clearInterval(renew);
      slot.job = undefined;
      this.#models = [...new Set([...job.data.modelKeys, ...this.#models])].slice(0, WARM_MODELS);
      await this.#stateChanged().catch(() => {});
    }
  }

  async #execute(runner: PromptRunner, data: JobData): Promise<HistoryEntry> {
    const clientId = data.extraData.client_id as string | undefined;
    const stored = new Map<string, StoredFile>();
    let relay = Promise.resolve();
    let relayError: unknown;
    const unsubscribe = runner.on((event) => {
      if (event.kind === 'status') return;
      relay = relay.then(() => this.#relay(event, stored)).catch((error: unknown) => void (relayError ??= error));
    });
    try {
      const submitted = await runner.submit({
        prompt: data.prompt,
        promptId: data.promptId,
        extraData: { ...data.extraData, ...data.secrets },
        number: data.number,
        partialExecutionTargets: data.outputs,
      });
      let entry: HistoryEntry;
      if (submitted.ok) {
        entry = await runner.waitFor(data.promptId);
        runner.history.delete([data.promptId]);
      } else {
        // This worker lacks a node pack or a model the server had: fail the prompt with the
        // reason instead of handing it back (another worker of the same set-up would fail too).
        const error = submitted.error;
        const details = Object.entries(submitted.nodeErrors).map(([id, e]) => `${id}: ${e.errors.map((x) => `${x.message} (${x.details})`).join('; ')}`);
        const failure: ExecutionErrorData = {
          prompt_id: data.promptId,
          node_id: '',
          node_type: '',
          executed: [],
          exception_message: `worker ${this.id} cannot run this prompt: ${error.message}${error.details ? ` (${error.details})` : ''}${details.length ? `; ${details.join('; ')}` : ''}`,
          exception_type: 'WorkerSetupError',
          traceback: [],
          current_inputs: {},
          current_outputs: [],
          timestamp: Date.now(),
        };
        relay = relay.then(() => this.#publish({ kind: 'execution', event: { type: 'execution_error', data: failure }, clientId, worker: this.id }));
        relay = relay.then(() => this.#publish({ kind: 'execution', event: { type: 'executing', data: { node: null, prompt_id: data.promptId } }, clientId, worker: this.id }));
        entry = {
          prompt: queueItem({ ...data, extraData: data.extraData }),
          outputs: {},
          status: { status_str: 'error', completed: false, messages: [['execution_error', { ...failure }]] },
          meta: {},
        };
      }
      await relay;
      if (relayError) throw relayError;
      return { ...entry, outputs: renameOutputs(entry.outputs, stored) };
    } finally {
      unsubscribe();
    }
  }

  async #relay(event: RunnerEvent, stored: Map<string, StoredFile>): Promise<void> {
    if (event.kind === 'preview') {
      await this.#publish({ kind: 'preview', nodeId: event.nodeId, promptId: event.promptId, format: event.preview.format, bytes: Buffer.from(event.preview.bytes).toString('base64'), clientId: event.clientId, worker: this.id });
      return;
    }
    if (event.kind !== 'execution') return;
    let execution = event.event;
    if (execution.type === 'executed' && execution.data.output) {
      // Files go to the server before the client hears of them, so /view finds them at once.
      await this.#transfer(execution.data.output, stored);
      execution = { ...execution, data: { ...execution.data, output: renameUi(execution.data.output, stored) } };
    }
    await this.#publish({ kind: 'execution', event: execution, clientId: event.clientId, worker: this.id });
  }

  async #publish(message: RelayedEvent): Promise<void> {
    await this.#redis!.publish(this.#keys.events, JSON.stringify(message));
  }

  async #transfer(ui: UiOutput, stored: Map<string, StoredFile>): Promise<void> {
    for (const file of filesOf(ui)) {
      const key = fileKey(file);
      if (stored.has(key)) continue;
      if (this.#options.sharesServerStorage) {
        stored.set(key, file);
        continue;
      }
      const fullPath = this.#options.storage.resolve(file.type, file.subfolder === '' ? file.filename : posix.join(file.subfolder, file.filename));
      // A cached node reports the file of an earlier run again: that one is on the server already.
      // (A file that is here is new, even under a name used before: save counters restart once
      // the worker's copies are gone.)
      const earlier = this.#uploaded.get(key);
      if (earlier && !(await fileExists(fullPath))) {
        stored.set(key, earlier);
        continue;
      }
      const uploaded = await this.#uploadWithRetry(file, fullPath);
      stored.set(key, uploaded);
      this.#remember(key, uploaded);
      // The server holds the file now; the worker's copy would only fill its disk.
      await rm(fullPath, { force: true });
    }
  }

  #remember(key: string, file: StoredFile): void {
    this.#uploaded.delete(key);
    this.#uploaded.set(key, file);
    if (this.#uploaded.size > UPLOADS_REMEMBERED) this.#uploaded.delete(this.#uploaded.keys().next().value!);
  }

  /** The server may be restarting: wait for it (its address and token are in Redis) rather than lose the output. */
  async #uploadWithRetry(file: StoredFile, fullPath: string): Promise<StoredFile> {
    if (!(await fileExists(fullPath))) throw new Error(`output file ${fullPath} is missing on worker ${this.id}`);
    const deadline = Date.now() + SERVER_WAIT_MS;
    for (;;) {
      const server = await this.#redis!.hgetall(this.#keys.server);
      try {
        if (!server.url || !server.token) throw new Error('no server has registered in Redis yet');
        return await uploadFile(server.url, server.token, file, fullPath);
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}

function fileKey(file: StoredFile): string {
  return `${file.type}\u0000${file.subfolder}\u0000${file.filename}`;
}

function filesOf(ui: UiOutput): StoredFile[] {
  const files: StoredFile[] = [];
  for (const items of Object.values(ui)) {
    if (!Array.isArray(items)) continue;
    for (const item of items) {
      const record = item as Record<string, unknown> | null;
      if (record && typeof record.filename === 'string' && (record.type === 'output' || record.type === 'temp')) {
        files.push({ filename: record.filename, subfolder: typeof record.subfolder === 'string' ? record.subfolder : '', type: record.type });
      }
    }
  }
  return files;
}

function renameUi(ui: UiOutput, stored: Map<string, StoredFile>): UiOutput {
  const renamed: UiOutput = {};
  for (const [key, items] of Object.entries(ui)) {
    renamed[key] = Array.isArray(items)
      ? items.map((item) => {
          const [file] = item && typeof item === 'object' ? filesOf({ x: [item] }) : [];
          const target = file && stored.get(fileKey(file));
          return target ? { ...(item as object), filename: target.filename, subfolder: target.subfolder } : item;
        })
      : items;
  }
  return renamed;
}

function renameOutputs(outputs: HistoryEntry['outputs'], stored: Map<string, StoredFile>): HistoryEntry['outputs'] {
  return Object.fromEntries(Object.entries(outputs).map(([node, ui]) => [node, renameUi(ui, stored)]));
}

function fileExists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}
