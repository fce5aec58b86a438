import { mkdir, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { replaceFileAtomically } from './safe-write.ts';

/**
 * A JSON document kept in one file, replaced atomically (write aside, then rename) so a crash
 * never leaves half a file. A damaged file does not stop the program: it is kept aside for
 * inspection (`<name>.damaged-<time>`) and reading starts empty.
 */
export class JsonFile<T> {
  constructor(readonly path: string) {}

  /** The parsed document, or undefined when there is none (or it was damaged). */
  async read(): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      await rename(this.path, `${this.path}.damaged-${Date.now()}`);
      return undefined;
    }
  }

  async write(document: T): Promise<void> {
    await this.writeText(JSON.stringify(document));
  }

  /** Replaces the file with `text`, already serialized (it must parse as a T). */
  async writeText(text: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await replaceFileAtomically(this.path, text);
  }
}
