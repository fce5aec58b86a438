// Repairs of user/queue.json and user/history.json are never silent (issue 23, item 5): the file
// (or a copy) is kept as `.damaged-<time>`, and one stderr line says what was found, where the
// copy is and what was restored. A queue file of the wrong shape is kept, not dropped.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { QueueItem } from '../../types/api.ts';
import { HistoryFile } from '../../server/storage/history-file.ts';
import { QueueFile } from '../../server/storage/queue-file.ts';
import { launchServe } from '../api/helpers.ts';
import { tempDir } from '../helpers/engine.ts';

const item: QueueItem = [0, 'a', { '1': { class_type: 'PreviewAny', inputs: { source: 'x' } } }, {}, ['1']];

function damagedCopies(dir: string, name: string): string[] {
  return readdirSync(dir).filter((entry) => entry.startsWith(`${name}.damaged-`));
}

describe('damaged files are set aside and reported', () => {
  it('queue.json that is not JSON: moved aside, reported with its copy and what was restored', async () => {
    const dir = tempDir();
    const path = join(dir, 'queue.json');
    writeFileSync(path, '{"items": [ cut off');
    const lines: string[] = [];
    expect(await new QueueFile(path, { report: (line) => lines.push(line) }).load()).toEqual([]);
    const [copy] = damagedCopies(dir, 'queue.json');
    expect(readFileSync(join(dir, copy!), 'utf8')).toBe('{"items": [ cut off');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${path} is damaged \\(not valid JSON: .+\\); kept it as ${join(dir, copy!)}; no queued prompts were restored$`));
  });

  it('queue.json of the wrong shape is kept, not dropped', async () => {
    for (const text of ['[[0, "a", {}, {}, []]]', '{"version":1,"items":{"0":"a"}}', '"items"']) {
      const dir = tempDir();
      const path = join(dir, 'queue.json');
      writeFileSync(path, text);
      const lines: string[] = [];
      expect(await new QueueFile(path, { report: (line) => lines.push(line) }).load()).toEqual([]);
      const [copy] = damagedCopies(dir, 'queue.json');
      expect(copy, text).toBeDefined();
      expect(readFileSync(join(dir, copy!), 'utf8')).toBe(text);
      expect(lines).toEqual([`${path} has the wrong shape (no "items" list); kept it as ${join(dir, copy!)}; no queued prompts were restored`]);
    }
  });

  it('queue.json with some items that are not queue items: a copy is kept before they are dropped', async () => {
    const dir = tempDir();
    const path = join(dir, 'queue.json');
    const text = JSON.stringify({ version: 1, items: [item, ['not', 'an', 'item'], 7] });
    writeFileSync(path, text);
    const lines: string[] = [];
    const file = new QueueFile(path, { report: (line) => lines.push(line) });
    expect(await file.load()).toEqual([item]);
    const [copy] = damagedCopies(dir, 'queue.json');
    expect(readFileSync(join(dir, copy!), 'utf8')).toBe(text);
    expect(lines).toEqual([`${path} holds 2 of 3 items that are not queue items; kept a copy as ${join(dir, copy!)}; restored the other 1`]);
  });

  it('history.json damaged or of the wrong shape: set aside, "history starts empty"', async () => {
    for (const text of ['{ not json', '{"version":1,"entries":"none"}']) {
      const dir = tempDir();
      const path = join(dir, 'history.json');
      writeFileSync(path, text);
      const lines: string[] = [];
      expect(await new HistoryFile(path, { report: (line) => lines.push(line) }).load()).toEqual([]);
      expect(damagedCopies(dir, 'history.json')).toHaveLength(1);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/history\.json (is damaged \(not valid JSON: .+\)|has the wrong shape \(no "entries" list\)); kept it as .+\.damaged-\d+; history starts empty$/);
    }
  });

  it('graph serve says so on stderr', async () => {
    const base = tempDir();
    mkdirSync(join(base, 'user'));
    writeFileSync(join(base, 'user', 'queue.json'), '{"version":1,"items":"oops"}');
    writeFileSync(join(base, 'user', 'history.json'), '{ not json');
    const serve = await launchServe(['serve', '--port', '0', '--base-directory', base]);
    serve.child.kill('SIGTERM');
    await serve.exited;
    const stderr = serve.stderr();
    expect(stderr).toMatch(/user\/queue\.json has the wrong shape \(no "items" list\); kept it as \S+user\/queue\.json\.damaged-\d+; no queued prompts were restored/);
    expect(stderr).toMatch(/user\/history\.json is damaged \(not valid JSON: .+\); kept it as \S+user\/history\.json\.damaged-\d+; history starts empty/);
    expect(damagedCopies(join(base, 'user'), 'queue.json')).toHaveLength(1);
  }, 60_000);
});
