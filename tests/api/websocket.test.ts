import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngPrompt, sleep, startTestServer, stepsPrompt, WsClient, type TestServer } from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function queue(body: Record<string, unknown>): Promise<string> {
  const res = await server.post('/prompt', body);
  const json = (await res.json()) as { prompt_id: string };
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json.prompt_id;
}

/** Message types from the first `status` after connecting up to this prompt's `executing` null. */
function sequence(client: WsClient, promptId: string): string[] {
  const messages = client.messages.slice(1);
  const end = messages.findIndex((m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === promptId);
  return messages.slice(0, end + 1).map((m) => (m.type === 'executing' ? `executing:${m.data.node}` : m.type === 'executed' ? `executed:${m.data.node}` : m.type));
}

describe('ComfyUI websocket API client', () => {
  it('queues with client_id, waits for executing null, reads /history and /view', async () => {
    // As script_examples/websockets_api_example.py does.
    const clientId = randomUUID();
    const client = await WsClient.open(server.url, { path: `/ws?clientId=${clientId}` });
    expect(client.messages[0]).toEqual({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid: clientId } });
    const promptId = randomUUID();
    expect(await queue({ prompt: pngPrompt('ws/example', 200), client_id: clientId, prompt_id: promptId })).toBe(promptId);
    await client.finished(promptId);

    const history = (await (await server.get(`/history/${promptId}`)).json()) as any;
    const images = history[promptId].outputs['1'].images;
    expect(images).toEqual([{ filename: 'example_00001_.png', subfolder: 'ws', type: 'output' }]);
    for (const image of images) {
      const query = new URLSearchParams({ filename: image.filename, subfolder: image.subfolder, type: image.type });
      const res = await server.get(`/view?${query}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      const { data, info } = await sharp(Buffer.from(await res.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels]).toEqual([8, 4, 4]);
      expect([...data.subarray(0, 4)]).toEqual([200, 0, 0, 128]);
    }
    await client.close();
  });

  it('sends a run in the order of spec §2.3, and a cached re-run in its shorter order', async () => {
    const client = await WsClient.open(server.url, { path: '/ws?clientId=order' });
    const prompt = {
      '1': { class_type: 'PrimitiveString', inputs: { value: 'a' } },
      '2': { class_type: 'StringConcatenate', inputs: { string_a: ['1', 0], string_b: 'b', delimiter: '' } },
      '3': { class_type: 'TestSteps', inputs: { steps: 2, delay_ms: 0, preview: false, tag: ['2', 0] } },
    };
    const first = await queue({ prompt, client_id: 'order' });
    await client.finished(first);
    expect(sequence(client, first)).toEqual([
      'status',
      'status',
      'execution_start',
      'execution_cached',
      'progress_state',
      'executing:1',
      'progress_state',
      'progress_state',
      'executing:2',
      'progress_state',
      'progress_state',
      'executing:3',
      'progress',
      'progress_state',
      'progress',
      'progress_state',
      'executed:3',
      'progress_state',
      'execution_success',
      'status',
      'executing:null',
    ]);
    const states = client.forPrompt(first).filter((m) => m.type === 'progress_state');
    expect(states.at(-1)!.data.nodes['3']).toMatchObject({ state: 'finished', node_id: '3', prompt_id: first });
    expect(client.messages.filter((m) => m.type === 'status').map((m) => m.data.status.exec_info.queue_remaining)).toEqual([0, 1, 1, 0]);

    client.messages.splice(1);
    const again = await queue({ prompt, client_id: 'order' });
    await client.finished(again);
    expect(sequence(client, again)).toEqual([
      'status',
      'status',
      'execution_start',
      'execution_cached',
      'executed:3',
      'progress_state',
      'execution_success',
      'status',
      'executing:null',
    ]);
    expect(client.forPrompt(again).find((m) => m.type === 'execution_cached')!.data.nodes).toEqual(['1', '2', '3']);
    await client.close();
  });

  it('ends a failing run with execution_error, status, executing null', async () => {
    const client = await WsClient.open(server.url, { path: '/ws?clientId=failing' });
    const id = await queue({ prompt: { '1': { class_type: 'TestFail', inputs: { message: 'broken on purpose' } } }, client_id: 'failing' });
    await client.finished(id);
    const types = sequence(client, id);
    // The failing node's state turns to "error" in a last progress_state.
    expect(types.slice(-5)).toEqual(['executing:1', 'progress_state', 'execution_error', 'status', 'executing:null']);
    const last = client.forPrompt(id).filter((m) => m.type === 'progress_state').at(-1)!;
    expect(last.data.nodes['1'].state).toBe('error');
    expect(types).not.toContain('execution_success');
    const error = client.forPrompt(id).find((m) => m.type === 'execution_error')!.data;
    expect(error).toMatchObject({ node_id: '1', node_type: 'TestFail', exception_message: 'broken on purpose' });
    // The next prompt works.
    const next = await queue({ prompt: stepsPrompt(1), client_id: 'failing' });
    await client.finished(next);
    expect(client.forPrompt(next).some((m) => m.type === 'execution_success')).toBe(true);
    await client.close();
  });

  it('keeps each client to its own prompts (progress isolation)', async () => {
    const alice = await WsClient.open(server.url, { path: '/ws?clientId=alice' });
    const bob = await WsClient.open(server.url, { path: '/api/ws?clientId=bob' });
    const a = await queue({ prompt: stepsPrompt(5, 30, { tag: 'alice' }), client_id: 'alice' });
    const b = await queue({ prompt: stepsPrompt(7, 0, { tag: 'bob' }), client_id: 'bob' });
    await alice.finished(a);
    await bob.finished(b);
    const foreign = (client: WsClient, own: string) => client.messages.filter((m) => m.type !== 'status' && m.data.prompt_id !== own);
    expect(foreign(alice, a)).toEqual([]);
    expect(foreign(bob, b)).toEqual([]);
    expect(alice.forPrompt(a).filter((m) => m.type === 'progress').map((m) => m.data.value)).toEqual([1, 2, 3, 4, 5]);
    expect(bob.forPrompt(b).filter((m) => m.type === 'progress')).toHaveLength(7);
    // status is for everyone: both saw the queue grow to 2.
    for (const client of [alice, bob]) {
      expect(client.messages.some((m) => m.type === 'status' && m.data.status.exec_info.queue_remaining === 2)).toBe(true);
    }
    await Promise.all([alice.close(), bob.close()]);
  });

  it('without client_id: no lifecycle messages, progress broadcast to everyone', async () => {
    const watcher = await WsClient.open(server.url);
    const sid = watcher.messages[0]!.data.sid;
    expect(sid).toMatch(/^[0-9a-f]{32}$/);
    const res = await server.post('/prompt', { prompt: stepsPrompt(3) });
    const { prompt_id: id } = (await res.json()) as { prompt_id: string };
    await watcher.waitFor((m) => m.type === 'progress_state' && m.data.nodes['1']?.state === 'finished' && m.data.prompt_id === id);
    await waitForHistory(id);
    await sleep(50);
    const types = new Set(watcher.forPrompt(id).map((m) => m.type));
    expect([...types].sort()).toEqual(['progress', 'progress_state']);
    await watcher.close();
  });

  it('sends preview frames as type 1, or type 4 to a client that negotiated feature flags', async () => {
    const legacy = await WsClient.open(server.url, { path: '/ws?clientId=legacy' });
    const modern = await WsClient.open(server.url, {
      path: '/ws?clientId=modern',
      firstFrame: { type: 'feature_flags', data: { supports_preview_metadata: true } },
    });
    const flags = await modern.waitFor((m) => m.type === 'feature_flags');
    expect(flags.data).toEqual({ supports_preview_metadata: true, max_upload_size: 100 * 1024 * 1024 });

    const one = await queue({ prompt: stepsPrompt(2, 0, { preview: true, tag: 'l' }), client_id: 'legacy' });
    const four = await queue({ prompt: stepsPrompt(2, 0, { preview: true, tag: 'm' }), client_id: 'modern' });
    await legacy.finished(one);
    await modern.finished(four);

    expect(legacy.binary).toHaveLength(2);
    for (const frame of legacy.binary) {
      expect([frame.readUInt32BE(0), frame.readUInt32BE(4)]).toEqual([1, 2]);
      expect((await sharp(frame.subarray(8)).metadata()).format).toBe('png');
    }
    expect(modern.binary).toHaveLength(2);
    for (const frame of modern.binary) {
      expect(frame.readUInt32BE(0)).toBe(4);
      const length = frame.readUInt32BE(4);
      const metadata = JSON.parse(frame.subarray(8, 8 + length).toString());
      expect(metadata).toEqual({ node_id: '1', prompt_id: four, display_node_id: '1', parent_node_id: null, real_node_id: '1', image_type: 'image/png' });
      expect((await sharp(frame.subarray(8 + length)).metadata()).width).toBe(2);
    }
    await Promise.all([legacy.close(), modern.close()]);
  });

  it('a client that disconnects mid-run does not stop the run; reconnecting shows the running node', async () => {
    const client = await WsClient.open(server.url, { path: '/ws?clientId=leaver' });
    const id = await queue({ prompt: stepsPrompt(10, 40, { tag: 'leaver' }), client_id: 'leaver' });
    await client.waitFor((m) => m.type === 'progress' && m.data.prompt_id === id);
    await client.close();

    const back = await WsClient.open(server.url, { path: '/ws?clientId=leaver' });
    expect(back.messages[1]).toEqual({ type: 'executing', data: { node: '1' } });
    await back.close();

    await waitForHistory(id);
    const entry = ((await (await server.get(`/history/${id}`)).json()) as any)[id];
    expect(entry.status).toMatchObject({ status_str: 'success', completed: true });
    expect(entry.outputs['1']).toEqual({ text: ['10 steps'] });
  });

  it('interrupts the running prompt over HTTP; /interrupt with another id is a no-op', async () => {
    const client = await WsClient.open(server.url, { path: '/ws?clientId=stopper' });
    const id = await queue({ prompt: stepsPrompt(1000, 20, { tag: 'stop' }), client_id: 'stopper' });
    await client.waitFor((m) => m.type === 'progress' && m.data.prompt_id === id);
    expect((await server.post('/interrupt', { prompt_id: 'not-running' })).status).toBe(200);
    await sleep(60);
    expect((await server.runner.snapshot()).running[0]?.promptId).toBe(id);
    expect((await server.post('/api/interrupt', '')).status).toBe(200);
    await client.finished(id);
    const types = sequence(client, id);
    expect(types.slice(-3)).toEqual(['execution_interrupted', 'status', 'executing:null']);
    const progress = client.forPrompt(id).filter((m) => m.type === 'progress').length;
    expect(progress).toBeGreaterThan(0);
    expect(progress).toBeLessThan(1000);
    const entry = ((await (await server.get(`/history/${id}`)).json()) as any)[id];
    expect(entry.status).toMatchObject({ status_str: 'error', completed: false });
    expect(entry.status.messages.map((m: [string]) => m[0])).toContain('execution_interrupted');
    await client.close();
  });

  it('a newer connection with the same clientId takes over; closing the older one does not cut it off', async () => {
    const older = await WsClient.open(server.url, { path: '/ws?clientId=twice' });
    const newer = await WsClient.open(server.url, { path: '/ws?clientId=twice' });
    await older.close();
    const id = await queue({ prompt: stepsPrompt(2, 0, { tag: 'twice' }), client_id: 'twice' });
    await newer.finished(id);
    expect(newer.forPrompt(id).filter((m) => m.type === 'progress')).toHaveLength(2);
    expect(older.forPrompt(id)).toEqual([]);
    await newer.close();
  });

  it('refuses other upgrade paths and survives garbage frames', async () => {
    await expect(WsClient.open(server.url, { path: '/nowhere' })).rejects.toThrow(/404/);
    const client = await WsClient.open(server.url, { path: '/ws?clientId=noisy' });
    client.socket.send('not json at all');
    client.socket.send(Buffer.from([1, 2, 3]));
    client.socket.send(JSON.stringify({ type: 'feature_flags', data: 'nonsense' }));
    const id = await queue({ prompt: stepsPrompt(1), client_id: 'noisy' });
    await client.finished(id);
    expect(client.messages.some((m) => m.type === 'feature_flags')).toBe(false);
    await client.close();
  });
});

async function waitForHistory(id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const json = (await (await server.get(`/history/${id}`)).json()) as Record<string, unknown>;
    if (json[id]) return;
    await sleep(25);
  }
  throw new Error(`prompt ${id} never finished`);
}

