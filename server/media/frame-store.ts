// A frame store for nodes that PRODUCE an IMAGE (a generator, a sampler): frames arrive chunk by
// chunk, in order, and stay in memory while they fit a RAM budget; beyond it they go to a raw file
// in the host's temp folder, and the IMAGE reads them back lazily with positional reads.
//
// Lifetime of a spill file (`<temp>/frame-store/<pid>-<random>/<n>.rgb`):
// - `releaseFrames(image)` deletes it at once (the IMAGE can no longer be read);
// - otherwise it is deleted when the IMAGE is garbage collected (a FinalizationRegistry on the
//   IMAGE object: readers in progress keep it reachable, so a file is never pulled from under one);
// - at process exit every remaining spill file of this process is deleted;
// - a process killed before that leaves its folder behind: `clearFrameStore` (called at every host
//   start, besides the usual emptying of a temp folder FlashGraph made) removes the folders of
//   processes that are no longer running, never those of a live one (a server and its workers may
//   share one temp folder).
// This file is server-only (node:fs); types/data.ts, which the browser client shares, stays free of it.
import { randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeContext } from '../runtime/schema.ts';
import { makeDirectory, openForWrite } from '../storage/safe-write.ts';
import { defaultChunkFrames, imageFromPixels, lazyImage } from '../../types/data.ts';
import type { FrameChunk, Image } from '../../types/data.ts';

/** Environment variable: the default RAM budget of a frame writer, in MiB. */
export const FRAME_RAM_ENV = 'FLASHGRAPH_FRAME_RAM_MB';
// Small on purpose: frames past it go to a spill file that the page cache keeps fast, and a
// process's memory then stays flat whatever the clip's length (issue 26: a 5-minute demo run held
// 92 MB more output frames than a 10-second one under a 1 GiB budget).
export const DEFAULT_FRAME_RAM_MB = 64;
/** Subfolder of the temp folder that holds the spill files. */
export const FRAME_STORE_FOLDER = 'frame-store';

/** The RAM budget (bytes) from FLASHGRAPH_FRAME_RAM_MB, or 64 MiB. */
export function frameRamBudget(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[FRAME_RAM_ENV];
  if (text === undefined || text.trim() === '') return DEFAULT_FRAME_RAM_MB * 2 ** 20;
  const mb = Number(text);
  if (!Number.isFinite(mb) || mb < 0) throw new RangeError(`${FRAME_RAM_ENV} must be a number of MiB >= 0, got ${JSON.stringify(text)}`);
  return Math.floor(mb * 2 ** 20);
}

export interface FrameWriterOptions {
  width: number;
  height: number;
  /** Folder for spill files (created when needed); `frameStoreDirectory(ctx)` for nodes. */
  directory: string;
  /** Frames that will be written, when known: decides memory or disk up front (no spill copy). */
  count?: number;
  /** Bytes the frames may take in RAM before they go to disk (default: frameRamBudget()). */
  ramBytes?: number;
  /** Who writes (a node type): names the IMAGE and starts error messages. */
  label?: string;
  /** Aborts writing; the partial file is removed. */
  signal?: AbortSignal;
}

interface SpillEntry {
  path: string;
  released: boolean;
}

const live = new Set<string>();
const spilled = new WeakMap<Image, SpillEntry>();
const registry = new FinalizationRegistry<SpillEntry>((entry) => removeSpill(entry));
let exitHookInstalled = false;
/** This process's folder in each frame-store directory used (`<pid>-<random>`). */
const processFolders = new Map<string, string>();
let fileCounter = 0;

function removeSpill(entry: SpillEntry): void {
  entry.released = true;
  live.delete(entry.path);
  try {
    unlinkSync(entry.path);
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const path of live) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
    for (const folder of processFolders.values()) rmSync(folder, { recursive: true, force: true });
  });
}

/**
 * A fresh spill file name in this process's folder under `directory` (created), deleted at process
 * exit unless `dropSpillPath` came first; other spill stores (record-store.ts) share this lifecycle.
 */
export function newSpillPath(directory: string, extension: string): string {
  const folder = processFolders.get(directory) ?? join(directory, `${process.pid}-${randomBytes(4).toString('hex')}`);
  // The temp folder is shared (uploads may go there): spill only into real folders, never links.
  for (const dir of [directory, folder]) {
    makeDirectory(dir);
    if (lstatSync(dir).isSymbolicLink()) throw Object.assign(new Error(`${dir} is a symbolic link`), { code: 'ELOOP' });
  }
  processFolders.set(directory, folder);
  installExitHook();
  const path = join(folder, `${++fileCounter}.${extension}`);
  live.add(path);
  return path;
}

/** Deletes a spill file made by `newSpillPath` (no error when it is already gone). */
export async function dropSpillPath(path: string): Promise<void> {
  live.delete(path);
  await unlink(path).catch(() => undefined);
}

/** The frame store's folder inside a node's temp folder. */
export function frameStoreDirectory(ctx: Pick<NodeContext, 'storage'>): string {
  return join(ctx.storage.directory('temp'), FRAME_STORE_FOLDER);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what dead processes left in `<temp>/frame-store` (called at host start). Folders of live
 * processes are kept. Returns the folders removed.
 */
export function clearFrameStore(tempDirectory: string): string[] {
  const root = join(tempDirectory, FRAME_STORE_FOLDER);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed.push(join(root, name));
  }
  return removed;
}

/** The spill file behind an IMAGE made by a FrameWriter (undefined when in memory or released). */
export function spillFileOf(image: Image): string | undefined {
  const entry = spilled.get(image);
  return entry && !entry.released ? entry.path : undefined;
}

/** Deletes the spill file behind `image` now; reading it afterwards fails. No-op for other images. */
export function releaseFrames(image: Image): void {
  const entry = spilled.get(image);
  if (!entry || entry.released) return;
  registry.unregister(entry);
  removeSpill(entry);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${bytes} bytes`;
}

function isFsError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Accepts RGB uint8 frames in order (`write`, whole frames) and makes an IMAGE of them (`finish`):
 * in memory while they fit `ramBytes`, otherwise a lazy IMAGE over a raw file. Call `abort()` when
 * giving up (an error, an interrupt) to drop what was written.
 */
export class FrameWriter {
  readonly width: number;
  readonly height: number;
  readonly frameBytes: number;
  readonly ramBytes: number;
  readonly directory: string;
  private readonly label: string;
  private readonly expected: number | undefined;
  private readonly signal: AbortSignal | undefined;
  private held: Uint8Array[] = [];
  private preallocated: Uint8Array | undefined;
  private heldBytes = 0;
  private file: FileHandle | undefined;
  private path: string | undefined;
  private fileBytes = 0;
  private frames = 0;
  private state: 'open' | 'finished' | 'failed' = 'open';
  private pending: Promise<void> = Promise.resolve();

  constructor(options: FrameWriterOptions) {
    const { width, height, count } = options;
    for (const [name, value] of [['width', width], ['height', height]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`FrameWriter: ${name} must be a positive integer, got ${value}`);
    }
    if (count !== undefined && (!Number.isInteger(count) || count < 0)) throw new RangeError(`FrameWriter: count must be an integer >= 0, got ${count}`);
    this.width = width;
    this.height = height;
    this.frameBytes = width * height * 3;
    this.ramBytes = options.ramBytes ?? frameRamBudget();
    this.directory = options.directory;
    this.label = options.label ?? 'FrameWriter';
    this.expected = count;
    this.signal = options.signal;
    if (count !== undefined && count * this.frameBytes <= this.ramBytes) this.preallocated = new Uint8Array(count * this.frameBytes);
  }

  /** Frames written so far. */
  get count(): number {
    return this.frames;
  }

  /** The spill file, once the frames went to disk. */
  get spillPath(): string | undefined {
    return this.path;
  }

  /** Appends whole frames (the bytes are copied or written out before the promise resolves). */
  write(data: Uint8Array): Promise<void> {
    const run = this.pending.then(() => this.append(data));
    this.pending = run.catch(() => undefined);
    return run;
  }

  private async append(data: Uint8Array): Promise<void> {
    if (this.state !== 'open') throw new Error(`${this.label}: frame writer is ${this.state === 'finished' ? 'finished' : 'closed after an error'}`);
    try {
      if (this.signal?.aborted) throw abortError(this.signal);
      if (data.length % this.frameBytes !== 0) {
        throw new RangeError(`${this.label}: ${data.length} bytes is not a whole number of ${this.width}x${this.height} RGB frames`);
      }
      const n = data.length / this.frameBytes;
      if (this.expected !== undefined && this.frames + n > this.expected) {
        throw new RangeError(`${this.label}: ${this.frames + n} frames written, ${this.expected} expected`);
      }
      if (this.preallocated) {
        this.preallocated.set(data, this.frames * this.frameBytes);
      } else if (!this.file && this.heldBytes + data.length <= this.ramBytes && this.expected === undefined) {
        this.held.push(data.slice());
        this.heldBytes += data.length;
      } else {
        if (!this.file) await this.spill();
        await this.writeFile(data);
      }
      this.frames += n;
    } catch (error) {
      await this.fail();
      throw isFsError(error) ? this.storeError(error) : error;
    }
  }

  private async spill(): Promise<void> {
    this.path = newSpillPath(this.directory, 'rgb');
    this.file = await openForWrite(this.path, 'create');
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const chunk of held) await this.writeFile(chunk);
  }

  private async writeFile(data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.file!.write(data, done, data.length - done, this.fileBytes);
      if (bytesWritten <= 0) throw new Error('write made no progress');
      done += bytesWritten;
      this.fileBytes += bytesWritten;
    }
  }

  /** The error a failed disk write becomes: names the writer, the frames, the folder and the cause. */
  private storeError(error: unknown): Error {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const frames = this.expected ?? this.frames;
    const size = formatBytes(frames * this.frameBytes);
    return new Error(`${this.label}: could not store ${frames}${this.expected === undefined ? '+' : ''} output frames (${size}) in ${this.directory}: ${code}`, { cause: error });
  }

  private async fail(): Promise<void> {
    this.state = 'failed';
    this.held = [];
    this.preallocated = undefined;
    const file = this.file;
    const path = this.path;
    this.file = undefined;
    await file?.close().catch(() => undefined);
    if (path) await dropSpillPath(path);
  }

  /** Drops everything written (deletes the partial file); the writer cannot be used afterwards. */
  async abort(): Promise<void> {
    await this.pending;
    if (this.state === 'finished') return;
    await this.fail();
  }

  /** The frames written, as an IMAGE (re-readable any number of times, by concurrent readers). */
  async finish(): Promise<Image> {
    await this.pending;
    if (this.state !== 'open') throw new Error(`${this.label}: frame writer is ${this.state === 'finished' ? 'already finished' : 'closed after an error'}`);
    if (this.expected !== undefined && this.frames !== this.expected) {
      await this.fail();
      throw new Error(`${this.label}: ${this.frames} frames written, ${this.expected} expected`);
    }
    const { width, height, frames: count, label } = this;
    if (!this.file) {
      this.state = 'finished';
      let pixels = this.preallocated;
      if (!pixels) {
        pixels = this.held.length === 1 ? this.held[0]! : new Uint8Array(this.heldBytes);
        if (this.held.length > 1) {
          let offset = 0;
          for (const chunk of this.held) {
            pixels.set(chunk, offset);
            offset += chunk.length;
          }
        }
      }
      this.held = [];
      this.preallocated = undefined;
      return imageFromPixels(pixels ?? new Uint8Array(0), count, width, height, label);
    }
    try {
      await this.file.sync().catch(() => undefined);
      await this.file.close();
    } catch (error) {
      await this.fail();
      throw this.storeError(error);
    }
    this.file = undefined;
    this.state = 'finished';
    const entry: SpillEntry = { path: this.path!, released: false };
    const image = lazyImage({ count, width, height, origin: `${label} (on disk)` }, (options) => readSpill(entry, count, width, height, options));
    spilled.set(image, entry);
    registry.register(image, entry, entry);
    return image;
  }
}

async function* readSpill(
  entry: SpillEntry,
  count: number,
  width: number,
  height: number,
  options: { chunkFrames?: number; signal?: AbortSignal },
): AsyncGenerator<FrameChunk> {
  if (entry.released) throw new Error(`frames in ${entry.path} were released`);
  const bytes = width * height * 3;
  const step = Math.max(1, Math.floor(options.chunkFrames ?? defaultChunkFrames(width, height)));
  const file = await open(entry.path, 'r');
  try {
    for (let start = 0; start < count; start += step) {
      options.signal?.throwIfAborted();
      const n = Math.min(step, count - start);
      const data = new Uint8Array(n * bytes);
      let done = 0;
      while (done < data.length) {
        const { bytesRead } = await file.read(data, done, data.length - done, start * bytes + done);
        if (bytesRead <= 0) throw new Error(`${entry.path} ended at byte ${start * bytes + done} of ${count * bytes}`);
        done += bytesRead;
      }
      yield { start, count: n, data };
    }
  } finally {
    await file.close();
  }
}
