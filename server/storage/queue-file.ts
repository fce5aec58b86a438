import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { QueueItem } from '../../types/api.ts';
import type { QueueStore } from '../runtime/queue-persistence.ts';

/** The pending queue as one JSON file, replaced atomically so a crash never leaves half a file. */
export class QueueFile implements QueueStore {
  constructor(readonly path: string) {}

  async load(): Promise<QueueItem[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as { version?: number; items?: unknown[] };
      return Array.isArray(parsed.items) ? parsed.items.filter(isQueueItem) : [];
    } catch {
      // A damaged file must not stop the server: keep it aside for inspection and start empty.
      await rename(this.path, `${this.path}.damaged-${Date.now()}`);
      return [];
    }
  }

  async save(items: QueueItem[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ version: 1, items }));
    await rename(temporary, this.path);
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
