import type { QueueItem } from '../../types/api.ts';
import type { QueueStore } from '../runtime/queue-persistence.ts';
import { JsonFile, type JsonFileOptions } from './json-file.ts';

/** The pending queue as one JSON file (`user/queue.json`). */
export class QueueFile implements QueueStore {
  readonly #file: JsonFile<{ version?: number; items?: unknown }>;

  constructor(
    readonly path: string,
    options: Pick<JsonFileOptions, 'report'> = {},
  ) {
    this.#file = new JsonFile(path, { ...options, emptyMeans: 'no queued prompts were restored' });
  }

  load(): Promise<QueueItem[]> {
    return this.#file.readList('items', isQueueItem, 'queue items');
  }

  save(items: QueueItem[]): Promise<void> {
    return this.#file.write({ version: 1, items });
  }
}

function isQueueItem(value: unknown): value is QueueItem {
  return (
    Array.isArray(value) &&
    value.length >= 5 &&
    typeof value[0] === 'number' &&
    typeof value[1] === 'string' &&
    typeof value[2] === 'object' &&
    value[2] !== null &&
    Array.isArray(value[4])
  );
}
