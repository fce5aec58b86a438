// The engine's own limits (issue 23, items 3 and 4), for prompts that do not come through HTTP
// (graph run, restored queues, Redis workers): validation is iterative, so a chain as long as
// the node limit validates (the recursive validator overflowed the stack near 5,000); node ids
// that are Object.prototype names are plain keys; deep values are refused by name; and history
// keeps what JSON can hold of an entry instead of failing to save or serve it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../types/api.ts';
import { createRegistry, createServices } from '../../server/host.ts';
import { History, storableEntry } from '../../server/runtime/history.ts';
import { MAX_JSON_DEPTH, nestingDepthExceeds } from '../../server/runtime/json-depth.ts';
import { extraDataError, MAX_PROMPT_NODES, validatePrompt } from '../../server/runtime/validate.ts';
import { FolderStorage, folderLayout } from '../../server/storage/folders.ts';
import { HistoryFile } from '../../server/storage/history-file.ts';
import { tempDir } from '../helpers/engine.ts';

const registry = createRegistry();
const env = { storage: new FolderStorage(folderLayout({ base: tempDir() })), services: createServices() };

function chain(length: number, cycle = false) {
  const prompt: Record<string, unknown> = {};
  for (let i = 0; i < length; i++) {
    prompt[String(i)] = { class_type: 'PrimitiveInt', inputs: { value: i > 0 ? [String(i - 1), 0] : cycle ? [String(length - 1), 0] : 1 } };
  }
  prompt.out = { class_type: 'PreviewAny', inputs: { source: [String(length - 1), 0] } };
  return prompt;
}

/** A value nested `depth` levels deep, built without recursion. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('validation at the size limit', () => {
  it(`validates a chain of ${MAX_PROMPT_NODES - 1} links and orders it`, async () => {
    const result = await validatePrompt(chain(MAX_PROMPT_NODES - 1), registry, env);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.outputs).toEqual(['out']);
  });

  it('reports a cycle as long as the limit allows on every member', async () => {
    const result = await validatePrompt(chain(MAX_PROMPT_NODES - 1, true), registry, env);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.nodeErrors)).toHaveLength(MAX_PROMPT_NODES - 1);
    expect(result.nodeErrors['0']!.errors[0]).toMatchObject({ type: 'dependency_cycle', extra_info: { cycle_length: MAX_PROMPT_NODES - 1 } });
    expect(result.nodeErrors['0']!.dependent_outputs).toEqual(['out']);
  });

  it('refuses a prompt over the limit by its size', async () => {
    const result = await validatePrompt(chain(MAX_PROMPT_NODES), registry, env);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toBe(`Cannot execute because the prompt has ${MAX_PROMPT_NODES + 1} nodes; the limit is ${MAX_PROMPT_NODES}.`);
  });
});

describe('prototype names and deep values', () => {
  it('treats "constructor" and "__proto__" as ids like any other', async () => {
    const prompt = JSON.parse('{"__proto__":{"class_type":"PrimitiveInt","inputs":{"value":2}},"1":{"class_type":"PreviewAny","inputs":{"source":["constructor",0]}}}');
    const result = await validatePrompt(prompt, registry, env);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.nodeErrors['1']!.errors[0]!.details).toMatch(/linked to node 'constructor', which is not in the prompt/);
    const ok = await validatePrompt(JSON.parse('{"__proto__":{"class_type":"PrimitiveInt","inputs":{"value":2}},"1":{"class_type":"PreviewAny","inputs":{"source":["__proto__",0]}}}'), registry, env);
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(Object.keys(ok.prompt).sort()).toEqual(['1', '__proto__']);
  });

  it('refuses an input or extra_data nested past the limit, naming it', async () => {
    const result = await validatePrompt({ '7': { class_type: 'PrimitiveString', inputs: { value: nested(10_000) } } }, registry, env);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toBe(`Cannot execute because input "value" of node 7 nests deeper than ${MAX_JSON_DEPTH} levels (the limit for JSON values)`);
    expect(extraDataError({ extra_pnginfo: nested(100_000) })?.error.message).toMatch(/extra_data nests deeper than 256 levels/);
    expect(extraDataError({ extra_pnginfo: nested(MAX_JSON_DEPTH - 1) })).toBeUndefined();
    expect(nestingDepthExceeds(nested(MAX_JSON_DEPTH - 1))).toBe(false); // the innermost 1 is not a level
    expect(nestingDepthExceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
  });
});

describe('history keeps going past one bad entry', () => {
  const entry = (extraData: unknown): HistoryEntry => ({
    prompt: [0, 'x', {}, extraData as never, []],
    outputs: {},
    status: { status_str: 'success', completed: true, messages: [] },
    meta: {},
  });

  it('stores the entry without the part JSON cannot hold, saves and serves everything', async () => {
    const path = join(tempDir(), 'history.json');
    const errors: string[] = [];
    const history = new History(new HistoryFile(path), undefined, (error) => errors.push((error as Error).message));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    history.add('deep', entry({ extra_pnginfo: nested(100_000) }));
    history.add('cyclic', { ...entry({}), outputs: { '1': { text: [cyclic] } } as never });
    history.add('good', entry({ client_id: 'c' }));
    await history.flush();
    expect(() => JSON.stringify(history.list())).not.toThrow();
    const saved = JSON.parse(readFileSync(path, 'utf8'));
    expect(saved.entries.map(([id]: [string]) => id)).toEqual(['deep', 'cyclic', 'good']);
    expect(saved.entries[0][1].prompt[3]).toEqual({});
    expect(saved.entries[1][1].outputs).toEqual({});
    expect(saved.entries[2][1].prompt[3]).toEqual({ client_id: 'c' });
    expect(errors).toEqual([
      'history entry deep: extra_data could not be stored (nested too deeply or not JSON) and was left out',
      'history entry cyclic: outputs could not be stored (nested too deeply or not JSON) and was left out',
    ]);
    expect(storableEntry(entry({ a: 1 })).dropped).toEqual([]);
  });

  it('HistoryFile writes the entries it can and names the one it could not', async () => {
    const path = join(tempDir(), 'history.json');
    const file = new HistoryFile(path);
    const bad = entry({ big: 1n });
    await expect(file.save([['bad', bad], ['good', entry({})]])).rejects.toThrow(/history entries bad could not be serialized/);
    expect((await file.load()).map(([id]) => id)).toEqual(['good']);
  });
});
