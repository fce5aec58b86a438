import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../server/host.ts';
import type { QueueStore } from '../../server/runtime/queue-persistence.ts';
import { PromptRunner } from '../../server/runtime/runner.ts';
import { FolderStorage, folderLayout } from '../../server/storage/folders.ts';
import { QueueFile } from '../../server/storage/queue-file.ts';
import type { QueueItem } from '../../types/api.ts';
import { tempDir } from '../helpers/engine.ts';

class MemoryStore implements QueueStore {
  saves: QueueItem[][] = [];
  constructor(public items: QueueItem[] = []) {}
  async load() {
    return this.items;
  }
  async save(items: QueueItem[]) {
    this.items = items;
    this.saves.push(items);
  }
}

const preview = (value: string) => ({ '1': { class_type: 'PreviewAny', inputs: { source: value } } });

function runner(store: QueueStore, errors: unknown[] = []) {
  const storage = new FolderStorage(folderLayout({ base: tempDir() }));
  return new PromptRunner({ registry: createRegistry(), env: { storage, services: {} }, queueStore: store, onError: (e) => errors.push(e) });
}

describe('queue persistence', () => {
  it('re-runs what was running and pending at a crash, in order, and drops prompts that no longer validate', async () => {
    const store = new MemoryStore([
      [1, 'was-running', preview('one'), { client_id: 'c' }, ['1']],
      [3, 'pending', preview('three'), {}, ['1']],
      [2, 'gone', { '1': { class_type: 'NoLongerInstalled', inputs: {} } }, {}, ['1']],
    ]);
    const errors: unknown[] = [];
    const engine = runner(store, errors);
    await engine.start();
    const first = await engine.waitFor('was-running');
    const second = await engine.waitFor('pending');
    expect(first.outputs['1']).toEqual({ text: ['one'] });
    expect(second.outputs['1']).toEqual({ text: ['three'] });
    expect(first.prompt[3]).toEqual({ client_id: 'c' });
    expect(String(errors[0])).toMatch(/gone no longer validates/);
    await engine.stop();
    expect(store.items).toEqual([]);
  });

  it('saves the running prompt first, then the pending ones, without secrets', async () => {
    const store = new MemoryStore();
    const engine = runner(store);
    await engine.submit({ prompt: preview('x'), promptId: 'p1', extraData: { api_key_comfy_org: 'k' } });
    await engine.submit({ prompt: preview('y'), promptId: 'p2' });
    // Not started: both pending; the writes are coalesced.
    await engine.start();
    await engine.waitFor('p2');
    await engine.stop();
    const withBoth = store.saves.find((s) => s.length === 2);
    expect(withBoth?.map((item) => item[1])).toEqual(['p1', 'p2']);
    expect(JSON.stringify(store.saves)).not.toContain('api_key');
  });

  it('QueueFile round-trips and sets a damaged file aside', async () => {
    const dir = tempDir();
    const file = new QueueFile(join(dir, 'queue.json'));
    expect(await file.load()).toEqual([]);
    const items: QueueItem[] = [[0, 'a', preview('a'), {}, ['1']]];
    await file.save(items);
    expect(await file.load()).toEqual(items);
    writeFileSync(join(dir, 'queue.json'), '{not json');
    expect(await file.load()).toEqual([]);
  });
});
