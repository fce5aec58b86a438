import type { HistoryEntry } from '../../types/api.ts';
import type { HistoryStore } from '../runtime/history.ts';
import { JsonFile } from './json-file.ts';

/** History kept as one JSON file (`user/history.json`). */
export class HistoryFile implements HistoryStore {
  readonly #file: JsonFile<{ version?: number; entries?: unknown }>;

  constructor(readonly path: string) {
    this.#file = new JsonFile(path);
  }

  async load(): Promise<[string, HistoryEntry][]> {
    const entries = (await this.#file.read())?.entries;
    return Array.isArray(entries) ? entries.filter((e): e is [string, HistoryEntry] => Array.isArray(e) && typeof e[0] === 'string') : [];
  }

  save(entries: [string, HistoryEntry][]): Promise<void> {
    return this.#file.write({ version: 1, entries });
  }
}
