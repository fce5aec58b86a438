// Keeps the prompt queue on disk between restarts. The engine only knows the QueueStore
// interface; the file behind it lives in server/storage.
import type { QueueItem } from '../../types/api.ts';
import { queueItem, type PromptQueue } from './queue.ts';

/** Where queued prompts wait while the process is down. Items are ComfyUI queue arrays. */
export interface QueueStore {
  load(): Promise<QueueItem[]>;
  save(items: QueueItem[]): Promise<void>;
}

/**
 * Mirrors a queue into a QueueStore after every change. The running prompt is saved too (first),
 * so a crash re-runs it; once it finishes it leaves the snapshot. Secret extra_data keys are not
 * part of queue items and therefore never reach the disk.
 */
export class QueuePersistence {
  #saving: Promise<void> = Promise.resolve();
  #dirty = false;
  #detach: (() => void) | undefined;

  constructor(
    readonly store: QueueStore,
    readonly queue: PromptQueue,
    readonly onError: (error: unknown) => void = () => {},
  ) {}

  attach(): void {
    this.#detach ??= this.queue.onChange(() => this.#schedule());
  }

  detach(): void {
    this.#detach?.();
    this.#detach = undefined;
  }

  /** Resolves once every change seen so far is written. */
  flush(): Promise<void> {
    return this.#saving;
  }

  snapshot(): QueueItem[] {
    const running = this.queue.running;
    return [...(running ? [queueItem(running)] : []), ...this.queue.pending().map(queueItem)];
  }

  #schedule(): void {
    if (this.#dirty) return;
    this.#dirty = true;
    // One write per burst of changes, and never two writes at once.
    this.#saving = this.#saving
      .then(async () => {
        this.#dirty = false;
        await this.store.save(this.snapshot());
      })
      .catch(this.onError);
  }
}
