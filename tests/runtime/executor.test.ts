import { afterEach, describe, expect, it } from 'vitest';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import type { ApiPrompt } from '../../types/api.ts';
import { countingNodes, startEngine, type TestEngine } from '../helpers/engine.ts';

let engine: TestEngine | undefined;
afterEach(async () => {
  await engine?.runner.stop();
  engine = undefined;
});

async function run(e: TestEngine, prompt: ApiPrompt) {
  const submitted = await e.runner.submit({ prompt, clientId: 'test' });
  if (!submitted.ok) throw new Error(JSON.stringify(submitted));
  return { promptId: submitted.promptId, entry: await e.runner.waitFor(submitted.promptId) };
}

// 1 ─┐
//    ├─ 3 (add) ─ 4 (sink)
// 2 ─┘
// 5 ───────────── 6 (sink)
const graph = (a: number, b: number, c: number): ApiPrompt => ({
  '1': { class_type: 'TestNumber', inputs: { value: a } },
  '2': { class_type: 'TestNumber', inputs: { value: b } },
  '3': { class_type: 'TestAdd', inputs: { a: ['1', 0], b: ['2', 0] } },
  '4': { class_type: 'TestSink', inputs: { value: ['3', 0] } },
  '5': { class_type: 'TestNumber', inputs: { value: c } },
  '6': { class_type: 'TestSink', inputs: { value: ['5', 0] } },
});

describe('executor caching', () => {
  it('re-runs only the changed node and its descendants', async () => {
    const { runs, nodes } = countingNodes();
    engine = await startEngine(nodes);
    const first = await run(engine, graph(1, 2, 9));
    expect(first.entry.outputs['4']).toEqual({ text: ['3'] });
    expect(runs).toEqual({ '1': 1, '2': 1, '3': 1, '4': 1, '5': 1, '6': 1 });

    const second = await run(engine, graph(1, 5, 9));
    expect(second.entry.outputs['4']).toEqual({ text: ['6'] });
    expect(runs).toEqual({ '1': 1, '2': 2, '3': 2, '4': 2, '5': 1, '6': 1 });
    expect(second.entry.outputs['6']).toEqual({ text: ['9'] });
  });

  it('executes nothing for an unchanged prompt and reports every node cached', async () => {
    const { runs, nodes } = countingNodes();
    engine = await startEngine(nodes);
    await run(engine, graph(1, 2, 3));
    const again = await run(engine, graph(1, 2, 3));
    expect(runs).toEqual({ '1': 1, '2': 1, '3': 1, '4': 1, '5': 1, '6': 1 });
    const cached = again.entry.status.messages.find(([type]) => type === 'execution_cached')![1];
    expect((cached.nodes as string[]).sort()).toEqual(['1', '2', '3', '4', '5', '6']);
    // Cached output nodes still show their outputs.
    expect(again.entry.outputs).toEqual({ '4': { text: ['3'] }, '6': { text: ['3'] } });
    const executed = engine.executionEvents(again.promptId).filter((e) => e.type === 'executed');
    expect(executed.map((e) => e.data.node).sort()).toEqual(['4', '6']);
  });

  it('keys the cache by structure, not by node id (unless the node asks for its id)', async () => {
    const calls: string[] = [];
    const Plain: NodeDefinition = {
      type: 'TestPlain',
      inputs: { required: { value: { type: 'STRING' } } },
      outputs: [{ type: 'STRING' }],
      execute: ({ value }) => {
        calls.push(value);
        return [value];
      },
    };
    const { runs, nodes } = countingNodes();
    engine = await startEngine([Plain, ...nodes]);
    await run(engine, {
      '1': { class_type: 'TestPlain', inputs: { value: 'a' } },
      '2': { class_type: 'TestSink', inputs: { value: ['1', 0] } },
      // Identical to node 1: shares its cache entry within the same prompt.
      '3': { class_type: 'TestPlain', inputs: { value: 'a' } },
      '4': { class_type: 'TestSink', inputs: { value: ['3', 0] } },
    });
    expect(calls).toEqual(['a']);
    await run(engine, {
      x: { class_type: 'TestPlain', inputs: { value: 'a' } },
      y: { class_type: 'TestSink', inputs: { value: ['x', 0] } },
    });
    expect(calls).toEqual(['a']);
    // TestSink declares UNIQUE_ID, so its id is part of its key: each id ran once.
    expect(runs).toEqual({ '2': 1, '4': 1, y: 1 });
  });

  it('re-runs a node whose isChanged fingerprint changes, and always on NaN', async () => {
    let fingerprint: unknown = 'v1';
    let executions = 0;
    const Watched: NodeDefinition = {
      type: 'TestWatched',
      outputNode: true,
      inputs: { required: { path: { type: 'STRING', default: '' } } },
      isChanged: ({ path }) => {
        expect(path).toBe('file.txt');
        return fingerprint;
      },
      execute: () => {
        executions++;
        return { ui: { text: [String(executions)] } };
      },
    };
    engine = await startEngine([Watched]);
    const prompt = { '1': { class_type: 'TestWatched', inputs: { path: 'file.txt' } } };
    await run(engine, prompt);
    await run(engine, prompt);
    expect(executions).toBe(1);
    fingerprint = 'v2';
    await run(engine, prompt);
    expect(executions).toBe(2);
    fingerprint = NaN;
    await run(engine, prompt);
    await run(engine, prompt);
    expect(executions).toBe(4);
  });

  it('passes isChanged only literal inputs (links arrive as null)', async () => {
    const seen: unknown[] = [];
    const Sink: NodeDefinition = {
      type: 'TestLiteralOnly',
      outputNode: true,
      inputs: { required: { value: { type: 'INT', forceInput: true }, label: { type: 'STRING' } } },
      isChanged: (inputs) => {
        seen.push(inputs);
        return 0;
      },
      execute: () => ({ ui: {} }),
    };
    engine = await startEngine([Sink]);
    await run(engine, {
      '1': { class_type: 'PrimitiveInt', inputs: { value: 4 } },
      '2': { class_type: 'TestLiteralOnly', inputs: { value: ['1', 0], label: 'x' } },
    });
    expect(seen).toEqual([{ value: null, label: 'x' }]);
  });
});

describe('executor events, errors and interruption', () => {
  it('emits ComfyUI lifecycle events in order', async () => {
    const { nodes } = countingNodes();
    engine = await startEngine(nodes);
    const { promptId } = await run(engine, {
      '1': { class_type: 'TestNumber', inputs: { value: 2 } },
      '2': { class_type: 'TestSink', inputs: { value: ['1', 0] } },
    });
    const types = engine.executionEvents(promptId).map((e) => `${e.type}${'node' in e.data && e.type !== 'progress_state' ? `:${e.data.node}` : ''}`).filter((t) => t !== 'progress_state');
    expect(types).toEqual(['execution_start', 'execution_cached', 'executing:1', 'executing:2', 'executed:2', 'execution_success', 'executing:null']);
  });

  // ComfyUI answers POST /prompt before the prompt starts: server.py post_prompt puts it on the
  // queue and returns, and main.py's prompt_worker thread runs it. Clients rely on it: they learn
  // the prompt_id from the answer and only then listen for its messages
  // (@stable-canvas/comfyui-client's Workflow.invoke missed a fast prompt's `executed` otherwise).
  it("starts a prompt only after its submit has answered, and a cancel in between keeps it from running", async () => {
    const { runs, nodes } = countingNodes();
    engine = await startEngine(nodes);
    const prompt: ApiPrompt = { '1': { class_type: 'TestNumber', inputs: { value: 4 } }, '2': { class_type: 'TestSink', inputs: { value: ['1', 0] } } };
    const submitted = await engine.runner.submit({ prompt, clientId: 'test' });
    if (!submitted.ok) throw new Error('invalid');
    // Where the server writes the HTTP answer: no message of this prompt may have gone out yet.
    expect(engine.executionEvents(submitted.promptId)).toEqual([]);
    await engine.runner.waitFor(submitted.promptId);
    expect(engine.executionEvents(submitted.promptId)[0]?.type).toBe('execution_start');
    expect(runs).toEqual({ '1': 1, '2': 1 });

    const again = await engine.runner.submit({ prompt: { ...prompt, '1': { class_type: 'TestNumber', inputs: { value: 5 } } }, clientId: 'test' });
    if (!again.ok) throw new Error('invalid');
    // Taken off the queue or not yet, the prompt is cancelled before any node runs.
    expect(await engine.runner.cancel(again.promptId)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runs).toEqual({ '1': 1, '2': 1 });
  });

  it('reports an error in one node, keeps going with the next prompt', async () => {
    const Broken: NodeDefinition = {
      type: 'TestBroken',
      inputs: { required: { value: { type: 'INT', forceInput: true } } },
      outputs: [{ type: 'INT' }],
      execute: () => {
        throw new RangeError('the value is out of this world');
      },
    };
    const { runs, nodes } = countingNodes();
    engine = await startEngine([Broken, ...nodes]);
    const failed = await run(engine, {
      '1': { class_type: 'TestNumber', inputs: { value: 7 } },
      '2': { class_type: 'TestBroken', inputs: { value: ['1', 0] } },
      '3': { class_type: 'TestSink', inputs: { value: ['2', 0] } },
    });
    expect(failed.entry.status.status_str).toBe('error');
    expect(failed.entry.status.completed).toBe(false);
    const error = engine.executionEvents(failed.promptId).find((e) => e.type === 'execution_error');
    expect(error?.data).toMatchObject({
      prompt_id: failed.promptId,
      node_id: '2',
      node_type: 'TestBroken',
      exception_type: 'RangeError',
      exception_message: 'the value is out of this world',
      executed: ['1'],
      current_inputs: { value: [7] },
    });
    expect((error?.data as { traceback: string[] }).traceback.join('')).toContain('the value is out of this world');
    expect(runs['3']).toBeUndefined();
    // The finished marker still arrives, and the queue runs the next prompt.
    expect(engine.executionEvents(failed.promptId).at(-1)).toEqual({ type: 'executing', data: { node: null, prompt_id: failed.promptId } });
    const next = await run(engine, { '1': { class_type: 'TestNumber', inputs: { value: 1 } }, '3': { class_type: 'TestSink', inputs: { value: ['1', 0] } } });
    expect(next.entry.status.status_str).toBe('success');
  });

  it('stops a long node within 100 ms of its next check after an interrupt', async () => {
    let stoppedAt = 0;
    const Long: NodeDefinition = {
      type: 'TestLong',
      outputNode: true,
      inputs: { required: { steps: { type: 'INT', default: 1000 } } },
      async execute({ steps }, ctx) {
        try {
          for (let i = 0; i < steps; i++) {
            ctx.progress(i, steps);
            await new Promise((r) => setTimeout(r, 20));
          }
        } finally {
          stoppedAt = performance.now();
        }
        return { ui: { text: ['finished'] } };
      },
    };
    engine = await startEngine([Long]);
    const submitted = await engine.runner.submit({ prompt: { '1': { class_type: 'TestLong', inputs: { steps: 1000 } } } });
    if (!submitted.ok) throw new Error('invalid');
    await new Promise<void>((resolve) => {
      const off = engine!.runner.on((e) => {
        if (e.kind === 'execution' && e.event.type === 'progress' && e.event.data.value === 3) {
          off();
          resolve();
        }
      });
    });
    const interruptedAt = performance.now();
    expect(engine.runner.interruptRunning()).toBe(true);
    const entry = await engine.runner.waitFor(submitted.promptId);
    expect(stoppedAt - interruptedAt).toBeLessThan(100);
    expect(entry.status).toMatchObject({ status_str: 'error', completed: false });
    expect(entry.status.messages.map(([t]) => t)).toEqual(['execution_start', 'execution_cached', 'execution_interrupted']);
    expect(entry.outputs).toEqual({});
  });

  it('sends progress for the running node', async () => {
    const Stepper: NodeDefinition = {
      type: 'TestStepper',
      outputNode: true,
      execute(_inputs, ctx) {
        for (let i = 1; i <= 3; i++) ctx.progress(i, 3);
        return { ui: {} };
      },
    };
    engine = await startEngine([Stepper]);
    const { promptId } = await run(engine, { a: { class_type: 'TestStepper', inputs: {} } });
    const progress = engine.executionEvents(promptId).filter((e) => e.type === 'progress');
    expect(progress.map((e) => e.data)).toEqual([1, 2, 3].map((value) => ({ value, max: 3, prompt_id: promptId, node: 'a' })));
    const state = engine.executionEvents(promptId).filter((e) => e.type === 'progress_state').at(-1);
    expect(state?.data).toMatchObject({ nodes: { a: { state: 'finished', node_id: 'a' } } });
  });
});

describe('list semantics', () => {
  const Range: NodeDefinition = {
    type: 'TestRange',
    inputs: { required: { count: { type: 'INT', default: 3 } } },
    outputs: [{ type: 'INT', isList: true }],
    execute: ({ count }) => [Array.from({ length: count }, (_, i) => i + 1)],
  };
  const Times: NodeDefinition = {
    type: 'TestTimes',
    inputs: { required: { a: { type: 'INT', forceInput: true }, b: { type: 'INT', forceInput: true } } },
    outputs: [{ type: 'INT' }],
    execute: ({ a, b }) => [a * b],
  };
  const Collect: NodeDefinition = {
    type: 'TestCollect',
    outputNode: true,
    inputIsList: true,
    inputs: { required: { values: { type: 'INT', forceInput: true } } },
    execute: ({ values }) => ({ ui: { text: [JSON.stringify(values)] } }),
  };
  const Show: NodeDefinition = {
    type: 'TestShow',
    outputNode: true,
    inputs: { required: { value: { type: 'INT', forceInput: true } } },
    execute: ({ value }) => ({ ui: { text: [String(value)] } }),
  };

  it('maps nodes over lists, repeats the last element of shorter lists, and merges UI', async () => {
    engine = await startEngine([Range, Times, Collect, Show]);
    const { entry } = await run(engine, {
      '1': { class_type: 'TestRange', inputs: { count: 4 } },
      '2': { class_type: 'TestRange', inputs: { count: 2 } },
      '3': { class_type: 'TestTimes', inputs: { a: ['1', 0], b: ['2', 0] } },
      '4': { class_type: 'TestCollect', inputs: { values: ['3', 0] } },
      '5': { class_type: 'TestShow', inputs: { value: ['3', 0] } },
    });
    // a = 1,2,3,4 and b = 1,2,2,2 (the last element repeats)
    expect(entry.outputs['4']).toEqual({ text: ['[1,4,6,8]'] });
    expect(entry.outputs['5']).toEqual({ text: ['1', '4', '6', '8'] });
  });
});

describe('executor expansions', () => {
  const Value: NodeDefinition = {
    type: 'TestValue',
    inputs: { required: { value: { type: 'INT' } } },
    outputs: [{ type: 'INT' }],
    execute: ({ value }) => [value],
  };
  const Show: NodeDefinition = {
    type: 'TestShowValue',
    outputNode: true,
    inputs: { required: { value: { type: '*' } } },
    execute: ({ value }) => ({ ui: { text: [JSON.stringify(value)] } }),
  };
  const within = <T>(promise: Promise<T>, ms: number) =>
    Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no result within ${ms} ms`)), ms))]);

  it('runs non-concurrent expansion children (the expanding node does not keep the lock)', async () => {
    const PlusOne: NodeDefinition = {
      type: 'TestPlusOne',
      inputs: { required: { value: { type: 'INT' } } },
      outputs: [{ type: 'INT' }],
      execute: ({ value }, ctx) => ({ result: [[`${ctx.expansionPrefix}v`, 0]], expand: { [`${ctx.expansionPrefix}v`]: { class_type: 'TestValue', inputs: { value: value + 1 } } } }),
    };
    engine = await startEngine([Value, Show, PlusOne]);
    const { entry } = await within(run(engine, { '1': { class_type: 'TestPlusOne', inputs: { value: 1 } }, '2': { class_type: 'TestShowValue', inputs: { value: ['1', 0] } } }), 2000);
    expect(entry.outputs['2']).toEqual({ text: ['2'] });
  });

  it('hands rawLink inputs the link itself and DYNPROMPT the live graph', async () => {
    const Inspect: NodeDefinition = {
      type: 'TestInspect',
      inputs: { required: { source: { type: 'INT', rawLink: true } }, hidden: { graph: 'DYNPROMPT' } },
      outputs: [{ type: '*' }],
      execute: ({ source, graph }) => [{ link: source, sourceClass: graph.getNode(source[0])?.class_type, ephemeral: graph.isEphemeral(source[0]) }],
    };
    engine = await startEngine([Value, Show, Inspect]);
    const { entry } = await run(engine, {
      '1': { class_type: 'TestValue', inputs: { value: 7 } },
      '2': { class_type: 'TestInspect', inputs: { source: ['1', 0] } },
      '3': { class_type: 'TestShowValue', inputs: { value: ['2', 0] } },
    });
    expect(JSON.parse((entry.outputs['3']!.text as string[])[0]!)).toEqual({ link: ['1', 0], sourceClass: 'TestValue', ephemeral: false });
  });

  it('reports a cycle between expansion nodes on the expanding node instead of hanging', async () => {
    const Pair: NodeDefinition = {
      type: 'TestValuePair',
      inputs: { required: { a: { type: 'INT' } }, optional: { b: { type: 'INT' } } },
      outputs: [{ type: 'INT' }],
      execute: ({ a }) => [a],
    };
    const MakeCycle: NodeDefinition = {
      type: 'TestMakeCycle',
      inputs: { required: { value: { type: 'INT' } } },
      outputs: [{ type: 'INT' }],
      execute: (_inputs, ctx) => {
        const p = ctx.expansionPrefix;
        return {
          result: [[`${p}x`, 0]],
          expand: { [`${p}x`]: { class_type: 'TestValuePair', inputs: { a: [`${p}y`, 0] } }, [`${p}y`]: { class_type: 'TestValuePair', inputs: { a: [`${p}x`, 0] } } },
        };
      },
    };
    engine = await startEngine([Value, Show, Pair, MakeCycle]);
    const { entry } = await within(run(engine, { '1': { class_type: 'TestMakeCycle', inputs: { value: 1 } }, '2': { class_type: 'TestShowValue', inputs: { value: ['1', 0] } } }), 2000);
    expect(entry.status.status_str).toBe('error');
    const error = entry.status.messages.find(([type]) => type === 'execution_error')![1];
    expect(error).toMatchObject({ node_id: '1', exception_message: 'Dependency cycle detected' });
  });
});
