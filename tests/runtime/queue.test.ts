import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { History } from '../../server/runtime/history.ts';
import { PromptQueue } from '../../server/runtime/queue.ts';
import { PromptRunner } from '../../server/runtime/runner.ts';
import { createRegistry } from '../../server/host.ts';
import { FolderStorage, folderLayout } from '../../server/storage/folders.ts';
import { HistoryFile } from '../../server/storage/history-file.ts';
import type { HistoryEntry } from '../../types/api.ts';
import { tempDir } from '../helpers/engine.ts';

const item = (promptId: string) => ({ promptId, prompt: {}, outputs: [] });

describe('prompt queue', () => {
  it('runs in number order, front-of-queue first, ties by prompt id', async () => {
    const queue = new PromptQueue();
    expect(queue.enqueue(item('a')).number).toBe(0);
    expect(queue.enqueue(item('b')).number).toBe(1);
    expect(queue.enqueue({ ...item('c'), front: true }).number).toBe(-2);
    queue.enqueue({ ...item('e'), number: 1 });
    expect(queue.pending().map((p) => p.promptId)).toEqual(['c', 'a', 'b', 'e']);
    const taken: string[] = [];
    for (let i = 0; i < 4; i++) {
      taken.push((await queue.take())!.promptId);
      queue.done();
    }
    expect(taken).toEqual(['c', 'a', 'b', 'e']);
  });

  it('deletes and clears pending items, never the running one', async () => {
    const queue = new PromptQueue();
    for (const id of ['a', 'b', 'c', 'd']) queue.enqueue(item(id));
    await queue.take();
    expect(queue.delete(['a', 'c'])).toBe(1);
    expect(queue.pending().map((p) => p.promptId)).toEqual(['b', 'd']);
    expect(queue.remaining()).toBe(3);
    queue.clear();
    expect(queue.remaining()).toBe(1);
    expect(queue.running?.promptId).toBe('a');
  });

  it('keeps API secrets out of listings', () => {
    const queue = new PromptQueue();
    const queued = queue.enqueue({ ...item('a'), extraData: { api_key_comfy_org: 'secret', client_id: 'c' } });
    expect(queued.extraData).toEqual({ client_id: 'c' });
    expect(queued.secrets).toEqual({ api_key_comfy_org: 'secret' });
  });
});

describe('history', () => {
  const entry = (n: number) => ({ prompt: [n, `p${n}`, {}, {}, []], outputs: {}, status: { status_str: 'success', completed: true, messages: [] }, meta: {} }) as HistoryEntry;

  it('paginates like ComfyUI', () => {
    const history = new History();
    for (let i = 0; i < 5; i++) history.add(`p${i}`, entry(i));
    const keys = (r: Record<string, unknown>) => Object.keys(r);
    expect(keys(history.list())).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(keys(history.list(2))).toEqual(['p3', 'p4']);
    expect(keys(history.list(undefined, 3))).toEqual(['p3', 'p4']);
    expect(keys(history.list(2, 1))).toEqual(['p1', 'p2']);
    expect(keys(history.list(2, 0))).toEqual(['p3', 'p4']);
    expect(history.list(undefined, 5)).toEqual({});
    expect(history.list(1, 9)).toEqual({});
  });

  it('caps its size, evicting the oldest', () => {
    const history = new History(undefined, 3);
    for (let i = 0; i < 5; i++) history.add(`p${i}`, entry(i));
    expect(Object.keys(history.list())).toEqual(['p2', 'p3', 'p4']);
  });

  it('survives a restart through the history file', async () => {
    const base = tempDir();
    const storage = new FolderStorage(folderLayout({ base }));
    const file = join(base, 'user', 'history.json');
    const makeRunner = () =>
      new PromptRunner({ registry: createRegistry(), env: { storage, services: {} }, historyStore: new HistoryFile(file) });
    const first = makeRunner();
    await first.start();
    const submitted = await first.submit({ prompt: { '1': { class_type: 'PreviewAny', inputs: { source: 'kept' } } } });
    if (!submitted.ok) throw new Error('invalid');
    await first.waitFor(submitted.promptId);
    await first.stop();
    expect(JSON.parse(readFileSync(file, 'utf8')).entries).toHaveLength(1);

    const second = makeRunner();
    await second.start();
    expect(second.history.get(submitted.promptId)?.outputs).toEqual({ '1': { text: ['kept'] } });
    await second.stop();
  });

  it('starts empty, keeping a damaged file aside', async () => {
    const base = tempDir();
    const file = join(base, 'history.json');
    const { writeFileSync, readdirSync } = await import('node:fs');
    writeFileSync(file, '{ not json');
    expect(await new HistoryFile(file).load()).toEqual([]);
    expect(readdirSync(base).some((n) => n.startsWith('history.json.damaged-'))).toBe(true);
  });
});
