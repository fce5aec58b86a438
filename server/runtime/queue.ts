import type { ApiPrompt, ExtraData, QueueItem } from '../../types/api.ts';

export interface QueuedPrompt {
  number: number;
  promptId: string;
  prompt: ApiPrompt;
  /** Without secrets: what listings and history show. */
  extraData: ExtraData;
  outputs: string[];
  /** Secret extra_data keys (API tokens): reach the nodes, never a listing. */
  secrets: ExtraData;
  /** When this process queued it (monotonic ms; absent for items listed from Redis): the runner's start grace counts from it. */
  queuedAt?: number;
}

const SECRET_KEYS = ['auth_token_comfy_org', 'api_key_comfy_org'];

export interface EnqueueRequest {
  promptId: string;
  prompt: ApiPrompt;
  outputs: string[];
  extraData?: ExtraData;
  /** Explicit priority; lower runs first. */
  number?: number;
  /** Jump ahead of everything pending (used when `number` is absent). */
  front?: boolean;
}

/**
 * ComfyUI's prompt queue: a priority queue ordered by (number, prompt id); numbers come from a
 * counter (negated for front-of-queue) unless the caller gives one. One item runs at a time.
 */
export class PromptQueue {
  #counter = 0;
  readonly #pending: QueuedPrompt[] = [];
  #running: QueuedPrompt | undefined;
  #waiters: (() => void)[] = [];
  #closed = false;
  #paused = false;
  readonly #listeners = new Set<() => void>();

  /** Called after every change (a `status` broadcast in the server). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  enqueue(request: EnqueueRequest): QueuedPrompt {
    let number: number;
    if (request.number !== undefined && Number.isFinite(Number(request.number))) {
      number = Number(request.number);
    } else {
      number = request.front ? -this.#counter : this.#counter;
      this.#counter++;
    }
    const extraData: ExtraData = {};
    const secrets: ExtraData = {};
    for (const [key, value] of Object.entries(request.extraData ?? {})) {
      (SECRET_KEYS.includes(key) ? secrets : extraData)[key] = value;
    }
    const item: QueuedPrompt = { number, promptId: request.promptId, prompt: request.prompt, extraData, outputs: request.outputs, secrets, queuedAt: performance.now() };
    this.#pending.push(item);
    this.#changed();
    const waiter = this.#waiters.shift();
    waiter?.();
    return item;
  }

  /**
   * Puts back an item saved before a restart, keeping its number; numbers given to new items
   * afterwards continue past it so restored prompts keep their place.
   */
  restore(request: EnqueueRequest & { number: number }): QueuedPrompt {
    this.#counter = Math.max(this.#counter, Math.floor(Math.abs(request.number)) + 1);
    return this.enqueue(request);
  }

  /** Waits for the next item and marks it running; undefined once the queue is closed. */
  async take(): Promise<QueuedPrompt | undefined> {
    while (this.#pending.length === 0 || this.#paused) {
      if (this.#closed) return undefined;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    let best = 0;
    for (let i = 1; i < this.#pending.length; i++) if (before(this.#pending[i]!, this.#pending[best]!)) best = i;
    const [item] = this.#pending.splice(best, 1);
    this.#running = item!;
    this.#changed();
    return item!;
  }

  /** A paused queue keeps accepting prompts but take() hands out none until resume(). */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#changed();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#changed();
    for (const wake of this.#waiters.splice(0)) wake();
  }

  get paused(): boolean {
    return this.#paused;
  }

  /**
   * Moves a pending item to `position` (0 = front) of the run order by giving it a new number;
   * false when it is not pending.
   */
  move(promptId: string, position: number): QueuedPrompt | undefined {
    const item = this.#pending.find((p) => p.promptId === promptId);
    if (!item) return undefined;
    const renumbered = numbersForMove(this.pending().map((p) => ({ id: p.promptId, number: p.number })), promptId, position);
    for (const pending of this.#pending) {
      const number = renumbered.get(pending.promptId);
      if (number !== undefined) pending.number = number;
    }
    this.#changed();
    return item;
  }

  /** Wakes and ends every take(); items still pending stay listed. */
  close(): void {
    this.#closed = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** The running item finished (its history entry is already written). */
  done(): void {
    this.#running = undefined;
    this.#changed();
  }

  get running(): QueuedPrompt | undefined {
    return this.#running;
  }

  /** Pending items in run order. */
  pending(): QueuedPrompt[] {
    return [...this.#pending].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  }

  remaining(): number {
    return this.#pending.length + (this.#running ? 1 : 0);
  }

  delete(promptIds: readonly string[]): number {
    const ids = new Set(promptIds);
    const before = this.#pending.length;
    for (let i = this.#pending.length - 1; i >= 0; i--) if (ids.has(this.#pending[i]!.promptId)) this.#pending.splice(i, 1);
    const removed = before - this.#pending.length;
    if (removed > 0) this.#changed();
    return removed;
  }

  clear(): void {
    this.#pending.length = 0;
    this.#changed();
  }

  has(promptId: string): boolean {
    return this.#running?.promptId === promptId || this.#pending.some((p) => p.promptId === promptId);
  }
}

/**
 * New numbers that put `movingId` at `position` of `ordered` (pending items in run order). Usually
 * only the moved item changes (a number between its new neighbours); when no number fits between
 * them (equal numbers, float precision), the whole list is renumbered from its first number on.
 */
export function numbersForMove(ordered: readonly { id: string; number: number }[], movingId: string, position: number): Map<string, number> {
  const others = ordered.filter((p) => p.id !== movingId);
  const at = Math.max(0, Math.min(Math.floor(position), others.length));
  const previous = others[at - 1];
  const next = others[at];
  let number: number;
  if (!previous && !next) number = ordered.find((p) => p.id === movingId)?.number ?? 0;
  else if (!previous) number = next!.number - 1;
  else if (!next) number = previous.number + 1;
  else number = (previous.number + next.number) / 2;
  const fits = (!previous || previous.number < number) && (!next || number < next.number);
  if (fits) return new Map([[movingId, number]]);
  const order = [...others.slice(0, at), { id: movingId, number }, ...others.slice(at)];
  const first = Math.min(...ordered.map((p) => p.number));
  return new Map(order.map((p, i) => [p.id, first + i]));
}

function before(a: QueuedPrompt, b: QueuedPrompt): boolean {
  return a.number < b.number || (a.number === b.number && a.promptId < b.promptId);
}

export function queueItem(item: QueuedPrompt): QueueItem {
  return [item.number, item.promptId, item.prompt, item.extraData, item.outputs];
}
