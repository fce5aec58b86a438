// The sampler keeps what it holds per window in record stores instead of arrays of all windows:
// every window's emotion tokens (written once, read back before the window's DiT calls of each full
// step) and the multistep solvers' / ALP forecasters' history (one shared set of buffers, loaded and
// saved around each window's step). With the node's file-backed stores they cost disk, not memory.
// Results must not change; each DiT call must see its own window's tokens; stores are closed (their
// files deleted) after sampling and after a failure.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileRecordStore } from '../../../server/media/record-store.ts';
import type { RecordStoreFactory } from '../../../nodes/flashportrait/pipeline/record-store.ts';
import { sampleFlashPortrait } from '../../../nodes/flashportrait/pipeline/sampler.ts';
import { tempDir } from '../../helpers/engine.ts';
import { syntheticNetworks, syntheticRequest } from './synthetic.ts';

/** A file-backed factory that counts what the sampler does with its store. */
function spyingFiles(directory: string) {
  const seen = { writes: [] as number[], reads: [] as number[], paths: [] as string[], names: [] as string[], closed: 0 };
  const factory: RecordStoreFactory = async (name, length) => {
    const store = await FileRecordStore.open(directory, length, name);
    seen.paths.push(store.path);
    seen.names.push(name);
    return {
      write: (i, r, offset) => { if (name === 'emotion tokens') seen.writes.push(i); return store.write(i, r, offset); },
      read: (i, into, offset) => { if (name === 'emotion tokens') seen.reads.push(i); return store.read(i, into, offset); },
      close: () => { seen.closed++; return store.close(); },
    };
  };
  return { seen, factory };
}

/** Synthetic networks whose emotion tokens say which window (first driving frame) they came from. */
function windowTaggedNetworks() {
  const net = syntheticNetworks({ channels: 4 });
  const seenByWindow = new Map<number, Set<number>>();
  const transformer = net.transformer.bind(net);
  net.portraitEncoder = async ({ frameStart, frameEnd }) => ({ tokens: new Float32Array((frameEnd - frameStart) * 24 * 2).fill(frameStart + 1), width: 2 });
  net.transformer = async (call) => {
    const tags = seenByWindow.get(call.window) ?? new Set<number>();
    tags.add(call.emotion.tokens.find((v) => v !== 0)!);
    seenByWindow.set(call.window, tags);
    return transformer(call);
  };
  return { net, seenByWindow };
}

describe('emotion tokens in a record store', () => {
  it('writes one record per window, reads it before each window step, and gives every DiT call its own window\'s tokens', async () => {
    const request = syntheticRequest({ drivingFrames: 61, steps: 3 }); // 16 latent frames, windows of 5 overlapping by 2
    const { net, seenByWindow } = windowTaggedNetworks();
    const { seen, factory } = spyingFiles(join(tempDir('flashgraph-emotion-'), 'frame-store'));
    const spilled = await sampleFlashPortrait(request, net, { records: factory });
    const windows = spilled.plan.windows;
    expect(windows.length).toBeGreaterThan(4);
    expect(seen.writes).toEqual(windows.map((_, w) => w));
    expect(seen.reads).toEqual([0, 1, 2].flatMap(() => windows.map((_, w) => w)));
    for (const [w, window] of windows.entries()) expect([...seenByWindow.get(w)!]).toEqual([window.emotionFrames[0] + 1]);
    // Euler keeps no history; the whole-video latents and this step's merged result are stores too.
    expect(seen.names).toEqual(['emotion tokens', 'latents', 'merged latents']);
    expect(seen.closed).toBe(2); // the latents stay open for the decode
    expect(existsSync(seen.paths[0]!)).toBe(false);

    const inMemory = await sampleFlashPortrait(request, windowTaggedNetworks().net);
    expect((await spilled.latents.materialize()).data).toEqual((await inMemory.latents.materialize()).data);
  });

  for (const [scheduler, alp] of [['unipc', false], ['dpmpp', true]] as const) {
    it(`${scheduler}${alp ? ' with ALP' : ''}: the windows' history in one shared set of buffers and a store gives the same latents`, async () => {
      const request = syntheticRequest({ drivingFrames: 61, steps: 6, scheduler, textCfgScale: 2, ...(alp ? { alp: { interval: 2, order: 2, alpha: 1.5 } } : {}) });
      const { seen, factory } = spyingFiles(join(tempDir('flashgraph-state-'), 'frame-store'));
      const spilled = await sampleFlashPortrait(request, syntheticNetworks({ channels: 4 }), { records: factory });
      const inMemory = await sampleFlashPortrait(request, syntheticNetworks({ channels: 4 }));
      expect(seen.names).toEqual(['emotion tokens', 'latents', 'merged latents', 'window solver state']);
      expect(spilled.plan.windows.length).toBeGreaterThan(4);
      expect((await spilled.latents.materialize()).data).toEqual((await inMemory.latents.materialize()).data);
      await spilled.latents.close();
      expect(seen.closed).toBe(4);
      for (const path of seen.paths) expect(existsSync(path)).toBe(false);
    });
  }

  it('closes the store when sampling fails', async () => {
    const { net } = windowTaggedNetworks();
    const { seen, factory } = spyingFiles(join(tempDir('flashgraph-emotion-'), 'frame-store'));
    net.transformer = async () => { throw new Error('DiT out of memory'); };
    await expect(sampleFlashPortrait(syntheticRequest({ drivingFrames: 61, steps: 2 }), net, { records: factory })).rejects.toThrow('DiT out of memory');
    expect(seen.closed).toBe(3);
    for (const path of seen.paths) expect(existsSync(path)).toBe(false);
  });
});
