// The engine as a service: validate and queue prompts, run them one at a time, keep history,
// and publish every event with the client it belongs to. The server and the CLI both drive this.
import { randomUUID } from 'node:crypto';
import type { ExtraData, HistoryEntry } from '../../types/api.ts';
import type { CachePolicy } from './cache.ts';
import { Executor } from './executor.ts';
import { History, type HistoryStore } from './history.ts';
import { Listeners } from './listeners.ts';
import { QueuePersistence, type QueueStore } from './queue-persistence.ts';
import type { CancelResult, PromptService, QueueSnapshot, RunnerEvent, SubmitRequest, SubmitResult } from './prompt-service.ts';
import { PromptQueue, queueItem, type QueuedPrompt } from './queue.ts';
import type { NodeRegistry } from './registry.ts';
import { extraDataError, topLevelError, validatePrompt, type HostEnvironment } from './validate.ts';

/** How long after its submit a prompt that found the queue idle starts, on the server (see #runOne). */
export const START_GRACE_MS = 25;

export interface RunnerOptions {
  registry: NodeRegistry;
  env: HostEnvironment;
  cache?: CachePolicy;
  historyStore?: HistoryStore;
  /** Keeps pending prompts across restarts (the server); absent for one-shot runs. */
  queueStore?: QueueStore;
  /** Build `progress_state` snapshots (ComfyUI's frontend reads them; the CLI does not). */
  progressState?: boolean;
  /**
   * Milliseconds a prompt that found the queue idle waits after its submit before it starts: the
   * server gives START_GRACE_MS so that clients hear of their prompt's run (see #runOne); the CLI
   * and workers, whose submitter is not a network client, none. Default 0.
   */
  startGraceMs?: number;
  onError?: (error: unknown) => void;
}

export class PromptRunner implements PromptService {
  readonly backend = 'local';
  readonly queue = new PromptQueue();
  readonly history: History;
  readonly executor: Executor;
  readonly #listeners = new Listeners<RunnerEvent>((error) => this.options.onError?.(error));
  readonly #finished = new Map<string, ((entry: HistoryEntry) => void)[]>();
  /** The running prompt's interrupt, made when first needed: it may come before the prompt starts. */
  #abort: { promptId: string; controller: AbortController } | undefined;
  #pendingFree: { unloadModels: boolean; freeMemory: boolean } | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  readonly #persistence: QueuePersistence | undefined;

  constructor(readonly options: RunnerOptions) {
    this.executor = new Executor({ registry: options.registry, env: options.env, cache: options.cache });
    this.history = new History(options.historyStore, undefined, options.onError);
    if (options.queueStore) this.#persistence = new QueuePersistence(options.queueStore, this.queue, options.onError);
    this.queue.onChange(() => this.#publish({ kind: 'status', queueRemaining: this.queue.remaining() }));
  }

  on(listener: (event: RunnerEvent) => void): () => void {
    return this.#listeners.add(listener);
  }

  #publish(event: RunnerEvent): void {
    this.#listeners.publish(event);
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.history.load();
    await this.#restoreQueue();
    this.#persistence?.attach();
    this.#loop = this.#work();
  }

  /**
   * Re-queues what was pending (or running) when the process stopped. Each prompt is validated
   * again: the node classes it uses may have changed since; one that no longer validates is
   * dropped with a report rather than failing at run time.
   */
  async #restoreQueue(): Promise<void> {
    if (!this.#persistence) return;
    let items;
    try {
      items = await this.#persistence.store.load();
    } catch (error) {
      this.options.onError?.(error);
      return;
    }
    for (const [number, promptId, prompt, extraData, outputs] of items) {
      if (this.queue.has(promptId)) continue;
      const validation = await validatePrompt(prompt, this.options.registry, this.options.env, outputs);
      if (!validation.ok) {
        this.options.onError?.(new Error(`queued prompt ${promptId} no longer validates and was dropped: ${validation.error.message}`));
        continue;
      }
      this.queue.restore({ promptId, number, prompt: validation.prompt, outputs: validation.outputs, extraData });
    }
  }

  /** Stops taking new prompts once the current one ends. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#abort?.controller.abort();
    this.queue.close();
    await this.#loop;
    await this.history.flush();
    await this.#persistence?.flush();
    this.#persistence?.detach();
  }

  async submit(request: SubmitRequest): Promise<SubmitResult> {
    if (request.partialExecutionTargets !== undefined && request.partialExecutionTargets.length === 0) {
      return { ok: false, error: topLevelError('prompt_no_outputs', 'Prompt has no outputs'), nodeErrors: {} };
    }
    const refused = extraDataError(request.extraData);
    if (refused) return refused;
    const validation = await validatePrompt(request.prompt, this.options.registry, this.options.env, request.partialExecutionTargets);
    if (!validation.ok) return validation;
    const promptId = request.promptId !== undefined ? String(request.promptId) : randomUUID();
    const extraData: ExtraData = { ...(request.extraData ?? {}) };
    if (request.clientId !== undefined) extraData.client_id = request.clientId;
    extraData.create_time ??= Date.now();
    const item = this.queue.enqueue({
      promptId,
      prompt: validation.prompt,
      outputs: validation.outputs,
      extraData,
      number: request.number,
      front: request.front,
    });
    return { ok: true, promptId, number: item.number, nodeErrors: validation.nodeErrors };
  }

  async snapshot(): Promise<QueueSnapshot> {
    const running = this.queue.running;
    return { running: running ? [running] : [], pending: this.queue.pending(), paused: this.queue.paused };
  }

  remaining(): number {
    return this.queue.remaining();
  }

  async deletePending(promptIds: readonly string[]): Promise<number> {
    return this.queue.delete(promptIds);
  }

  async clearPending(): Promise<void> {
    this.queue.clear();
  }

  async cancel(promptId: string): Promise<CancelResult> {
    if (this.queue.delete([promptId]) > 0) return 'pending';
    return this.interruptRunning(promptId) ? 'running' : undefined;
  }

  async pause(): Promise<void> {
    this.queue.pause();
  }

  async resume(): Promise<void> {
    this.queue.resume();
  }

  async move(promptId: string, position: number): Promise<number | undefined> {
    return this.queue.move(promptId, position)?.number;
  }

  async interrupt(promptId?: string): Promise<boolean> {
    return this.interruptRunning(promptId);
  }

  /** Interrupts the running prompt; with an id, only if that prompt is the one running. */
  interruptRunning(promptId?: string): boolean {
    const running = this.queue.running;
    if (!running || (promptId !== undefined && running.promptId !== promptId)) return false;
    this.#abortFor(running.promptId).abort();
    return true;
  }

  #abortFor(promptId: string): AbortController {
    if (this.#abort?.promptId !== promptId) this.#abort = { promptId, controller: new AbortController() };
    return this.#abort.controller;
  }

  /** ComfyUI's /free: applied after the current prompt (or at once when idle). */
  async free(flags: { unloadModels?: boolean; freeMemory?: boolean }): Promise<void> {
    this.freeAfterPrompt(flags);
  }

  freeAfterPrompt(flags: { unloadModels?: boolean; freeMemory?: boolean }): void {
    this.#pendingFree = { unloadModels: Boolean(flags.unloadModels || flags.freeMemory), freeMemory: Boolean(flags.freeMemory) };
    if (!this.queue.running) this.#applyFree();
  }

  #applyFree(): void {
    const flags = this.#pendingFree;
    this.#pendingFree = undefined;
    if (!flags) return;
    if (flags.freeMemory) this.executor.reset();
    const models = this.options.env.services.models as { unloadAll?: () => void } | undefined;
    if (flags.unloadModels) models?.unloadAll?.();
  }

  /** Resolves with the history entry once the prompt has finished. */
  waitFor(promptId: string): Promise<HistoryEntry> {
    const done = this.history.get(promptId);
    if (done && !this.queue.has(promptId)) return Promise.resolve(done);
    return new Promise((resolve) => {
      const list = this.#finished.get(promptId) ?? [];
      list.push(resolve);
      this.#finished.set(promptId, list);
    });
  }

  async #work(): Promise<void> {
    while (this.#running) {
      const item = await this.queue.take();
      if (!item) break;
      await this.#runOne(item);
    }
  }

  async #runOne(item: QueuedPrompt): Promise<void> {
    const clientId = item.extraData.client_id as string | undefined;
    const abort = this.#abortFor(item.promptId);
    // ComfyUI's POST /prompt puts the prompt on the queue and answers (server.py post_prompt); its
    // worker thread starts it later (main.py prompt_worker), a GIL switch (5 ms) and Python's own
    // set-up away. Clients rely on that: @stable-canvas/comfyui-client's `instance().enqueue()`
    // then `.wait()` listens only once the answer is parsed, so a cached prompt finishing within a
    // millisecond was never seen. On the server a prompt starts no sooner than START_GRACE_MS after
    // it was queued (options.startGraceMs): one that found the queue idle waits, a backlog runs at
    // full speed. (An interrupt meanwhile is kept: the executor checks the controller before the
    // first node.)
    const wait = item.queuedAt === undefined ? 0 : item.queuedAt + (this.options.startGraceMs ?? 0) - performance.now();
    await new Promise((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
    const result = await this.executor.run({
      promptId: item.promptId,
      prompt: item.prompt,
      outputs: item.outputs,
      extraData: { ...item.extraData, ...item.secrets },
      signal: abort.signal,
      progressState: this.options.progressState,
      emit: (event) => this.#publish({ kind: 'execution', event, clientId }),
      onPreview: (nodeId, preview) => this.#publish({ kind: 'preview', nodeId, promptId: item.promptId, preview, clientId }),
    });
    this.#abort = undefined;
    const entry: HistoryEntry = {
      prompt: queueItem(item),
      outputs: result.outputs,
      status: { status_str: result.status === 'success' ? 'success' : 'error', completed: result.status === 'success', messages: result.messages },
      meta: result.meta,
    };
    this.history.add(item.promptId, entry);
    this.queue.done();
    this.#publish({ kind: 'execution', event: { type: 'executing', data: { node: null, prompt_id: item.promptId } }, clientId });
    for (const resolve of this.#finished.get(item.promptId) ?? []) resolve(entry);
    this.#finished.delete(item.promptId);
    this.#applyFree();
  }
}
