// ComfyUI's tests/execution/test_async_nodes.py: nodes declared `concurrent` (ComfyUI's async
// nodes) run alongside each other, fail, time out, validate and check lazy inputs asynchronously,
// expand into async nodes, and are cached like any node. Run under the classic and LRU caches.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import { CACHE_POLICIES, ComfyClient, ExecutionError, Graph, HttpError, startConformanceServer } from './client.ts';

const S = 8;
const image = (g: Graph, content: 'BLACK' | 'WHITE') => g.node('StubImage', { content, height: S, width: S, batch_size: 1 });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await run();
  return [value, performance.now() - started];
}

describe.each(CACHE_POLICIES.filter((p) => p.cachesResults))('async (concurrent) nodes (cache: $name)', ({ cache }) => {
  let server: RunningServer;
  let client: ComfyClient;
  let g: Graph;

  beforeAll(async () => {
    server = await startConformanceServer(cache);
    client = await ComfyClient.connect(server);
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });
  beforeEach(async (context) => {
    await fetch(`${server.url}/free`, { method: 'POST', body: JSON.stringify({ free_memory: true }) });
    client.testName = 'async';
    g = new Graph(`a${context.task.id.replace(/\W/g, '')}_`);
  });

  it('async: a basic async node passes its image through', async () => {
    const sleep = g.node('TestSleep', { value: image(g, 'BLACK').out(0), seconds: 0.1 });
    const output = g.node('TestSaveImage', { images: sleep.out(0) });
    const result = await client.run(g);
    expect(result.didRun(sleep.id)).toBe(true);
    expect(result.didRun(output.id)).toBe(true);
    expect(result.getImages(output.id).map((p) => [p.min, p.max])).toEqual([[0, 0]]);
  });

  it('async: three 300-500 ms sleeps finish in well under the sum of their durations', async () => {
    const source = image(g, 'BLACK');
    const sleeps = [0.3, 0.4, 0.5].map((seconds) => g.node('TestSleep', { value: source.out(0), seconds }));
    for (const sleep of sleeps) g.node('TestPreviewImage', { images: sleep.out(0) });
    const [result, elapsed] = await timed(() => client.run(g));
    // One after the other they would take 1.2 s; together about 0.5 s.
    expect(elapsed).toBeLessThan(900);
    expect(elapsed).toBeGreaterThanOrEqual(500);
    for (const sleep of sleeps) expect(result.didRun(sleep.id)).toBe(true);
  });

  it('async: a node waits for the async nodes it depends on', async () => {
    const sleep1 = g.node('TestSleep', { value: image(g, 'BLACK').out(0), seconds: 0.2 });
    const sleep2 = g.node('TestSleep', { value: image(g, 'WHITE').out(0), seconds: 0.2 });
    const average = g.node('TestVariadicAverage', { input1: sleep1.out(0), input2: sleep2.out(0) });
    const output = g.node('TestSaveImage', { images: average.out(0) });
    const result = await client.run(g);
    for (const node of [sleep1, sleep2, average, output]) expect(result.didRun(node.id)).toBe(true);
    expect(Math.abs(result.getImages(output.id)[0]!.mean - 127.5)).toBeLessThan(1);
  });

  it('async: an async validator accepts, then refuses with 400', async () => {
    const validation = g.node('TestAsyncValidation', { value: 5.0, threshold: 10.0 });
    g.node('TestSaveImage', { images: validation.out(0) });
    expect((await client.run(g)).didRun(validation.id)).toBe(true);
    validation.set('threshold', 3.0);
    const error = await rejection(client.run(g));
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).body.node_errors[validation.id].errors[0].details).toContain('exceeds threshold');
  });

  it('async: lazy evaluation skips the async source it does not need', async () => {
    const sleep1 = g.node('TestSleep', { value: image(g, 'BLACK').out(0), seconds: 0.3 });
    const sleep2 = g.node('TestSleep', { value: image(g, 'WHITE').out(0), seconds: 0.3 });
    const mask = g.node('StubMask', { value: 0.0, height: S, width: S, batch_size: 1 });
    const mix = g.node('TestLazyMixImages', { image1: sleep1.out(0), image2: sleep2.out(0), mask: mask.out(0) });
    g.node('TestSaveImage', { images: mix.out(0) });
    const [result, elapsed] = await timed(() => client.run(g));
    expect(elapsed).toBeLessThan(600);
    expect(result.didRun(sleep1.id)).toBe(true);
    expect(result.didRun(sleep2.id)).toBe(false);
  });

  it('async: an async checkLazyStatus works', async () => {
    const lazy = g.node('TestAsyncLazyCheck', { input1: 'value1', input2: 'value2', condition: true });
    g.node('TestSaveImage', { images: lazy.out(0) });
    expect((await client.run(g)).didRun(lazy.id)).toBe(true);
  });

  it('async: an error in an async node is reported with its node id', async () => {
    const errorNode = g.node('TestAsyncError', { value: image(g, 'BLACK').out(0), error_after: 0.1 });
    g.node('TestSaveImage', { images: errorNode.out(0) });
    const error = await rejection(client.run(g));
    expect(error).toBeInstanceOf(ExecutionError);
    expect((error as ExecutionError).data).toMatchObject({ prompt_id: expect.any(String), node_id: errorNode.id });
    expect((error as ExecutionError).data.exception_message).toContain('Intentional async execution error');
  });

  it('async: an async validation error is a 400', async () => {
    const validation = g.node('TestAsyncValidationError', { value: 15.0, max_value: 10.0 });
    g.node('TestSaveImage', { images: validation.out(0) });
    const error = await rejection(client.run(g));
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
  });

  it('async: timeouts (the node\'s own and the engine\'s timeoutMs) surface as errors mentioning "timeout"', async () => {
    const own = g.node('TestAsyncTimeout', { value: image(g, 'BLACK').out(0), timeout: 0.2, operation_time: 2.0 });
    g.node('TestSaveImage', { images: own.out(0) });
    const ownError = await rejection(client.run(g));
    expect(ownError).toBeInstanceOf(ExecutionError);
    expect(JSON.stringify((ownError as ExecutionError).data).toLowerCase()).toContain('timeout');
    expect((ownError as ExecutionError).data.node_id).toBe(own.id);

    const e = new Graph(`${g.prefix}engine_`);
    const engine = e.node('TestEngineTimeout', { value: image(e, 'BLACK').out(0), operation_time: 2.0 });
    e.node('TestSaveImage', { images: engine.out(0) });
    const [engineError, elapsed] = await timed(() => rejection(client.run(e)));
    expect(engineError).toBeInstanceOf(ExecutionError);
    expect((engineError as ExecutionError).data.exception_message.toLowerCase()).toContain('timeout');
    expect((engineError as ExecutionError).data.node_id).toBe(engine.id);
    expect(elapsed).toBeLessThan(1500);
  });

  it('async: the server recovers after an async error', async () => {
    const errorNode = g.node('TestAsyncError', { value: image(g, 'BLACK').out(0), error_after: 0.1 });
    g.node('TestSaveImage', { images: errorNode.out(0) });
    expect(await rejection(client.run(g))).toBeInstanceOf(ExecutionError);

    const next = new Graph(`${g.prefix}recovery_`);
    const sleep = next.node('TestSleep', { value: image(next, 'WHITE').out(0), seconds: 0.1 });
    next.node('TestSaveImage', { images: sleep.out(0) });
    expect((await client.run(next)).didRun(sleep.id)).toBe(true);
  });

  it('async: a sync error while an async node runs fails the prompt at once', async () => {
    const source = image(g, 'BLACK');
    const sleep = g.node('TestSleep', { value: source.out(0), seconds: 2 });
    const errorNode = g.node('TestSyncError', { value: source.out(0) });
    g.node('TestPreviewImage', { images: sleep.out(0) });
    g.node('TestPreviewImage', { images: errorNode.out(0) });
    const [error, elapsed] = await timed(() => rejection(client.run(g)));
    expect(error).toBeInstanceOf(ExecutionError);
    expect((error as ExecutionError).data).toMatchObject({ prompt_id: expect.any(String), node_id: errorNode.id });
    // The sleeping node is stopped rather than awaited.
    expect(elapsed).toBeLessThan(1500);
  });

  it('async: an execution blocker in a list of async results blocks only its element', async () => {
    const sleep1 = g.node('TestSleep', { value: image(g, 'BLACK').out(0), seconds: 0.2 });
    const sleep2 = g.node('TestSleep', { value: image(g, 'WHITE').out(0), seconds: 0.2 });
    const images = g.node('TestMakeListNode', { value1: sleep1.out(0), value2: sleep2.out(0) });
    const ints = g.node('TestMakeListNode', { value1: g.node('StubInt', { value: 1 }).out(0), value2: g.node('StubInt', { value: 2 }).out(0) });
    const compare = g.node('TestIntConditions', { a: ints.out(0), b: 2, operation: '==' });
    const blocker = g.node('TestExecutionBlocker', { input: images.out(0), block: compare.out(0), verbose: false });
    const output = g.node('TestPreviewImage', { images: blocker.out(0) });
    const saved = (await client.run(g)).getImages(output.id);
    expect(saved.map((p) => [p.min, p.max])).toEqual([[0, 0]]);
  });

  it('async: a cached async node is instant on the re-run', async () => {
    const sleep = g.node('TestSleep', { value: image(g, 'BLACK').out(0), seconds: 0.2 });
    g.node('TestSaveImage', { images: sleep.out(0) });
    expect((await client.run(g)).didRun(sleep.id)).toBe(true);
    const [second, elapsed] = await timed(() => client.run(g));
    expect(second.didRun(sleep.id)).toBe(false);
    // Well below the 200 ms the node sleeps when it runs.
    expect(elapsed).toBeLessThan(150);
  });

  it('async: async nodes made by an expansion run in parallel', async () => {
    const dynamic = g.node('TestDynamicAsyncGeneration', { image1: image(g, 'BLACK').out(0), image2: image(g, 'WHITE').out(0), num_async_nodes: 5, sleep_duration: 0.4 });
    const output = g.node('TestSaveImage', { images: dynamic.out(0) });
    const [result, elapsed] = await timed(() => client.run(g));
    // Five 0.4 s sleeps: 2 s one after the other.
    expect(elapsed).toBeLessThan(1000);
    expect(result.didRun(dynamic.id)).toBe(true);
    // Sleeps 0, 2, 4 carry black, 1 and 3 white: 2/5 white.
    expect(result.getImages(output.id)[0]!.min).toBe(Math.trunc((2 / 5) * 255));
  });

  it('async: resources held by async nodes are released, and a re-run is cached', async () => {
    const source = image(g, 'BLACK');
    const users = Array.from({ length: 5 }, (_, i) => g.node('TestAsyncResourceUser', { value: source.out(0), resource_id: `resource_${i}`, duration: 0.1 }));
    for (const user of users) g.node('TestPreviewImage', { images: user.out(0) });
    const first = await client.run(g);
    for (const user of users) expect(first.didRun(user.id)).toBe(true);
    const second = await client.run(g);
    for (const user of users) expect(second.didRun(user.id)).toBe(false);
  });
});
