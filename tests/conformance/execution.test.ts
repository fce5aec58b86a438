// Spec §7 items 1-24: the behaviour ComfyUI's tests/execution/test_execution.py asserts, driven
// the same way (a real server, POST /prompt with a client_id, /ws until `executing` null,
// /history, /view), under every cache policy the server offers.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import { CACHE_POLICIES, ComfyClient, ExecutionError, Graph, HttpError, startConformanceServer, type Pixels } from './client.ts';

/** ComfyUI's 512x512 test images, shrunk: the tests check values, not sizes. */
const S = 8;
const image = (g: Graph, content: 'BLACK' | 'WHITE' | 'NOISE', size = S) => g.node('StubImage', { content, height: size, width: size, batch_size: 1 });
const mask = (g: Graph, value: unknown) => g.node('StubMask', { value, height: S, width: S, batch_size: 1 });

function expectUniform(pixels: Pixels | undefined, value: number): void {
  expect(pixels, 'image').toBeDefined();
  expect([pixels!.min, pixels!.max]).toEqual([value, value]);
}

async function expectHttpError(promise: Promise<unknown>, status = 400): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  expect((error as HttpError).status).toBe(status);
  return error as HttpError;
}

async function expectExecutionError(promise: Promise<unknown>): Promise<Record<string, any>> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExecutionError);
  return (error as ExecutionError).data;
}

describe.each(CACHE_POLICIES)('ComfyUI execution conformance (cache: $name)', ({ cache, cachesResults }) => {
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
    // Each test starts from an empty cache, as if it were the first prompt of a fresh server.
    await fetch(`${server.url}/free`, { method: 'POST', body: JSON.stringify({ free_memory: true }) });
    const name = context.task.name.split(' ')[0]!;
    client.testName = `execution[${name}]`;
    g = new Graph(`t${name.replaceAll('.', '_')}_`);
  });

  it("7.1 lazy mix with mask 0 runs only image1's source", async () => {
    const input1 = image(g, 'BLACK');
    const input2 = image(g, 'WHITE');
    const m = mask(g, 0.0);
    const mix = g.node('TestLazyMixImages', { image1: input1.out(0), image2: input2.out(0), mask: m.out(0) });
    const output = g.node('TestSaveImage', { images: mix.out(0) });
    const result = await client.run(g);
    expectUniform(result.getImages(output.id)[0], 0);
    expect(result.didRun(input1.id)).toBe(true);
    expect(result.didRun(input2.id)).toBe(false);
    expect(result.didRun(m.id)).toBe(true);
    expect(result.didRun(mix.id)).toBe(true);
  });

  it('7.2 re-running an identical graph executes no node', async () => {
    const input1 = image(g, 'BLACK');
    const input2 = image(g, 'NOISE');
    const m = mask(g, 0.5);
    const mix = g.node('TestLazyMixImages', { image1: input1.out(0), image2: input2.out(0), mask: m.out(0) });
    g.node('TestSaveImage', { images: mix.out(0) });
    const first = await client.run(g);
    expect([...first.runs].sort()).toEqual(Object.keys(g.nodes).sort());
    const second = await client.run(g);
    for (const id of Object.keys(g.nodes)) {
      expect(second.didRun(id), `node ${id}`).toBe(!cachesResults);
      expect(second.cached.has(id), `node ${id}`).toBe(cachesResults);
    }
  });

  it('7.3 changing one literal re-runs only the affected nodes', async () => {
    const input1 = image(g, 'BLACK');
    const input2 = image(g, 'NOISE');
    const m = mask(g, 0.5);
    const mix = g.node('TestLazyMixImages', { image1: input1.out(0), image2: input2.out(0), mask: m.out(0) });
    const save = g.node('TestSaveImage', { images: mix.out(0) });
    await client.run(g);
    m.set('value', 0.4);
    const second = await client.run(g);
    expect(second.didRun(input1.id)).toBe(!cachesResults);
    expect(second.didRun(input2.id)).toBe(!cachesResults);
    for (const changed of [m, mix, save]) expect(second.didRun(changed.id), changed.id).toBe(true);
  });

  it('7.4 a runtime exception sends execution_error with the prompt_id and the next prompt works', async () => {
    const input1 = image(g, 'BLACK');
    // Images of different sizes cannot be mixed.
    const input2 = image(g, 'NOISE', S / 2);
    const m = mask(g, 0.5);
    const mix = g.node('TestLazyMixImages', { image1: input1.out(0), image2: input2.out(0), mask: m.out(0) });
    g.node('TestSaveImage', { images: mix.out(0) });
    const error = await expectExecutionError(client.run(g));
    expect(error.prompt_id).toEqual(expect.any(String));
    expect(error.node_id).toBe(mix.id);
    expect(error.exception_message).toContain('sizes differ');

    const next = new Graph('t7_4_next_');
    const save = next.node('TestSaveImage', { images: image(next, 'WHITE').out(0) });
    expectUniform((await client.run(next)).getImages(save.id)[0], 255);
  });

  // JSON cannot tell `5` from `5.0` (both parse to the number 5), so a float literal is written
  // 0.5 here and the validator counts integral numbers as ints; see CONFORMANCE.md.
  it.each([
    { value: 5, rejected: true },
    { value: 'foo', rejected: true },
    { value: 0.5, rejected: false },
  ])('7.5 custom validator receives the raw literal $value (rejected: $rejected)', async ({ value, rejected }) => {
    const validation = g.node('TestCustomValidation1', { input1: value, input2: 0.5 });
    const save = g.node('TestSaveImage', { images: validation.out(0) });
    if (rejected) {
      const error = await expectHttpError(client.run(g));
      expect(error.body.node_errors[validation.id].errors[0]).toMatchObject({ type: 'custom_validation_failed' });
      expect(error.body.node_errors[validation.id].errors[0].details).toContain(typeof value === 'string' ? 'string' : 'int');
    } else {
      expectUniform((await client.run(g)).getImages(save.id)[0], Math.trunc(0.5 * 0.5 * 255));
    }
  });

  it.each([
    { source: 'StubInt', value: 5 },
    { source: 'StubMask', value: 0.5 },
  ])('7.6 linking a $source output into an IMAGE,FLOAT input is a type mismatch (400)', async ({ source, value }) => {
    const stub = g.node(source, source === 'StubMask' ? { value, height: S, width: S, batch_size: 1 } : { value });
    const validation = g.node('TestCustomValidation1', { input1: stub.out(0), input2: 0.5 });
    g.node('TestSaveImage', { images: validation.out(0) });
    const error = await expectHttpError(client.run(g));
    expect(error.body.node_errors[validation.id].errors[0]).toMatchObject({ type: 'return_type_mismatch' });
  });

  it.each([
    { source: 'StubInt', value: 5, rejected: true },
    { source: 'StubFloat', value: 5.0, rejected: false },
  ])('7.7 a validator taking input_types replaces the link type check ($source rejected: $rejected)', async ({ source, value, rejected }) => {
    const stub = g.node(source, { value });
    const validation = g.node('TestCustomValidation2', { input1: stub.out(0), input2: 0.1 });
    const save = g.node('TestSaveImage', { images: validation.out(0) });
    if (rejected) {
      const error = await expectHttpError(client.run(g));
      // The validator (not the built-in check) refused it.
      expect(error.body.node_errors[validation.id].errors[0]).toMatchObject({ type: 'custom_validation_failed' });
      expect(error.body.node_errors[validation.id].errors[0].details).toContain('Invalid type of input1: INT');
    } else {
      expectUniform((await client.run(g)).getImages(save.id)[0], Math.trunc(5.0 * 0.1 * 255));
    }
  });

  it.each([
    { source: 'StubInt', value: 5, rejected: true },
    { source: 'StubFloat', value: 5.0, rejected: false },
  ])('7.8 a union validator with subset semantics rejects INT and accepts FLOAT links ($source)', async ({ source, value, rejected }) => {
    const stub = g.node(source, { value });
    const validation = g.node('TestCustomValidation3', { input1: stub.out(0), input2: 0.1 });
    const save = g.node('TestSaveImage', { images: validation.out(0) });
    if (rejected) {
      const error = await expectHttpError(client.run(g));
      expect(error.body.node_errors[validation.id].errors[0]).toMatchObject({ type: 'custom_validation_failed' });
    } else {
      expectUniform((await client.run(g)).getImages(save.id)[0], Math.trunc(5.0 * 0.1 * 255));
    }
  });

  it.each([
    { source: 'StubInt', value: 5, rejected: true },
    { source: 'StubFloat', value: 0.5, rejected: false },
  ])('7.9 a validator naming the input keeps the link type check ($source rejected: $rejected)', async ({ source, value, rejected }) => {
    const stub = g.node(source, { value });
    const validation = g.node('TestCustomValidation4', { input1: stub.out(0), input2: 1.0 });
    const save = g.node('TestSaveImage', { images: validation.out(0) });
    if (rejected) {
      const error = await expectHttpError(client.run(g));
      expect(error.body.node_errors[validation.id].errors[0]).toMatchObject({ type: 'return_type_mismatch' });
    } else {
      expectUniform((await client.run(g)).getImages(save.id)[0], Math.trunc(0.5 * 255));
    }
  });

  it.each([
    { input1: 0.0, input2: 0.5, rejected: false },
    { input1: 0.0, input2: 5.0, rejected: false },
    { input1: 0.0, input2: 7.0, rejected: true },
  ])('7.10 a **kwargs validator disables min/max and can reject on its own (input2 $input2)', async ({ input1, input2, rejected }) => {
    const validation = g.node('TestCustomValidation5', { input1, input2 });
    g.node('TestSaveImage', { images: validation.out(0) });
    if (rejected) {
      const error = await expectHttpError(client.run(g));
      expect(error.body.node_errors[validation.id].errors[0].details).toContain("7s are not allowed");
    } else {
      const result = await client.run(g);
      expect(result.didRun(validation.id)).toBe(true);
    }
  });

  it('7.11 a graph missing a required input (the "cycle" test) is refused with 400', async () => {
    const input1 = image(g, 'BLACK');
    const input2 = image(g, 'WHITE');
    const m = mask(g, 0.5);
    const mix1 = g.node('TestLazyMixImages', { image1: input1.out(0), mask: m.out(0) });
    const mix2 = g.node('TestLazyMixImages', { image1: mix1.out(0), image2: input2.out(0), mask: m.out(0) });
    g.node('TestSaveImage', { images: mix2.out(0) });
    const error = await expectHttpError(client.run(g));
    expect(error.body.node_errors[mix1.id].errors[0]).toMatchObject({ type: 'required_input_missing', details: 'image2' });
  });

  it('7.12 a cycle created by node expansion is an execution_error on the expanding node', async () => {
    const input1 = image(g, 'BLACK');
    const input2 = image(g, 'WHITE');
    const generator = g.node('TestDynamicDependencyCycle', { input1: input1.out(0), input2: input2.out(0) });
    g.node('TestSaveImage', { images: generator.out(0) });
    const error = await expectExecutionError(client.run(g));
    expect(error.prompt_id).toEqual(expect.any(String));
    expect(error.node_id).toBe(generator.id);
    expect(error.exception_message).toBe('Dependency cycle detected');
  });

  it('7.13 an output referencing a removed node is dropped, the valid output runs, re-adding the node works', async () => {
    const input1 = image(g, 'BLACK');
    const input2Id = 'removeme';
    g.node('StubImage', { content: 'WHITE', height: S, width: S, batch_size: 1 }, input2Id);
    const input3 = image(g, 'WHITE');
    const m = mask(g, 0.5);
    const mix1 = g.node('TestLazyMixImages', { image1: input1.out(0), image2: [input2Id, 0], mask: m.out(0) });
    const mix2 = g.node('TestLazyMixImages', { image1: input1.out(0), image2: input3.out(0), mask: m.out(0) });
    const save1 = g.node('TestSaveImage', { images: mix1.out(0) });
    const save2 = g.node('TestSaveImage', { images: mix2.out(0) });
    g.remove(input2Id);

    const first = await client.run(g);
    expect(Object.keys(first.nodeErrors)).toContain(mix1.id);
    expect(first.didRun(mix1.id)).toBe(false);
    expect(first.getImages(save1.id)).toHaveLength(0);
    expectUniform(first.getImages(save2.id)[0], 127);

    g.node('StubImage', { content: 'WHITE', height: S, width: S, batch_size: 1 }, input2Id);
    const second = await client.run(g);
    expectUniform(second.getImages(save1.id)[0], 127);
    expectUniform(second.getImages(save2.id)[0], 127);
  });

  it('7.14 IS_CHANGED returning a constant stays cached, returning NaN re-runs every time', async () => {
    const save = g.node('TestSaveImage');
    const isChanged = g.node('TestCustomIsChanged', { should_change: false });
    const input1 = image(g, 'BLACK');
    save.set('images', isChanged.out(0));
    isChanged.set('image', input1.out(0));

    const result1 = await client.run(g);
    const result2 = await client.run(g);
    isChanged.set('should_change', true);
    const result3 = await client.run(g);
    const result4 = await client.run(g);
    expect(result1.didRun(isChanged.id)).toBe(true);
    expect(result2.didRun(isChanged.id)).toBe(!cachesResults);
    expect(result3.didRun(isChanged.id)).toBe(true);
    expect(result4.didRun(isChanged.id)).toBe(true);
  });

  it('7.15 undeclared linked inputs reach the node (variadic average of 4 images)', async () => {
    const inputs = [image(g, 'BLACK'), image(g, 'WHITE'), image(g, 'BLACK'), image(g, 'BLACK')];
    const average = g.node('TestVariadicAverage', Object.fromEntries(inputs.map((input, i) => [`input${i + 1}`, input.out(0)])));
    const output = g.node('TestSaveImage', { images: average.out(0) });
    const result = await client.run(g);
    expectUniform(result.getImages(output.id)[0], Math.floor(255 / 4));
  });

  it('7.16 a for loop built by expansion iterates N times and its always-changed input re-runs', async () => {
    const input1 = image(g, 'BLACK');
    const input2 = image(g, 'WHITE');
    const isChanged = g.node('TestCustomIsChanged', { should_change: true, image: input2.out(0) });
    const forOpen = g.node('TestForLoopOpen', { remaining: 4, initial_value1: isChanged.out(0) });
    const average = g.node('TestVariadicAverage', { input1: input1.out(0), input2: forOpen.out(2) });
    const forClose = g.node('TestForLoopClose', { flow_control: forOpen.out(0), initial_value1: average.out(0) });
    const output = g.node('TestSaveImage', { images: forClose.out(0) });
    for (let iterations = 1; iterations <= 4; iterations++) {
      forOpen.set('remaining', iterations);
      const result = await client.run(g);
      expectUniform(result.getImages(output.id)[0], Math.floor(255 / 2 ** iterations));
      expect(result.didRun(isChanged.id)).toBe(true);
    }
  });

  it('7.17 mixed expansion returns over a 3-element list give 3 right images; literal outputs are lists too', async () => {
    const values = g.node('TestMakeListNode', { value1: 0.1, value2: 0.2, value3: 0.3 });
    const mixed = g.node('TestMixedExpansionReturns', { input1: values.out(0) });
    const outputDynamic = g.node('TestSaveImage', { images: mixed.out(0) });
    const outputLiteral = g.node('TestSaveImage', { images: mixed.out(1) });
    const result = await client.run(g);
    const dynamic = result.getImages(outputDynamic.id);
    expect(dynamic).toHaveLength(3);
    [25, 51, 76].forEach((value, i) => expectUniform(dynamic[i], value));
    const literal = result.getImages(outputLiteral.id);
    expect(literal).toHaveLength(3);
    for (const pixels of literal) expectUniform(pixels, 255);
  });

  it('7.18 a lazy node inside list mapping gives 3 correct images after rebatching', async () => {
    const values = g.node('TestMakeListNode', { value1: 0.0, value2: 0.5, value3: 1.0 });
    const m = mask(g, values.out(0));
    const mix = g.node('TestLazyMixImages', { image1: image(g, 'BLACK').out(0), image2: image(g, 'WHITE').out(0), mask: m.out(0) });
    const rebatch = g.node('TestRebatchImages', { images: mix.out(0), batch_size: 3 });
    const output = g.node('TestSaveImage', { images: rebatch.out(0) });
    const images = (await client.run(g)).getImages(output.id);
    expect(images).toHaveLength(3);
    [0, 127, 255].forEach((value, i) => expectUniform(images[i], value));
  });

  it('7.19 two save nodes on one source each report exactly one image', async () => {
    const input1 = image(g, 'BLACK');
    const output1 = g.node('TestSaveImage', { images: input1.out(0) });
    const output2 = g.node('TestSaveImage', { images: input1.out(0) });
    const result = await client.run(g);
    expect(result.getImages(output1.id)).toHaveLength(1);
    expect(result.getImages(output2.id)).toHaveLength(1);
  });

  it('7.20 IS_CHANGED sees only literals (the linked image is null) and the second run is cached', async () => {
    const input1 = g.node('StubConstantImage', { value: 0.5, height: S, width: S, batch_size: 1 });
    const testNode = g.node('TestIsChangedWithConstants', { image: input1.out(0), value: 0.5 });
    const output = g.node('TestPreviewImage', { images: testNode.out(0) });
    const first = await client.run(g);
    expect(first.getImages(output.id)).toHaveLength(1);
    expectUniform(first.getImages(output.id)[0], 63);
    const second = await client.run(g);
    expect(second.getImages(output.id)).toHaveLength(1);
    expectUniform(second.getImages(output.id)[0], 63);
    expect(second.didRun(testNode.id)).toBe(!cachesResults);
  });

  it('7.21 three async sleeps run in parallel, also inside an expansion', async () => {
    const source = image(g, 'BLACK');
    const sleeps = [0.3, 0.4, 0.5].map((seconds) => g.node('TestSleep', { value: source.out(0), seconds }));
    for (const sleep of sleeps) g.node('TestPreviewImage', { images: sleep.out(0) });
    let started = performance.now();
    const result = await client.run(g);
    expect(performance.now() - started).toBeLessThan(1000);
    for (const sleep of sleeps) expect(result.didRun(sleep.id)).toBe(true);

    const e = new Graph('t7_21_expansion_');
    const parallel = e.node('TestParallelSleep', {
      image1: image(e, 'BLACK').out(0),
      image2: image(e, 'WHITE').out(0),
      image3: image(e, 'WHITE').out(0),
      sleep1: 0.3,
      sleep2: 0.4,
      sleep3: 0.5,
    });
    const output = e.node('TestSaveImage', { images: parallel.out(0) });
    started = performance.now();
    const expanded = await client.run(e);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(expanded.didRun(parallel.id)).toBe(true);
    const images = expanded.getImages(output.id);
    expect(images).toHaveLength(1);
    expect(images[0]!.mean).toBe(170);
  });

  it('7.22 an ExecutionBlocker inside a list blocks only that element (2 of 3 images)', async () => {
    const images = g.node('TestMakeListNode', { value1: image(g, 'BLACK').out(0), value2: image(g, 'WHITE').out(0), value3: image(g, 'BLACK').out(0) });
    const ints = g.node('TestMakeListNode', { value1: g.node('StubInt', { value: 1 }).out(0), value2: g.node('StubInt', { value: 2 }).out(0), value3: g.node('StubInt', { value: 3 }).out(0) });
    const compare = g.node('TestIntConditions', { a: ints.out(0), b: 2, operation: '==' });
    const blocker = g.node('TestExecutionBlocker', { input: images.out(0), block: compare.out(0), verbose: false });
    const list = g.node('TestMakeListNode', { value1: blocker.out(0) });
    const output = g.node('TestPreviewImage', { images: list.out(0) });
    const result = await client.run(g);
    expect(result.didRun(output.id)).toBe(true);
    const saved = result.getImages(output.id);
    expect(saved).toHaveLength(2);
    expectUniform(saved[0], 0);
    expectUniform(saved[1], 0);
  });

  it('7.23 partial_execution_targets run only the listed outputs and what they need', async () => {
    // Included outputs run; others do not.
    const input1 = image(g, 'BLACK');
    const input2 = image(g, 'WHITE');
    const input3 = image(g, 'NOISE');
    const output1 = g.node('TestSaveImage', { images: input1.out(0) });
    const output2 = g.node('TestSaveImage', { images: input2.out(0) });
    const output3 = g.node('TestSaveImage', { images: input3.out(0) });
    let result = await client.run(g, [output1.id, output3.id]);
    for (const id of [input1.id, input3.id, output1.id, output3.id]) expect(result.wasExecuted(id), id).toBe(true);
    expect(result.didRun(input2.id)).toBe(false);
    expect(result.didRun(output2.id)).toBe(false);
    expect(result.getImages(output1.id)).toHaveLength(1);
    expect(result.getImages(output2.id)).toHaveLength(0);

    // An output node that a target depends on runs although it is not listed.
    const d = new Graph('t7_23_dependencies_');
    const source = image(d, 'BLACK');
    const outputNode1 = d.node('TestOutputNodeWithSocketOutput', { image: source.out(0), value: 1.5 });
    const outputNode2 = d.node('TestOutputNodeWithSocketOutput', { image: outputNode1.out(0), value: 2.0 });
    const save1 = d.node('TestSaveImage', { images: outputNode1.out(0) });
    const save2 = d.node('TestSaveImage', { images: outputNode2.out(0) });
    const save3 = d.node('TestSaveImage', { images: image(d, 'WHITE').out(0) });
    result = await client.run(d, [save2.id]);
    for (const id of [source.id, outputNode1.id, outputNode2.id, save2.id]) expect(result.wasExecuted(id), id).toBe(true);
    for (const id of [save1.id, save3.id]) expect(result.didRun(id), id).toBe(false);

    // Lazy evaluation still applies.
    const l = new Graph('t7_23_lazy_');
    const black = image(l, 'BLACK');
    const white = image(l, 'WHITE');
    const noise = image(l, 'NOISE');
    const mask1 = l.node('StubMask', { value: 0.0, height: S, width: S, batch_size: 1 });
    const mask2 = l.node('StubMask', { value: 0.5, height: S, width: S, batch_size: 1 });
    const mix1 = l.node('TestLazyMixImages', { image1: black.out(0), image2: white.out(0), mask: mask1.out(0) });
    const mix2 = l.node('TestLazyMixImages', { image1: white.out(0), image2: noise.out(0), mask: mask2.out(0) });
    const lazyOut1 = l.node('TestSaveImage', { images: mix1.out(0) });
    const lazyOut2 = l.node('TestSaveImage', { images: mix2.out(0) });
    result = await client.run(l, [lazyOut1.id]);
    for (const id of [black.id, mask1.id, mix1.id, lazyOut1.id]) expect(result.wasExecuted(id), id).toBe(true);
    for (const id of [white.id, noise.id, mask2.id, mix2.id, lazyOut2.id]) expect(result.didRun(id), id).toBe(false);

    // An empty target list is refused.
    await expectHttpError(client.run(g, []));
  });

  it('7.24 history pagination: offset and max_items windows, offset at or beyond the end gives {}', async () => {
    const item = async () => {
      const h = new Graph('t7_24_');
      h.node('TestSaveImage', { images: image(h, 'BLACK', 4).out(0) });
      return (await client.run(h)).promptId;
    };
    for (let i = 0; i < 6; i++) await item();
    const all = await client.getJson('/history');
    const total = Object.keys(all).length;
    expect(total).toBeGreaterThanOrEqual(6);

    const firstTwo = Object.keys(await client.getJson('/history?max_items=2&offset=0'));
    const nextTwo = Object.keys(await client.getJson('/history?max_items=2&offset=2'));
    expect(firstTwo).toHaveLength(2);
    expect(nextTwo).toHaveLength(2);
    expect(firstTwo.filter((id) => nextTwo.includes(id))).toEqual([]);
    expect(await client.getJson('/history?offset=100000')).toEqual({});
    expect(await client.getJson(`/history?offset=${total}`)).toEqual({});
    expect(await client.getJson('/history?offset=0')).toEqual(all);
    expect(Object.keys(await client.getJson('/history?offset=2'))).toHaveLength(total - 2);
    expect(Object.keys(await client.getJson('/history?max_items=2&offset=1'))).toHaveLength(2);
    expect(Object.keys(await client.getJson(`/history?max_items=5&offset=${total - 1}`))).toHaveLength(1);

    const badMax = await expectHttpError(client.getJson('/history?max_items=not-an-integer'));
    expect(badMax.body).toEqual({ error: 'max_items must be an integer' });
    const badOffset = await expectHttpError(client.getJson('/history?offset=not-an-integer'));
    expect(badOffset.body).toEqual({ error: 'offset must be an integer' });
  });
});
