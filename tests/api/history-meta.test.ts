// History `meta` (and `outputs`) list only nodes that showed something: ComfyUI's execution.py
// (Comfy-Org/ComfyUI a125cd84) records a node's ui cache entry, meta included, only when
// `len(output_ui) > 0` (lines 506-515) and builds `meta` from those entries (lines 708-719).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { startTestServer, TEST_NODES, type TestServer, waitUntil } from './helpers.ts';

const TestNumber: NodeDefinition = {
  type: 'TestNumber',
  category: 'testing',
  inputs: { required: { value: { type: 'INT', default: 1, min: 0, max: 100 } } },
  outputs: [{ type: 'INT', name: 'INT' }],
  execute: ({ value }) => [value],
};

/** An output node that shows nothing (an empty ui object). */
const TestSilentOutput: NodeDefinition = {
  type: 'TestSilentOutput',
  category: 'testing',
  outputNode: true,
  inputs: { required: { value: { type: 'INT', default: 0, min: 0, max: 100 } } },
  execute: () => ({ ui: {} }),
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ nodes: [...TEST_NODES, TestNumber, TestSilentOutput] });
});
afterAll(() => server.close());

it('history meta and outputs name only the nodes with UI output', async () => {
  const prompt = {
    '1': { class_type: 'TestNumber', inputs: { value: 3 } },
    '2': { class_type: 'TestSteps', inputs: { steps: ['1', 0], delay_ms: 0, preview: false, tag: '' } },
    '3': { class_type: 'TestSilentOutput', inputs: { value: ['1', 0] } },
  };
  const queued = (await (await server.post('/api/prompt', { prompt })).json()) as { prompt_id: string };
  let entry: { outputs: Record<string, unknown>; meta: Record<string, unknown>; status: { completed: boolean } } | undefined;
  await waitUntil(async () => {
    const history = (await (await server.get(`/api/history/${queued.prompt_id}`)).json()) as Record<string, typeof entry>;
    entry = history[queued.prompt_id];
    return entry !== undefined;
  });
  expect(entry!.status.completed).toBe(true);
  expect(Object.keys(entry!.outputs)).toEqual(['2']);
  expect(entry!.meta).toEqual({ '2': { node_id: '2', display_node: '2', parent_node: null, real_node_id: '2' } });
});
