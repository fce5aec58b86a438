// FrameWriter: frames kept in RAM under the budget, spilled to a raw file over it, read back
// byte-identical in any chunking, any number of times and concurrently; abort, release, GC, exit
// and host-start cleanup; disk errors named after the node, with the partial file removed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  clearFrameStore,
  FRAME_RAM_ENV,
  FRAME_STORE_FOLDER,
  frameRamBudget,
  FrameWriter,
  releaseFrames,
  spillFileOf,
} from '../../server/media/frame-store.ts';
import { prepareHost } from '../../server/host.ts';
import { materialize } from '../../types/data.ts';
import type { Image } from '../../types/data.ts';
import { REPO_ROOT } from '../helpers/golden.ts';
import { tempDir } from '../helpers/engine.ts';

const W = 8;
const H = 6;
const FRAME = W * H * 3;

/** `count` frames whose bytes all differ from frame to frame and pixel to pixel. */
function pattern(count: number, first = 0): Uint8Array {
  const data = new Uint8Array(count * FRAME);
  for (let i = 0; i < data.length; i++) data[i] = (first * FRAME + i) * 7 % 251;
  return data;
}

async function writeAll(writer: FrameWriter, total: number, chunk: number): Promise<Uint8Array> {
  const all = pattern(total);
  for (let start = 0; start < total; start += chunk) {
    await writer.write(all.subarray(start * FRAME, Math.min(total, start + chunk) * FRAME));
  }
  return all;
}

async function readAll(image: Image, chunkFrames?: number): Promise<{ data: Uint8Array; chunks: number[] }> {
  const data = new Uint8Array(image.count * FRAME);
  const chunks: number[] = [];
  for await (const chunk of image.frames(chunkFrames ? { chunkFrames } : {})) {
    data.set(chunk.data, chunk.start * FRAME);
    chunks.push(chunk.count);
  }
  return { data, chunks };
}

describe('FrameWriter', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('keeps frames under the budget in memory (no file), with and without a known count', async () => {
    for (const count of [10, undefined]) {
      const dir = join(tempDir(), FRAME_STORE_FOLDER);
      const writer = new FrameWriter({ width: W, height: H, directory: dir, ramBytes: 10 * FRAME, label: 'Test', ...(count ? { count } : {}) });
      const all = await writeAll(writer, 10, 3);
      const image = await writer.finish();
      expect(writer.spillPath).toBeUndefined();
      expect(spillFileOf(image)).toBeUndefined();
      expect(existsSync(dir)).toBe(false);
      expect([image.count, image.width, image.height]).toEqual([10, W, H]);
      expect((await materialize(image)).data).toEqual(all);
    }
  });

  it('spills over the budget: a raw file of frames x bytes, read back identical in any chunking, twice, concurrently', async () => {
    for (const count of [25, undefined]) {
      const dir = join(tempDir(), FRAME_STORE_FOLDER);
      const writer = new FrameWriter({ width: W, height: H, directory: dir, ramBytes: 4 * FRAME, label: 'Test', ...(count ? { count } : {}) });
      const all = await writeAll(writer, 25, 3);
      const image = await writer.finish();
      const file = spillFileOf(image)!;
      expect(file).toBe(writer.spillPath);
      expect(file.startsWith(dir)).toBe(true);
      expect(statSync(file).size).toBe(25 * FRAME);
      for (const chunkFrames of [1, 4, 7, 25, 100, undefined]) {
        const { data, chunks } = await readAll(image, chunkFrames);
        expect(data).toEqual(all);
        if (chunkFrames) expect(Math.max(...chunks)).toBe(Math.min(chunkFrames, 25));
      }
      const concurrent = await Promise.all([readAll(image, 2), readAll(image, 5), readAll(image, 3), materialize(image)]);
      for (const result of concurrent) expect('data' in result ? result.data : result).toEqual(all);
      releaseFrames(image);
      expect(existsSync(file)).toBe(false);
      expect(spillFileOf(image)).toBeUndefined();
      await expect(readAll(image)).rejects.toThrow(/released/);
    }
  });

  it('a known count over the budget goes straight to disk; a wrong count is an error and removes the file', async () => {
    const dir = join(tempDir(), FRAME_STORE_FOLDER);
    const writer = new FrameWriter({ width: W, height: H, directory: dir, ramBytes: 4 * FRAME, count: 6, label: 'Test' });
    await writer.write(pattern(1));
    const file = writer.spillPath!;
    expect(statSync(file).size).toBe(FRAME);
    await expect(writer.finish()).rejects.toThrow('Test: 1 frames written, 6 expected');
    expect(existsSync(file)).toBe(false);
    const partial = new FrameWriter({ width: W, height: H, directory: dir, ramBytes: 0, label: 'Test' });
    await expect(partial.write(new Uint8Array(FRAME + 1))).rejects.toThrow(/not a whole number/);
  });

  it('reads stop when the signal aborts; an aborted writer rejects writes and removes its partial file', async () => {
    const dir = join(tempDir(), FRAME_STORE_FOLDER);
    const writer = new FrameWriter({ width: W, height: H, directory: dir, ramBytes: 0, label: 'Test' });
    await writeAll(writer, 10, 2);
    const image = await writer.finish();
    const controller = new AbortController();
    const seen: number[] = [];
    await expect((async () => {
      for await (const chunk of image.frames({ chunkFrames: 2, signal: controller.signal })) {
        seen.push(chunk.start);
        if (chunk.start === 4) controller.abort();
      }
    })()).rejects.toThrow(/abort/i);
    expect(seen).toEqual([0, 2, 4]);
    releaseFrames(image);

    const interrupt = new AbortController();
    const aborted = new FrameWriter({ width: W, height: H, directory: dir, ramBytes: 0, label: 'Test', signal: interrupt.signal });
    await aborted.write(pattern(3));
    const file = aborted.spillPath!;
    expect(existsSync(file)).toBe(true);
    interrupt.abort();
    await expect(aborted.write(pattern(1))).rejects.toThrow(/abort/i);
    expect(existsSync(file)).toBe(false);

    const dropped = new FrameWriter({ width: W, height: H, directory: dir, ramBytes: 0, label: 'Test' });
    await dropped.write(pattern(3));
    await dropped.abort();
    expect(existsSync(dropped.spillPath!)).toBe(false);
  });

  it('a disk error mid-write names the node, the frames, their size and the folder, and removes the partial file', async () => {
    const dir = join(tempDir(), FRAME_STORE_FOLDER);
    const probe = await open(join(tempDir(), 'probe'), 'w');
    const handleProto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const realWrite = handleProto.write;
    let calls = 0;
    vi.spyOn(handleProto, 'write').mockImplementation(function (this: unknown, ...args: unknown[]) {
      if (++calls > 2) return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      return realWrite.apply(this, args);
    });
    const writer = new FrameWriter({ width: 1280, height: 720, directory: dir, ramBytes: 0, count: 7500, label: 'FlashPortraitSampler' });
    const frame = new Uint8Array(1280 * 720 * 3);
    await writer.write(frame);
    await writer.write(frame);
    const file = writer.spillPath!;
    expect(statSync(file).size).toBe(2 * frame.length);
    await expect(writer.write(frame)).rejects.toThrow(`FlashPortraitSampler: could not store 7500 output frames (20.7 GB) in ${dir}: ENOSPC`);
    expect(existsSync(file)).toBe(false);
    await expect(writer.finish()).rejects.toThrow(/closed after an error/);
  });

  it('a folder that cannot be created (a file in the way, or read-only) is a clear error', async () => {
    const base = tempDir();
    writeFileSync(join(base, 'blocked'), '');
    const writer = new FrameWriter({ width: W, height: H, directory: join(base, 'blocked', FRAME_STORE_FOLDER), ramBytes: 0, count: 3, label: 'Gen' });
    await expect(writer.write(pattern(1))).rejects.toThrow(`Gen: could not store 3 output frames (432 bytes) in ${join(base, 'blocked', FRAME_STORE_FOLDER)}: ENOTDIR`);
    if (process.getuid?.() !== 0) {
      const readOnly = join(base, 'ro');
      mkdirSync(readOnly, { mode: 0o500 });
      const denied = new FrameWriter({ width: W, height: H, directory: join(readOnly, FRAME_STORE_FOLDER), ramBytes: 0, label: 'Gen' });
      await expect(denied.write(pattern(1))).rejects.toThrow(/Gen: could not store 1\+ output frames .*: EACCES/);
    }
  });

  it('reads the RAM budget from FLASHGRAPH_FRAME_RAM_MB (64 MiB by default)', () => {
    expect(frameRamBudget({})).toBe(64 * 2 ** 20);
    expect(frameRamBudget({ [FRAME_RAM_ENV]: '1024' })).toBe(2 ** 30);
    expect(frameRamBudget({ [FRAME_RAM_ENV]: '0' })).toBe(0);
    expect(() => frameRamBudget({ [FRAME_RAM_ENV]: 'lots' })).toThrow(FRAME_RAM_ENV);
  });

  it('clearFrameStore removes the folders of dead processes and keeps live ones', () => {
    const temp = tempDir();
    const root = join(temp, FRAME_STORE_FOLDER);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    for (const name of [`${dead}-aaaa`, `${process.pid}-bbbb`, 'stray']) {
      mkdirSync(join(root, name), { recursive: true });
      writeFileSync(join(root, name, '1.rgb'), 'x');
    }
    expect(clearFrameStore(temp).sort()).toEqual([join(root, `${dead}-aaaa`), join(root, 'stray')]);
    expect(readdirSync(root)).toEqual([`${process.pid}-bbbb`]);
    expect(clearFrameStore(join(temp, 'missing'))).toEqual([]);
  });

  it('a host start removes what a killed process left in temp/frame-store (a temp/ the user made is kept)', async () => {
    const base = tempDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const stale = join(base, 'temp', FRAME_STORE_FOLDER, `${dead}-cafe`);
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, '1.rgb'), 'x');
    writeFileSync(join(base, 'temp', 'mine.txt'), 'x');
    await prepareHost({ folders: { base } });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(join(base, 'temp', 'mine.txt'))).toBe(true);
  });

  it('the file goes when the IMAGE is garbage collected, and at process exit (child process with --expose-gc)', () => {
    const dir = join(tempDir(), FRAME_STORE_FOLDER);
    const script = `
      import { FrameWriter, spillFileOf } from ${JSON.stringify(join(REPO_ROOT, 'server/media/frame-store.ts'))};
      import { existsSync } from 'node:fs';
      const make = async () => {
        const writer = new FrameWriter({ width: 4, height: 4, directory: ${JSON.stringify(dir)}, ramBytes: 0 });
        await writer.write(new Uint8Array(48 * 5));
        const image = await writer.finish();
        return { image, path: spillFileOf(image) };
      };
      let { path } = await make();
      const kept = await make();
      for (let i = 0; i < 50 && existsSync(path); i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
      process.stdout.write(JSON.stringify({ collected: path, collectedExists: existsSync(path), kept: kept.path, keptExists: existsSync(kept.path), count: kept.image.count }));
    `;
    const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx/esm', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: REPO_ROOT });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ collectedExists: false, keptExists: true, count: 5 });
    // The kept IMAGE's file was removed when the process exited, with its process folder.
    expect(existsSync(result.kept)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
