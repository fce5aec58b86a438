// The server's recent log in memory, as ComfyUI's app/logger.py keeps it for the frontend's logs
// panel: the last 300 writes, each `{t: local ISO time, m: the text written}`. A write that starts
// with '\r' replaces the previous entry when that one did not end a line (progress bars). Listeners
// get the new entries in batches, once per turn of the event loop.

export interface LogEntry {
  t: string;
  m: string;
}

export const LOG_CAPACITY = 300;

export class LogRing {
  readonly #entries: LogEntry[] = [];
  readonly #listeners = new Set<(entries: LogEntry[]) => void>();
  #pending: LogEntry[] = [];
  #scheduled = false;

  constructor(readonly capacity = LOG_CAPACITY) {}

  get entries(): LogEntry[] {
    return [...this.#entries];
  }

  write(text: string, now = new Date()): void {
    if (text === '') return;
    const entry = { t: localIsoTime(now), m: text };
    const last = this.#entries.at(-1);
    if (text.startsWith('\r') && last && !last.m.endsWith('\n')) this.#entries.pop();
    this.#entries.push(entry);
    if (this.#entries.length > this.capacity) this.#entries.splice(0, this.#entries.length - this.capacity);
    if (this.#listeners.size === 0) return;
    this.#pending.push(entry);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  /** `t - m` of every entry joined: ComfyUI's GET /internal/logs. */
  text(): string {
    return this.#entries.map((e) => `${e.t} - ${e.m}`).join('');
  }

  onFlush(listener: (entries: LogEntry[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Copies everything written to `stream` (process.stdout, process.stderr) into the ring, as
   * ComfyUI wraps sys.stdout and sys.stderr. Returns the function that stops it.
   */
  capture(stream: NodeJS.WriteStream): () => void {
    const original = stream.write;
    const ring = this;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      try {
        ring.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      } catch {
        // The log must never break the program writing it.
      }
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
    return () => {
      stream.write = original;
    };
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    for (const listener of this.#listeners) {
      try {
        listener(batch);
      } catch {
        // A listener that fails loses this batch; the others still get it.
      }
    }
  }
}

/** Python's `datetime.now().isoformat()`: local time, no zone, microseconds. */
export function localIsoTime(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds() * 1000, 6)}`
  );
}
