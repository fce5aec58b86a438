// The prompt queue in Redis, for a server whose prompts run on `graph worker` processes.
//
// Pending prompts wait in a Redis sorted set (ComfyUI's order: number, then id) that this server
// owns, so pause, reorder, cancel and delete are plain set operations. A dispatcher releases the
// head prompt into a BullMQ queue only when a worker is free, and grants it to one worker, chosen
// for the models it already ran; BullMQ then owns the run: locks, stalled-worker detection and
// bounded attempts. Events come back over Redis pub/sub, results as BullMQ return values (kept in
// Redis until this server has written them to history, so a restart loses none).
import { randomBytes, randomUUID } from 'node:crypto';
import { Job, Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { ExecutionErrorData, ExtraData, HistoryEntry } from '../../types/api.ts';
import { History, type HistoryStore } from '../runtime/history.ts';
import { Listeners } from '../runtime/listeners.ts';
import type { CancelResult, PromptService, QueueSnapshot } from '../runtime/prompt-service.ts';
import { numbersForMove, queueItem, type QueuedPrompt } from '../runtime/queue.ts';
import type { NodeRegistry } from '../runtime/registry.ts';
import type { RunnerEvent, SubmitRequest, SubmitResult } from '../runtime/prompt-service.ts';
import { extraDataError, topLevelError, validatePrompt, type HostEnvironment } from '../runtime/validate.ts';
import { jobIdOf, modelKeysOf, QUEUE_NAME, redisKeys, type ControlMessage, type JobData, type JobResult, type RedisQueueConfig, type RelayedEvent, type WorkerState } from './redis-queue.ts';

const SECRET_KEYS = ['auth_token_comfy_org', 'api_key_comfy_org'];
/** How long a granted worker has to take its job before another one is asked. */
const GRANT_TIMEOUT_MS = 2_000;

export interface RedisServiceOptions {
  config: RedisQueueConfig;
  registry: NodeRegistry;
  env: HostEnvironment;
  historyStore?: HistoryStore;
  onError?: (error: unknown) => void;
}

export class RedisPromptService implements PromptService {
  readonly backend = 'redis';
  readonly history: History;
  readonly workerToken = process.env.FLASHGRAPH_WORKER_TOKEN || randomBytes(24).toString('hex');
  readonly #options: RedisServiceOptions;
  readonly #keys;
  readonly #listeners = new Listeners<RunnerEvent>((error) => this.#options.onError?.(error));
  readonly #finished = new Map<string, ((entry: HistoryEntry) => void)[]>();
  /** `executing: null` of remote runs, held back until the history entry is written. */
  readonly #endOfRun = new Map<string, RunnerEvent>();
  readonly #ingested = new Set<string>();
  readonly #suspect = new Map<string, number>();
  #redis!: Redis;
  #subscriber!: Redis;
  #queue!: Queue<JobData, JobResult>;
  #queueEvents!: QueueEvents;
  #stalledChecker!: Worker<JobData, JobResult>;
  #remaining = 0;
  #paused = false;
  #dispatching: Promise<void> | undefined;
  #redispatch = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: RedisServiceOptions) {
    this.#options = options;
    this.#keys = redisKeys(options.config.prefix);
    this.history = new History(options.historyStore, undefined, options.onError);
  }

  on(listener: (event: RunnerEvent) => void): () => void {
    return this.#listeners.add(listener);
  }

  #publish(event: RunnerEvent): void {
    this.#listeners.publish(event);
  }

  async start(): Promise<void> {
    const { config } = this.#options;
    await this.history.load();
    this.#redis = new Redis(config.connection);
    this.#subscriber = new Redis(config.connection);
    const bullOptions = { connection: config.connection, prefix: config.prefix };
    this.#queue = new Queue<JobData, JobResult>(QUEUE_NAME, bullOptions);
    this.#queueEvents = new QueueEvents(QUEUE_NAME, bullOptions);
    // Stalled runs are detected even while every worker is gone (they are granted again when one comes).
    this.#stalledChecker = new Worker<JobData, JobResult>(QUEUE_NAME, null, {
      ...bullOptions,
      autorun: false,
      lockDuration: config.lockMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: config.maxAttempts - 1,
    });
    for (const emitter of [this.#queue, this.#queueEvents, this.#stalledChecker]) {
      (emitter as { on(event: 'error', listener: (error: Error) => void): unknown }).on('error', (error: Error) => this.#options.onError?.(error));
    }
    await Promise.all([this.#queue.waitUntilReady(), this.#queueEvents.waitUntilReady(), this.#stalledChecker.waitUntilReady()]);
    await this.#stalledChecker.startStalledCheckTimer();
    this.#queueEvents.on('completed', ({ jobId }) => void this.#ingest(jobId).catch((e: unknown) => this.#options.onError?.(e)));
    this.#queueEvents.on('failed', ({ jobId }) => void this.#ingest(jobId).catch((e: unknown) => this.#options.onError?.(e)));
    this.#queueEvents.on('waiting', () => this.#wake());
    this.#queueEvents.on('stalled', () => this.#wake());

    this.#subscriber.on('message', (channel, message) => {
      if (channel === this.#keys.events) this.#relay(JSON.parse(message) as RelayedEvent);
      else this.#wake();
    });
    await this.#subscriber.subscribe(this.#keys.events, this.#keys.workersChanged);
    this.#paused = (await this.#redis.get(this.#keys.paused)) === '1';
    // Runs that ended while no server was listening.
    for (const job of [...(await this.#queue.getCompleted()), ...(await this.#queue.getFailed())]) await this.#ingest(job.id!);
    this.#timer = setInterval(() => this.#wake(), config.heartbeatMs);
    await this.#refresh();
    this.#wake();
  }

  /** Tells the workers where to send output files (called once the HTTP server listens). */
  async advertise(url: string): Promise<void> {
    await this.#redis.hset(this.#keys.server, { url, token: this.workerToken });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#dispatching;
    await this.#stalledChecker.close().catch(() => {});
    await this.#queueEvents.close().catch(() => {});
    await this.#queue.close().catch(() => {});
    await this.#subscriber.quit().catch(() => {});
    await this.#redis.quit().catch(() => {});
    await this.history.flush();
  }

  async submit(request: SubmitRequest): Promise<SubmitResult> {
    if (request.partialExecutionTargets !== undefined && request.partialExecutionTargets.length === 0) {
      return { ok: false, error: topLevelError('prompt_no_outputs', 'Prompt has no outputs'), nodeErrors: {} };
    }
    const refused = extraDataError(request.extraData);
    if (refused) return refused;
    const validation = await validatePrompt(request.prompt, this.#options.registry, this.#options.env, request.partialExecutionTargets);
    if (!validation.ok) return validation;
    const promptId = request.promptId !== undefined ? String(request.promptId) : randomUUID();
    const extraData: ExtraData = {};
    const secrets: ExtraData = {};
    for (const [key, value] of Object.entries(request.extraData ?? {})) (SECRET_KEYS.includes(key) ? secrets : extraData)[key] = value;
    if (request.clientId !== undefined) extraData.client_id = request.clientId;
    extraData.create_time ??= Date.now();
    let number: number;
    if (request.number !== undefined && Number.isFinite(Number(request.number))) number = Number(request.number);
    else {
      const counter = (await this.#redis.incr(this.#keys.counter)) - 1;
      number = request.front ? -counter : counter;
    }
    const data: JobData = { promptId, number, prompt: validation.prompt, outputs: validation.outputs, extraData, secrets, modelKeys: modelKeysOf(validation.prompt, (type) => this.#options.registry.get(type)?.loadsModels === true) };
    await this.#redis.multi().hset(this.#keys.prompts, promptId, JSON.stringify(data)).zadd(this.#keys.pending, number, promptId).exec();
    await this.#refresh();
    this.#wake();
    return { ok: true, promptId, number, nodeErrors: validation.nodeErrors };
  }

  async snapshot(): Promise<QueueSnapshot> {
    const pending = await this.#pendingPrompts();
    const jobs = await this.#queue.getJobs(['active', 'waiting'], 0, -1, true);
    const running = jobs.filter((job) => job?.data).map((job) => toQueued(job.data));
    this.#remaining = pending.length + running.length;
    return { running, pending, paused: this.#paused };
  }

  remaining(): number {
    return this.#remaining;
  }

  async deletePending(promptIds: readonly string[]): Promise<number> {
    if (promptIds.length === 0) return 0;
    const [[, removed]] = (await this.#redis.multi().zrem(this.#keys.pending, ...promptIds).hdel(this.#keys.prompts, ...promptIds).exec()) as [[unknown, number]];
    await this.#refresh();
    return removed;
  }

  async clearPending(): Promise<void> {
    await this.#redis.multi().del(this.#keys.pending).del(this.#keys.prompts).exec();
    await this.#refresh();
  }

  async interrupt(promptId?: string): Promise<boolean> {
    const jobs = await this.#queue.getJobs(['active'], 0, -1, true);
    const running = jobs.filter((job) => job?.data && (promptId === undefined || job.data.promptId === promptId));
    if (running.length === 0) return false;
    await this.#control({ kind: 'interrupt', promptId });
    return true;
  }

  async cancel(promptId: string): Promise<CancelResult> {
    if ((await this.deletePending([promptId])) > 0) return 'pending';
    return (await this.interrupt(promptId)) ? 'running' : undefined;
  }

  async free(flags: { unloadModels?: boolean; freeMemory?: boolean }): Promise<void> {
    await this.#control({ kind: 'free', unloadModels: Boolean(flags.unloadModels || flags.freeMemory), freeMemory: Boolean(flags.freeMemory) });
  }

  async pause(): Promise<void> {
    await this.#redis.set(this.#keys.paused, '1');
    this.#paused = true;
    await this.#refresh();
  }

  async resume(): Promise<void> {
    await this.#redis.del(this.#keys.paused);
    this.#paused = false;
    await this.#refresh();
    this.#wake();
  }

  async move(promptId: string, position: number): Promise<number | undefined> {
    const pending = await this.#pendingPrompts();
    if (!pending.some((p) => p.promptId === promptId)) return undefined;
    const renumbered = numbersForMove(pending.map((p) => ({ id: p.promptId, number: p.number })), promptId, position);
    const update = this.#redis.multi();
    for (const item of pending) {
      const number = renumbered.get(item.promptId);
      if (number === undefined) continue;
      // XX: a prompt dispatched meanwhile is not put back.
      update.zadd(this.#keys.pending, 'XX', number, item.promptId);
    }
    await update.exec();
    await this.#refresh();
    return renumbered.get(promptId);
  }

  waitFor(promptId: string): Promise<HistoryEntry> {
    return new Promise((resolve) => {
      const list = this.#finished.get(promptId) ?? [];
      list.push(resolve);
      this.#finished.set(promptId, list);
      const done = this.history.get(promptId);
      if (done) void this.snapshot().then(({ running, pending }) => {
        if (![...running, ...pending].some((p) => p.promptId === promptId)) this.#resolve(promptId, done);
      });
    });
  }

  /** Live workers, as their heartbeats say; entries of workers that died are removed. */
  async workers(): Promise<WorkerState[]> {
    const entries = await this.#redis.hgetall(this.#keys.workers);
    const now = Date.now();
    const live: WorkerState[] = [];
    for (const [id, json] of Object.entries(entries)) {
      const state = JSON.parse(json) as WorkerState;
      if (now - state.at > 3 * this.#options.config.heartbeatMs) await this.#redis.hdel(this.#keys.workers, id);
      else live.push(state);
    }
    return live;
  }

  async #pendingPrompts(): Promise<QueuedPrompt[]> {
    const ids = await this.#redis.zrange(this.#keys.pending, '0', '-1');
    if (ids.length === 0) return [];
    const scores = await this.#redis.zrange(this.#keys.pending, '0', '-1', 'WITHSCORES');
    const numbers = new Map<string, number>();
    for (let i = 0; i < scores.length; i += 2) numbers.set(scores[i]!, Number(scores[i + 1]));
    const json = await this.#redis.hmget(this.#keys.prompts, ...ids);
    return json.flatMap((text, i) => (text ? [toQueued({ ...(JSON.parse(text) as JobData), number: numbers.get(ids[i]!) ?? 0 })] : []));
  }

  async #control(message: ControlMessage): Promise<void> {
    await this.#redis.publish(this.#keys.control, JSON.stringify(message));
  }

  /** Recounts the queue and broadcasts `status`. */
  async #refresh(): Promise<void> {
    if (this.#stopped) return;
    const [pending, counts] = await Promise.all([this.#redis.zcard(this.#keys.pending), this.#queue.getJobCounts('active', 'waiting')]);
    this.#remaining = pending + (counts.active ?? 0) + (counts.waiting ?? 0);
    this.#publish({ kind: 'status', queueRemaining: this.#remaining });
  }

  #wake(): void {
    if (this.#stopped) return;
    if (this.#dispatching) {
      this.#redispatch = true;
      return;
    }
    this.#dispatching = (async () => {
      do {
        this.#redispatch = false;
        try {
          while (!this.#stopped && (await this.#dispatchOne()));
        } catch (error) {
          this.#options.onError?.(error);
        }
      } while (this.#redispatch && !this.#stopped);
    })().finally(() => (this.#dispatching = undefined));
  }

  /**
   * Gives one prompt to one free worker; false when there is nothing to do. A job already waiting
   * in BullMQ (its grant was missed, or its worker died and BullMQ put it back) goes first;
   * otherwise the head of the pending set is released.
   */
  async #dispatchOne(): Promise<boolean> {
    if (this.#paused) return false;
    const now = Date.now();
    const free = (await this.workers()).filter((w) => w.slots - w.busy > 0 && (this.#suspect.get(w.id) ?? 0) < now);
    if (free.length === 0) return false;
    let [job] = await this.#queue.getWaiting(0, 0);
    if (!job) {
      const [head] = await this.#redis.zrange(this.#keys.pending, '0', '0');
      if (head === undefined) return false;
      const json = await this.#redis.hget(this.#keys.prompts, head);
      if (!json) {
        await this.#redis.zrem(this.#keys.pending, head);
        return true;
      }
      const [, number] = await this.#redis.zrange(this.#keys.pending, '0', '0', 'WITHSCORES');
      const data: JobData = { ...(JSON.parse(json) as JobData), number: Number(number) };
      // Added before it leaves the pending set, with the prompt id as job id: a crash in between
      // leaves a duplicate that the next add ignores, never a lost prompt.
      job = await this.#queue.add('prompt', data, { jobId: jobIdOf(data.promptId), attempts: 1, removeOnComplete: false, removeOnFail: false });
      await this.#redis.multi().zrem(this.#keys.pending, head).hdel(this.#keys.prompts, head).exec();
    }
    const worker = pickWorker(free, job.data.modelKeys);
    await this.#redis.publish(this.#keys.grant(worker.id), job.id!);
    const deadline = Date.now() + GRANT_TIMEOUT_MS;
    for (;;) {
      const state = await this.#queue.getJobState(job.id!);
      if (state !== 'waiting' && state !== 'prioritized') break;
      if (Date.now() > deadline) {
        this.#suspect.set(worker.id, Date.now() + 3 * this.#options.config.heartbeatMs);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await this.#refresh();
    return true;
  }

  /** Relays a worker's event as if the run were local. */
  #relay(message: RelayedEvent): void {
    if (message.kind === 'preview') {
      this.#publish({ kind: 'preview', nodeId: message.nodeId, promptId: message.promptId, preview: { format: message.format, bytes: Buffer.from(message.bytes, 'base64') }, clientId: message.clientId });
      return;
    }
    const event: RunnerEvent = { kind: 'execution', event: message.event, clientId: message.clientId };
    if (message.event.type === 'executing' && message.event.data.node === null) {
      const promptId = message.event.data.prompt_id;
      // A client reads /history when it hears this: hold it until the entry is there.
      if (this.#ingested.delete(promptId)) this.#publish(event);
      else this.#endOfRun.set(promptId, event);
      return;
    }
    this.#publish(event);
  }

  /** Writes a finished (or failed) BullMQ job to history and drops it from Redis. */
  async #ingest(jobId: string): Promise<void> {
    const job = await Job.fromId<JobData, JobResult>(this.#queue, jobId);
    if (!job?.data) return;
    const promptId = job.data.promptId;
    const state = await job.getState();
    let entry: HistoryEntry;
    if (state === 'completed' && job.returnvalue?.entry) {
      entry = job.returnvalue.entry;
    } else if (state === 'failed') {
      entry = this.#failureEntry(job);
    } else return;
    const attempts = (job.stalledCounter ?? 0) + 1;
    entry = { ...entry, status: { ...entry.status, messages: [...entry.status.messages] } };
    if (attempts > 1 || state === 'failed') {
      // Recorded for whoever wonders why a prompt took twice as long: its worker died mid-run.
      entry.status.messages.push(['flashgraph_attempts', { prompt_id: promptId, attempts, worker: job.returnvalue?.worker ?? null, timestamp: Date.now() }]);
    }
    this.history.add(promptId, entry);
    await job.remove().catch(() => {});
    const held = this.#endOfRun.get(promptId);
    if (held) {
      this.#endOfRun.delete(promptId);
      this.#publish(held);
    } else if (state === 'failed') {
      const clientId = job.data.extraData.client_id as string | undefined;
      const failure = entry.status.messages.find(([name]) => name === 'execution_error')?.[1] as ExecutionErrorData | undefined;
      if (failure) this.#publish({ kind: 'execution', event: { type: 'execution_error', data: failure }, clientId });
      this.#publish({ kind: 'execution', event: { type: 'executing', data: { node: null, prompt_id: promptId } }, clientId });
    } else {
      this.#ingested.add(promptId);
      setTimeout(() => this.#ingested.delete(promptId), 60_000).unref();
    }
    await this.#refresh();
    this.#resolve(promptId, entry);
    this.#wake();
  }

  #resolve(promptId: string, entry: HistoryEntry): void {
    for (const resolve of this.#finished.get(promptId) ?? []) resolve(entry);
    this.#finished.delete(promptId);
  }

  #failureEntry(job: Job<JobData, JobResult>): HistoryEntry {
    const failure: ExecutionErrorData = {
      prompt_id: job.data.promptId,
      node_id: '',
      node_type: '',
      executed: [],
      exception_message: job.failedReason || 'the run failed on its worker',
      exception_type: 'WorkerFailure',
      traceback: job.stacktrace ?? [],
      current_inputs: {},
      current_outputs: [],
      timestamp: Date.now(),
    };
    return { prompt: queueItem(toQueued(job.data)), outputs: {}, status: { status_str: 'error', completed: false, messages: [['execution_error', { ...failure }]] }, meta: {} };
  }
}

function toQueued(data: JobData): QueuedPrompt {
  return { number: data.number, promptId: data.promptId, prompt: data.prompt, extraData: data.extraData, outputs: data.outputs, secrets: data.secrets };
}

/**
 * Model affinity: the free worker that ran the most of this prompt's models recently (its caches
 * and loaders still hold them); ties go to the least busy, then the longest-known worker.
 */
export function pickWorker(free: readonly WorkerState[], modelKeys: readonly string[]): WorkerState {
  let best = free[0]!;
  let bestScore = -1;
  for (const worker of free) {
    // FLASHGRAPH_QUEUE_AFFINITY=0 gives a random free worker instead: what a plain shared queue does
    // (whoever polls first), for the bench's comparison.
    if (process.env.FLASHGRAPH_QUEUE_AFFINITY === '0') return free[Math.floor(Math.random() * free.length)]!;
    const warm = modelKeys.filter((key) => worker.models.includes(key)).length;
    const score = warm * 1000 + (worker.slots - worker.busy);
    if (score > bestScore) {
      best = worker;
      bestScore = score;
    }
  }
  return best;
}
