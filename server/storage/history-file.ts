import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { HistoryEntry } from '../../types/api.ts';
import type { HistoryStore } from '../runtime/history.ts';

/** History kept as one JSON file, replaced atomically so a crash never leaves half a file. */
export class HistoryFile implements HistoryStore {
  constructor(readonly path: string) {}

  async load(): Promise<[string, HistoryEntry][]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as { version?: number; entries?: [string, HistoryEntry][] };
      return Array.isArray(parsed.entries) ? parsed.entries.filter((e) => Array.isArray(e) && typeof e[0] === 'string') : [];
    } catch {
      // A damaged file must not stop the server: keep it aside for inspection and start empty.
      await rename(this.path, `${this.path}.damaged-${Date.now()}`);
      return [];
    }
  }

  async save(entries: [string, HistoryEntry][]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ version: 1, entries }));
    await rename(temporary, this.path);
  }
}
