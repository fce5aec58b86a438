// The per-window history of the multistep solvers (UniPC, DPM++) and of ALP's forecasters, kept in
// a record store instead of in every window's own buffers. Every window's solver and forecasters are
// built over ONE set of buffers (the i-th buffer a window asks for is the i-th shared one); before a
// window steps, its record is read into them, afterwards written back. Only the buffers' contents
// move: the objects (one per window) keep their scalar state, including which buffer is which after
// a rotation, since every window's objects point at the same arrays.
import type { RecordStore, RecordStoreFactory } from './record-store.ts';
import type { BufferAllocator } from './schedulers/types.ts';

export class WindowState {
  private readonly buffers: Float32Array[] = [];
  private store: RecordStore | undefined;
  private readonly saved = new Set<number>();

  /**
   * An allocator for one window's objects: hands out the shared buffers in order. The first window's
   * objects decide how many there are; later windows must ask for the same sizes in the same order.
   */
  allocator(): BufferAllocator {
    let next = 0;
    return (size) => {
      if (this.store) throw new Error('window state: every window\'s objects must be built before the store opens');
      if (next === this.buffers.length) this.buffers.push(new Float32Array(size));
      const buffer = this.buffers[next++]!;
      if (buffer.length !== size) throw new Error(`window state: buffer ${next - 1} has ${buffer.length} values, a window asked for ${size}`);
      return buffer;
    };
  }

  /** Values kept per window (0: nothing to keep, e.g. Euler without ALP). */
  get length(): number {
    return this.buffers.reduce((n, b) => n + b.length, 0);
  }

  async open(records: RecordStoreFactory): Promise<void> {
    if (this.length > 0) this.store = await records('window solver state', this.length);
  }

  /** Loads window `w`'s history into the shared buffers (zeros before its first save). */
  async load(w: number): Promise<void> {
    if (!this.store) return;
    let offset = 0;
    for (const buffer of this.buffers) {
      if (this.saved.has(w)) await this.store.read(w, buffer, offset);
      else buffer.fill(0);
      offset += buffer.length;
    }
  }

  /** Saves the shared buffers as window `w`'s history. */
  async save(w: number): Promise<void> {
    if (!this.store) return;
    let offset = 0;
    for (const buffer of this.buffers) {
      await this.store.write(w, buffer, offset);
      offset += buffer.length;
    }
    this.saved.add(w);
  }

  async close(): Promise<void> {
    await this.store?.close();
  }
}
