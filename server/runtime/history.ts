import type { HistoryEntry, QueueItem } from '../../types/api.ts';
import { MAX_JSON_DEPTH, nestingDepthExceeds } from './json-depth.ts';

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
    for (const [id, entry] of await this.store.load()) this.#entries.set(id, this.#storable(id, entry));
    this.#evict();
  }

  add(promptId: string, entry: HistoryEntry): void {
    this.#entries.delete(promptId);
    this.#entries.set(promptId, this.#storable(promptId, entry));
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

  /** The entry with what JSON cannot hold left out (and said so), so it never blocks saving or serving. */
  #storable(promptId: string, entry: HistoryEntry): HistoryEntry {
    const { entry: kept, dropped } = storableEntry(entry);
    if (dropped.length > 0) {
      this.onSaveError(new Error(`history entry ${promptId}: ${dropped.join(', ')} could not be stored (nested too deeply or not JSON) and ${dropped.length === 1 ? 'was' : 'were'} left out`));
    }
    return kept;
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

/** Whether `value` can be written as JSON and read back anywhere (bounded depth, no cycles, no BigInt). */
function isStorable(value: unknown): boolean {
  if (nestingDepthExceeds(value, MAX_JSON_DEPTH)) return false;
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * A history entry that JSON can hold: parts that it cannot (a prompt's extra_data nested 10^5
 * deep, a node's cyclic UI output) are replaced by empty values and named in `dropped`. One such
 * entry must never stop history from being saved (user/history.json) or served (GET /history).
 */
export function storableEntry(entry: HistoryEntry): { entry: HistoryEntry; dropped: string[] } {
  if (isStorable(entry)) return { entry, dropped: [] };
  const dropped: string[] = [];
  const keep = <T>(value: T, empty: T, name: string): T => {
    if (isStorable(value)) return value;
    dropped.push(name);
    return empty;
  };
  const [number, id, prompt, extraData, outputs] = Array.isArray(entry.prompt) ? entry.prompt : [];
  const item = [
    keep(number, 0, 'number'),
    keep(id, '', 'prompt id'),
    keep(prompt, {}, 'prompt'),
    keep(extraData, {}, 'extra_data'),
    keep(outputs, [], 'output list'),
  ] as QueueItem;
  const status = entry.status ?? { status_str: 'error', completed: false, messages: [] };
  return {
    entry: {
      prompt: item,
      outputs: keep(entry.outputs, {}, 'outputs'),
      status: { status_str: status.status_str, completed: status.completed, messages: keep(status.messages, [], 'status messages') },
      meta: keep(entry.meta, {}, 'meta'),
    },
    dropped,
  };
}
