import type { HistoryEntry } from '../../types/api.ts';

/** Where history lives between restarts; the engine only knows this interface. */
export interface HistoryStore {
  load(): Promise<[string, HistoryEntry][]>;
  save(entries: [string, HistoryEntry][]): Promise<void>;
}

export const HISTORY_LIMIT = 10_000;

/** Finished prompts in completion order, capped, persisted through a HistoryStore. */
export class History {
  readonly #entries = new Map<string, HistoryEntry>();
  #saving: Promise<void> = Promise.resolve();
  #dirty = false;

  constructor(
    readonly store?: HistoryStore,
    readonly limit = HISTORY_LIMIT,
    readonly onSaveError: (error: unknown) => void = () => {},
  ) {}

  async load(): Promise<void> {
    if (!this.store) return;
    for (const [id, entry] of await this.store.load()) this.#entries.set(id, entry);
    this.#evict();
  }

  add(promptId: string, entry: HistoryEntry): void {
    this.#entries.delete(promptId);
    this.#entries.set(promptId, entry);
    this.#evict();
    this.#persist();
  }

  get(promptId: string): HistoryEntry | undefined {
    return this.#entries.get(promptId);
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * ComfyUI's pagination: `maxItems` alone gives the last N; with `offset` a window from there;
   * an offset at or past the end gives nothing; offset 0 is the same as none.
   */
  list(maxItems?: number, offset?: number): Record<string, HistoryEntry> {
    let entries = [...this.#entries];
    if (offset !== undefined && offset > 0) {
      entries = entries.slice(offset);
      if (maxItems !== undefined) entries = entries.slice(0, maxItems);
    } else if (maxItems !== undefined) {
      entries = maxItems > 0 ? entries.slice(-maxItems) : [];
    }
    return Object.fromEntries(entries);
  }

  delete(promptIds: readonly string[]): void {
    for (const id of promptIds) this.#entries.delete(id);
    this.#persist();
  }

  clear(): void {
    this.#entries.clear();
    this.#persist();
  }

  /** Resolves once everything written so far is on disk. */
  flush(): Promise<void> {
    return this.#saving;
  }

  #evict(): void {
    while (this.#entries.size > this.limit) this.#entries.delete(this.#entries.keys().next().value!);
  }

  #persist(): void {
    if (!this.store || this.#dirty) return;
    this.#dirty = true;
    // Coalesce bursts of changes into one write, and never run two writes at once.
    this.#saving = this.#saving.then(async () => {
      this.#dirty = false;
      await this.store!.save([...this.#entries]);
    }).catch(this.onSaveError);
  }
}
