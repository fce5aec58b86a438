// Small nodes and an in-memory host for driving the engine the way the server and CLI do.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry, createServices } from '../../server/host.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { PromptRunner } from '../../server/runtime/runner.ts';
import type { RunnerEvent } from '../../server/runtime/prompt-service.ts';
import { FolderStorage, folderLayout } from '../../server/storage/folders.ts';
import type { ExecutionEvent } from '../../types/api.ts';

export function tempDir(prefix = 'flashgraph-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Nodes that count their executions, so tests can tell what ran. */
export function countingNodes() {
  const runs: Record<string, number> = {};
  const count = (id: string) => (runs[id] = (runs[id] ?? 0) + 1);
  const Number_: NodeDefinition = {
    type: 'TestNumber',
    inputs: { required: { value: { type: 'INT', default: 0, min: -100, max: 100 } }, hidden: { id: 'UNIQUE_ID' } },
    outputs: [{ type: 'INT' }],
    execute: ({ value, id }) => {
      count(id);
      return [value];
    },
  };
  const Add: NodeDefinition = {
    type: 'TestAdd',
    inputs: { required: { a: { type: 'INT', forceInput: true }, b: { type: 'INT', forceInput: true } }, hidden: { id: 'UNIQUE_ID' } },
    outputs: [{ type: 'INT' }],
    execute: ({ a, b, id }) => {
      count(id);
      return [a + b];
    },
  };
  const Sink: NodeDefinition = {
    type: 'TestSink',
    outputNode: true,
    inputs: { required: { value: { type: '*' } }, hidden: { id: 'UNIQUE_ID' } },
    execute: ({ value, id }) => {
      count(id);
      return { ui: { text: [String(value)] } };
    },
  };
  return { runs, nodes: [Number_, Add, Sink] };
}

export interface TestEngine {
  runner: PromptRunner;
  storage: FolderStorage;
  events: RunnerEvent[];
  executionEvents(promptId?: string): ExecutionEvent[];
}

export async function startEngine(extraNodes: NodeDefinition[] = [], base = tempDir()): Promise<TestEngine> {
  const registry = createRegistry();
  for (const def of extraNodes) registry.register(def);
  const storage = new FolderStorage(folderLayout({ base }));
  const runner = new PromptRunner({ registry, env: { storage, services: createServices() }, progressState: true });
  const events: RunnerEvent[] = [];
  runner.on((e) => events.push(e));
  await runner.start();
  return {
    runner,
    storage,
    events,
    executionEvents: (promptId) =>
      events.flatMap((e) => (e.kind === 'execution' && (promptId === undefined || e.event.data.prompt_id === promptId) ? [e.event] : [])),
  };
}
