import type { HistoryEntry } from '../../types/api.ts';
import type { HistoryStore } from '../runtime/history.ts';
import { JsonFile, type JsonFileOptions } from './json-file.ts';

/** History kept as one JSON file (`user/history.json`). */
export class HistoryFile implements HistoryStore {
  readonly #file: JsonFile<{ version?: number; entries?: unknown }>;

  constructor(
    readonly path: string,
    options: Pick<JsonFileOptions, 'report'> = {},
  ) {
    this.#file = new JsonFile(path, { ...options, emptyMeans: 'history starts empty' });
  }

  load(): Promise<[string, HistoryEntry][]> {
    return this.#file.readList('entries', isHistoryPair, 'history entries');
  }

  /**
   * Each entry is serialized on its own: one that cannot be (History keeps such entries out, but
   * the file must not depend on it) is left out and named in the error thrown after the others
   * are safely written.
   */
  async save(entries: [string, HistoryEntry][]): Promise<void> {
    const parts: string[] = [];
    const skipped: string[] = [];
    for (const entry of entries) {
      let text: string | undefined;
      try {
        text = JSON.stringify(entry);
      } catch {
        text = undefined;
      }
      if (text === undefined) skipped.push(String(entry[0]));
      else parts.push(text);
    }
    await this.#file.writeText(`{"version":1,"entries":[${parts.join(',')}]}`);
    if (skipped.length > 0) throw new Error(`${this.path}: history entries ${skipped.join(', ')} could not be serialized and were not saved`);
  }
}

function isHistoryPair(value: unknown): value is [string, HistoryEntry] {
  return Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'object' && value[1] !== null;
}
