import { mkdirSync, writeFileSync } from 'node:fs';
import { get as httpGet, request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startTestServer, stepsPrompt, WsClient, type TestServer } from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ api: { argv: ['serve', '--token', 'hunter2', '--port=1'] } });
});
afterAll(() => server.close());

const json = async (res: Response) => (await res.json()) as any;

async function drain(): Promise<void> {
  for (let i = 0; i < 400 && server.runner.remaining() > 0; i++) await sleep(10);
}

describe('POST /prompt', () => {
  it('accepts a body sent without a JSON content type and answers prompt_id, number, node_errors', async () => {
    const res = await server.post('/prompt', { prompt: stepsPrompt(1), prompt_id: 42 }, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ prompt_id: '42', number: expect.any(Number), node_errors: {} });
    await drain();
  });

  it('reports validation failures with 400 {error, node_errors}', async () => {
    const res = await server.post('/prompt', { prompt: { '1': { class_type: 'TestSteps', inputs: { steps: 0, delay_ms: 0, preview: false, tag: '' } } } });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.type).toBe('prompt_outputs_failed_validation');
    expect(body.node_errors['1'].errors[0].type).toBe('value_smaller_than_min');
  });

  it.each([
    ['{"prompt": ', 'invalid_prompt'],
    ['[1, 2]', 'invalid_prompt'],
    ['"text"', 'invalid_prompt'],
    ['{}', 'no_prompt'],
    ['{"prompt": {}, "client_id": 5}', 'invalid_prompt'],
    ['{"prompt": {}, "number": "abc"}', 'invalid_prompt'],
    ['{"prompt": {}, "extra_data": [1]}', 'invalid_prompt'],
    ['{"prompt": "x"}', 'invalid_prompt'],
    ['{"prompt": {"1": {"class_type": "TestSteps", "inputs": {}}}, "partial_execution_targets": []}', 'prompt_no_outputs'],
    ['{"prompt": {"1": {"class_type": "Missing", "inputs": {}}}}', 'invalid_prompt'],
  ])('answers %s with 400 %s', async (body, type) => {
    const res = await server.post('/api/prompt', body, { headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(400);
    const answer = await json(res);
    expect(answer.error.type).toBe(type);
    expect(answer).toHaveProperty('node_errors');
  });

  it('runs only partial_execution_targets and keeps the queue order of number/front', async () => {
    const prompt = { ...stepsPrompt(1), '2': { class_type: 'TestSteps', inputs: { steps: 2, delay_ms: 0, preview: false, tag: 'b' } } };
    const res = await server.post('/prompt', { prompt, partial_execution_targets: ['2'] });
    const { prompt_id: id } = await json(res);
    await drain();
    expect(Object.keys((await json(await server.get(`/history/${id}`)))[id].outputs)).toEqual(['2']);
  });
});

describe('queue, interrupt, free', () => {
  it('lists running and pending items, deletes and clears pending ones', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await server.post('/prompt', { prompt: stepsPrompt(200, 10, { tag: `q${i}` }), extra_data: { api_key_comfy_org: 'secret', note: i } });
      ids.push((await json(res)).prompt_id);
    }
    await sleep(30);
    expect(await json(await server.get('/prompt'))).toEqual({ exec_info: { queue_remaining: 4 } });
    const queue = await json(await server.get('/api/queue'));
    expect(queue.queue_running.map((item: unknown[]) => item[1])).toEqual([ids[0]]);
    expect(queue.queue_pending.map((item: unknown[]) => item[1])).toEqual(ids.slice(1));
    const [number, promptId, prompt, extraData, outputs] = queue.queue_pending[0];
    expect([typeof number, promptId, Object.keys(prompt), outputs]).toEqual(['number', ids[1], ['1'], ['1']]);
    expect(extraData).toMatchObject({ note: 1 });
    expect(extraData).not.toHaveProperty('api_key_comfy_org');

    expect((await server.post('/queue', { delete: [ids[2], ids[0]] })).status).toBe(200);
    expect((await json(await server.get('/queue'))).queue_pending.map((item: unknown[]) => item[1])).toEqual([ids[1], ids[3]]);
    expect((await server.post('/queue', { clear: true })).status).toBe(200);
    const cleared = await json(await server.get('/queue'));
    expect([cleared.queue_running.length, cleared.queue_pending.length]).toEqual([1, 0]);
    expect((await server.post('/interrupt', {})).status).toBe(200);
    await drain();
    expect(await json(await server.get('/history/' + ids[1]))).toEqual({});
  });

  it('accepts /free', async () => {
    expect((await server.post('/free', { unload_models: true, free_memory: true })).status).toBe(200);
  });
});

describe('history', () => {
  it('paginates like ComfyUI, answers {} for unknown ids, deletes and clears', async () => {
    await server.post('/history', { clear: true });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await json(await server.post('/prompt', { prompt: stepsPrompt(1, 0, { tag: `h${i}` }), prompt_id: `h${i}` }))).prompt_id);
      await drain();
    }
    const keys = async (query: string) => Object.keys(await json(await server.get(`/history${query}`)));
    expect(await keys('')).toEqual(ids);
    expect(await keys('?max_items=2')).toEqual(['h3', 'h4']);
    expect(await keys('?offset=3')).toEqual(['h3', 'h4']);
    expect(await keys('?max_items=2&offset=1')).toEqual(['h1', 'h2']);
    expect(await keys('?offset=5')).toEqual([]);
    expect(await keys('?offset=0&max_items=1')).toEqual(['h4']);
    expect((await server.get('/history?max_items=lots')).status).toBe(400);
    expect(await json(await server.get('/history/unknown'))).toEqual({});
    await server.post('/api/history', { delete: ['h0', 'h2'] });
    expect(await keys('')).toEqual(['h1', 'h3', 'h4']);
    expect((await server.post('/history', { delete: 'h1' })).status).toBe(400);
    await server.post('/history', { clear: true });
    expect(await keys('')).toEqual([]);
  });
});

describe('introspection', () => {
  it('serves object_info, one class, and {} for an unknown class', async () => {
    const all = await json(await server.get('/object_info'));
    expect(all.TestSteps.input.required.steps).toEqual(['INT', { default: 3, min: 1, max: 100_000 }]);
    expect(all.SaveText.output_node).toBe(true);
    expect(Object.keys(await json(await server.get('/api/object_info/TestSteps')))).toEqual(['TestSteps']);
    const unknown = await server.get('/object_info/NoSuchNode');
    expect([unknown.status, await json(unknown)]).toEqual([200, {}]);
  });

  it('serves system_stats with the fields the frontend requires and the token redacted', async () => {
    const stats = await json(await server.get('/system_stats'));
    for (const key of ['os', 'python_version', 'embedded_python', 'comfyui_version', 'pytorch_version', 'argv', 'ram_total', 'ram_free']) {
      expect(stats.system).toHaveProperty(key);
    }
    expect(stats.system.argv).toEqual(['serve', '--token', '***', '--port=1']);
    expect(Object.keys(stats.devices[0]).sort()).toEqual(['index', 'name', 'torch_vram_free', 'torch_vram_total', 'type', 'vram_free', 'vram_total']);
  });

  it('serves features, embeddings, extensions and model folders as ComfyUI', async () => {
    expect(await json(await server.get('/features'))).toEqual({ supports_preview_metadata: true, max_upload_size: 100 * 1024 * 1024 });
    expect(await json(await server.get('/api/embeddings'))).toEqual([]);
    expect(await json(await server.get('/extensions'))).toEqual([]);
    mkdirSync(join(server.base, 'models', 'vae', 'sub'), { recursive: true });
    mkdirSync(join(server.base, 'models', 'onnx'), { recursive: true });
    writeFileSync(join(server.base, 'models', 'vae', 'a.safetensors'), '');
    writeFileSync(join(server.base, 'models', 'vae', 'sub', 'b.onnx'), '');
    // server.py:261-265: every name of folder_paths.folder_names_and_paths, in its order
    // (folder_paths.py:23-51), whether or not the folder exists; then the other folders of models/.
    const names = await json(await server.get('/models'));
    expect(names.slice(0, 3)).toEqual(['checkpoints', 'configs', 'loras']);
    expect(names.slice(-4)).toEqual(['classifiers', 'model_patches', 'audio_encoders', 'onnx']);
    expect(names).toContain('custom_nodes');
    expect(await json(await server.get('/api/models/vae'))).toEqual(['a.safetensors', 'sub/b.onnx']);
    // server.py:267-273: a known folder without files is an empty list, not a 404 (the SDKs'
    // getModels('checkpoints') on a fresh install); an unknown name or a legacy one is a bare 404.
    expect(await json(await server.get('/models/checkpoints'))).toEqual([]);
    expect(await json(await server.get('/api/models/diffusers'))).toEqual([]);
    for (const unknown of ['/models/nowhere', '/models/unet']) {
      const res = await server.get(unknown);
      expect([res.status, await res.text()], unknown).toEqual([404, '']);
    }
    // The folder's own extensions (folder_paths.py:24, supported_pt_extensions elsewhere).
    mkdirSync(join(server.base, 'models', 'configs'), { recursive: true });
    writeFileSync(join(server.base, 'models', 'configs', 'v1.yaml'), '');
    writeFileSync(join(server.base, 'models', 'configs', 'notes.txt'), '');
    writeFileSync(join(server.base, 'models', 'vae', 'readme.md'), '');
    expect(await json(await server.get('/models/configs'))).toEqual(['v1.yaml']);
    expect(await json(await server.get('/models/vae'))).toEqual(['a.safetensors', 'sub/b.onnx']);
    // server.py:256-259: /embeddings lists the embeddings folder's names without extension.
    mkdirSync(join(server.base, 'models', 'embeddings'), { recursive: true });
    writeFileSync(join(server.base, 'models', 'embeddings', 'easynegative.safetensors'), '');
    expect(await json(await server.get('/embeddings'))).toEqual(['easynegative']);
    // Sent as written: fetch would normalise '/models/..' to '/', which is the editor's page.
    const rawStatus = await new Promise<number | undefined>((resolve, reject) =>
      httpGet({ host: server.host, port: server.port, path: '/models/..' }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject),
    );
    expect(rawStatus).toBe(404);
  });
});

describe('malformed requests', () => {
  it('get JSON 4xx answers and the server keeps serving', async () => {
    const cases: [string, string, string | undefined, number][] = [
      ['POST', '/queue', '{"clear": tru', 400],
      ['POST', '/queue', '[]', 400],
      ['POST', '/history', 'null', 400],
      ['POST', '/interrupt', '{{{', 400],
      ['POST', '/free', '\u0000\u0001', 400],
      ['GET', '/nowhere', undefined, 404],
      ['GET', '/history/%E0%A4%A', undefined, 400],
      ['POST', '/upload/image', 'not multipart', 400],
    ];
    for (const [method, path, body, status] of cases) {
      const res = await fetch(server.url + path, { method, body, headers: body ? { 'Content-Type': 'application/json' } : {} });
      expect(res.status, `${method} ${path}`).toBe(status);
      expect(typeof (await json(res)).error, `${method} ${path}`).not.toBe('undefined');
    }
    // A body that claims more bytes than it sends, then hangs up.
    await new Promise<void>((resolve) => {
      const req = request(server.url + '/prompt', { method: 'POST', headers: { 'Content-Length': '1000' } });
      req.on('error', () => resolve());
      req.write('{"prompt":');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    const client = await WsClient.open(server.url, { path: '/ws?clientId=after-garbage' });
    const res = await server.post('/prompt', { prompt: stepsPrompt(1), client_id: 'after-garbage' });
    await client.finished(((await json(res)) as { prompt_id: string }).prompt_id);
    await client.close();
  });
});
