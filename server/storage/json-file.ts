import { copyFile, mkdir, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { replaceFileAtomically } from './safe-write.ts';

export interface JsonFileOptions {
  /** What starting without the file's contents means, for the report ("history starts empty"). */
  emptyMeans?: string;
  /** Where repairs are reported (one line each); stderr by default. */
  report?: (line: string) => void;
}

const toStderr = (line: string) => void process.stderr.write(`${line}\n`);

/**
 * A JSON document kept in one file, replaced atomically (write aside, then rename) so a crash
 * never leaves half a file. A damaged file does not stop the program: it is kept aside for
 * inspection (`<name>.damaged-<time>`), reading starts empty, and one line on stderr says what
 * was found, where the copy is and what was restored.
 */
export class JsonFile<T> {
  readonly #emptyMeans: string;
  readonly #report: (line: string) => void;

  constructor(
    readonly path: string,
    options: JsonFileOptions = {},
  ) {
    this.#emptyMeans = options.emptyMeans ?? 'starting without its contents';
    this.#report = options.report ?? toStderr;
  }

  /** The parsed document, or undefined when there is none (or it was damaged and set aside). */
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
    } catch (error) {
      await this.setAside(`is damaged (not valid JSON: ${(error as Error).message})`, this.#emptyMeans);
      return undefined;
    }
  }

  /**
   * The list under `key`, keeping the elements `accept` takes. A file of another shape is set
   * aside whole; one holding elements that are not `nouns` is copied aside before they are
   * dropped (the next write would otherwise lose them for good).
   */
  async readList<E>(key: string, accept: (value: unknown) => value is E, nouns: string): Promise<E[]> {
    const document: unknown = await this.read();
    if (document === undefined) return [];
    const list = typeof document === 'object' && document !== null && !Array.isArray(document) ? (document as Record<string, unknown>)[key] : undefined;
    if (!Array.isArray(list)) {
      await this.setAside(`has the wrong shape (no "${key}" list)`);
      return [];
    }
    const kept = list.filter(accept);
    if (kept.length < list.length) {
      await this.keepCopy(`holds ${list.length - kept.length} of ${list.length} ${key} that are not ${nouns}`, `restored the other ${kept.length}`);
    }
    return kept;
  }

  /** Moves the file aside as `.damaged-<time>` and reports `found` and `restored`. */
  async setAside(found: string, restored = this.#emptyMeans): Promise<void> {
    const copy = this.#damagedName();
    await rename(this.path, copy);
    this.#report(`${this.path} ${found}; kept it as ${copy}; ${restored}`);
  }

  /** Keeps a copy as `.damaged-<time>` (the file itself is rewritten later) and reports it. */
  async keepCopy(found: string, restored: string): Promise<void> {
    const copy = this.#damagedName();
    await copyFile(this.path, copy);
    this.#report(`${this.path} ${found}; kept a copy as ${copy}; ${restored}`);
  }

  async write(document: T): Promise<void> {
    await this.writeText(JSON.stringify(document));
  }

  /** Replaces the file with `text`, already serialized (it must parse as a T). */
  async writeText(text: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await replaceFileAtomically(this.path, text);
  }

  #damagedName(): string {
    return `${this.path}.damaged-${Date.now()}`;
  }
}
