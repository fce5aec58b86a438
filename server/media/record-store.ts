// Numbered Float32 records of one length in a spill file of the frame store's temp folder (same
// lifecycle: deleted on close, at process exit, or by the next host start if the process died), with
// positional reads and writes: state that grows with a clip (the FlashPortrait sampler's emotion
// tokens per window) costs disk and page cache, not process memory.
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dropSpillPath, newSpillPath } from './frame-store.ts';

export class FileRecordStore {
  private constructor(
    private readonly file: FileHandle,
    readonly path: string,
    readonly recordLength: number,
    private readonly label: string,
  ) {}

  /** A new, empty store in `directory` (a node's `frameStoreDirectory(ctx)`); `label` names it in errors. */
  static async open(directory: string, recordLength: number, label: string): Promise<FileRecordStore> {
    if (!Number.isInteger(recordLength) || recordLength < 1) throw new RangeError(`${label}: record length must be a positive integer, got ${recordLength}`);
    let path: string | undefined;
    try {
      path = newSpillPath(directory, 'f32');
      return new FileRecordStore(await open(path, 'wx+'), path, recordLength, label);
    } catch (error) {
      if (path) await dropSpillPath(path);
      throw storeError(label, directory, error);
    }
  }

  private span(data: Float32Array, index: number, offset: number): { bytes: Uint8Array; position: number } {
    if (!Number.isInteger(offset) || offset < 0 || offset + data.length > this.recordLength || data.length === 0) {
      throw new RangeError(`${this.label}: records have ${this.recordLength} values; ${data.length} at offset ${offset} do not fit`);
    }
    if (!Number.isInteger(index) || index < 0) throw new RangeError(`${this.label}: record index must be an integer >= 0, got ${index}`);
    return { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position: (index * this.recordLength + offset) * 4 };
  }

  /** Writes `values` into record `index` from value `offset` on. */
  async write(index: number, values: Float32Array, offset = 0): Promise<void> {
    const { bytes, position } = this.span(values, index, offset);
    try {
      for (let done = 0; done < bytes.length;) {
        const { bytesWritten } = await this.file.write(bytes, done, bytes.length - done, position + done);
        if (bytesWritten <= 0) throw new Error('write made no progress');
        done += bytesWritten;
      }
    } catch (error) {
      throw storeError(this.label, this.path, error);
    }
  }

  /** Reads record `index`'s values from `offset` on into `into`. */
  async read(index: number, into: Float32Array, offset = 0): Promise<void> {
    const { bytes, position } = this.span(into, index, offset);
    for (let done = 0; done < bytes.length;) {
      const { bytesRead } = await this.file.read(bytes, done, bytes.length - done, position + done);
      if (bytesRead <= 0) throw new RangeError(`${this.label}: no record ${index} in ${this.path}`);
      done += bytesRead;
    }
  }

  async close(): Promise<void> {
    await this.file.close().catch(() => undefined);
    await dropSpillPath(this.path);
  }
}

function storeError(label: string, where: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new Error(`${label}: could not spill to ${where}: ${code}`, { cause: error });
}
