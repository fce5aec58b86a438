// FileRecordStore: Float32 records written in any order and read back bit for bit from a spill
// file in the frame store's process folder; the file goes on close; wrong lengths, missing records
// and an unusable folder fail with messages that name the store. The in-memory twin the sampler
// uses by default behaves the same.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileRecordStore } from '../../server/media/record-store.ts';
import { memoryRecords } from '../../nodes/flashportrait/pipeline/record-store.ts';
import { tempDir } from '../helpers/engine.ts';

function record(length: number, seed: number): Float32Array {
  // Includes values a lossy path would change: negative zero, subnormals, NaN payload-free NaN, extremes.
  const specials = [-0, 1e-42, Number.NaN, 3.4028234663852886e38, -1.5];
  return Float32Array.from({ length }, (_, i) => (i < specials.length && seed === 0 ? specials[i]! : Math.sin(seed * 1000 + i) * 1e3));
}

describe('FileRecordStore', () => {
  it('reads back what was written, bit for bit, in any order; close removes the spill file', async () => {
    const dir = join(tempDir('flashgraph-records-'), 'frame-store');
    const store = await FileRecordStore.open(dir, 1000, 'test tokens');
    expect(store.path.startsWith(join(dir, `${process.pid}-`))).toBe(true);
    for (const index of [2, 0, 1]) await store.write(index, record(1000, index));
    expect(statSync(store.path).size).toBe(3 * 1000 * 4);
    await store.write(1, record(1000, 7)); // overwrite in place
    const into = new Float32Array(1000);
    for (const [index, seed] of [[0, 0], [1, 7], [2, 2]] as const) {
      await store.read(index, into);
      expect(new Uint8Array(into.buffer)).toEqual(new Uint8Array(record(1000, seed).buffer));
    }
    const folder = join(store.path, '..');
    await store.close();
    expect(existsSync(store.path)).toBe(false);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('writes and reads parts of a record at an offset', async () => {
    const store = await FileRecordStore.open(join(tempDir('flashgraph-records-'), 'frame-store'), 10, 'window state');
    await store.write(1, Float32Array.from([1, 2, 3]), 0);
    await store.write(1, Float32Array.from([7, 8]), 8);
    const tail = new Float32Array(2);
    await store.read(1, tail, 8);
    expect([...tail]).toEqual([7, 8]);
    const whole = new Float32Array(10);
    await store.read(1, whole);
    expect([...whole]).toEqual([1, 2, 3, 0, 0, 0, 0, 0, 7, 8]);
    await store.close();
  });

  it('refuses records of the wrong length and reads of records never written, naming the store', async () => {
    const store = await FileRecordStore.open(join(tempDir('flashgraph-records-'), 'frame-store'), 8, 'sampler tokens');
    await expect(store.write(0, new Float32Array(9))).rejects.toThrow(/sampler tokens: records have 8 values; 9 at offset 0 do not fit/);
    await expect(store.write(0, new Float32Array(4), 5)).rejects.toThrow(/4 at offset 5 do not fit/);
    await expect(store.read(3, new Float32Array(8))).rejects.toThrow(/sampler tokens: no record 3/);
    await expect(store.write(-1, new Float32Array(8))).rejects.toThrow(/record index must be an integer >= 0/);
    await store.close();
  });

  it('fails with the folder and the cause when the spill folder cannot be made', async () => {
    const base = tempDir('flashgraph-records-');
    writeFileSync(join(base, 'frame-store'), 'a file where the folder should be');
    await expect(FileRecordStore.open(join(base, 'frame-store'), 8, 'sampler tokens')).rejects.toThrow(/sampler tokens: could not spill to .*frame-store: (EEXIST|ENOTDIR)/);
  });
});

describe('memoryRecords', () => {
  it('keeps copies: later changes to the written array do not reach the store', async () => {
    const store = await memoryRecords('tokens', 4);
    const data = Float32Array.from([1, 2, 3, 4]);
    await store.write(0, data);
    data.fill(9);
    const into = new Float32Array(4);
    await store.read(0, into);
    expect([...into]).toEqual([1, 2, 3, 4]);
    await expect(store.read(1, into)).rejects.toThrow(/tokens: no record 1/);
    await expect(store.write(0, new Float32Array(3), 2)).rejects.toThrow(/tokens: records have 4 values; 3 at offset 2 do not fit/);
    await store.close();
  });
});
