// The queue on Redis with `graph worker` child processes: completion, event relay, file transfer,
// worker death, restarts of the server and of Redis, and a worker that lacks a node pack.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisPromptService } from '../../server/scaleout/redis-service.ts';
import { tempDir } from '../helpers/engine.ts';
import { sleep, waitUntil, startTestServer, WsClient, type TestServer } from '../api/helpers.ts';
import { FAST_QUEUE_ENV, QUEUE_PACK, redisAvailable, startRedis, startWorker, workPrompt, type TestRedis, type WorkerProcess } from './redis-harness.ts';

const hasRedis = redisAvailable();
Object.assign(process.env, FAST_QUEUE_ENV);

describe.skipIf(!hasRedis)('Redis queue with graph worker processes', () => {
  let redis: TestRedis;
  const workers: WorkerProcess[] = [];
  const servers: TestServer[] = [];

  const server = async (base = tempDir('flashgraph-front-')) => {
    const started = await startTestServer({ queue: redis.url, localWorker: false, packs: { customNodesDirectory: QUEUE_PACK } }, base);
    servers.push(started);
    return started;
  };
  const worker = async (name: string, options?: Parameters<typeof startWorker>[2]) => {
    const started = await startWorker(redis.url, name, options);
    workers.push(started);
    return started;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('runs 20 prompts on two workers exactly once, relays every event in order, serves the outputs', async () => {
    const front = await server();
    const [a, b] = await Promise.all([worker('w-a'), worker('w-b')]);
    const client = await WsClient.open(front.url, { path: '/ws?clientId=c20' });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await front.post('/prompt', { prompt: workPrompt(`p${i}`, { delay_ms: 15 }), client_id: 'c20' });
      expect(response.status).toBe(200);
      ids.push(((await response.json()) as { prompt_id: string }).prompt_id);
    }
    for (const id of ids) await client.finished(id, 20_000);

    const pids = new Set<string>();
    for (const [i, id] of ids.entries()) {
      const types = client.forPrompt(id).map((m) => (m.type === 'executing' ? `executing:${m.data.node}` : m.type));
      expect(types.filter((t) => t !== 'progress_state')).toEqual(['execution_start', 'execution_cached', 'executing:1', 'progress', 'progress', 'progress', 'executed', 'execution_success', 'executing:null']);
      const history = (await (await front.get(`/history/${id}`)).json()) as Record<string, any>;
      const entry = history[id];
      expect(entry.status.status_str).toBe('success');
      expect(entry.status.messages.map(([name]: [string]) => name)).not.toContain('flashgraph_attempts');
      const text = (entry.outputs['1'].text as string[])[0]!;
      pids.add(text.split(':')[1]!);
      const [file] = entry.outputs['1'].images as { filename: string; subfolder: string; type: string }[];
      const executed = client.forPrompt(id).find((m) => m.type === 'executed')!;
      expect(executed.data.output.images[0]).toEqual(file);
      const view = await front.get(`/view?${new URLSearchParams({ filename: file!.filename, subfolder: file!.subfolder, type: 'output' })}`);
      expect(view.status).toBe(200);
      expect(await view.text()).toBe(`p${i} from ${text.split(':')[1]}\n`);
    }
    expect(pids).toEqual(new Set([String(a!.child.pid), String(b!.child.pid)]));
    expect(Object.keys((await (await front.get('/history')).json()) as object)).toHaveLength(20);
    expect(front.runner.remaining()).toBe(0);
    await client.close();
  });

  it('finishes the prompt of a worker killed with SIGKILL on the other worker, once', async () => {
    const front = await server();
    const [a, b] = await Promise.all([worker('k-a'), worker('k-b')]);
    const client = await WsClient.open(front.url, { path: '/ws?clientId=ckill' });
    await front.post('/prompt', { prompt: workPrompt('long', { steps: 30, delay_ms: 50 }), client_id: 'ckill', prompt_id: 'long' });
    await client.waitFor((m) => m.type === 'progress' && m.data.prompt_id === 'long');
    const service = front.runner as RedisPromptService;
    const running = (await service.workers()).find((w) => w.busy > 0)!;
    const [victim, survivor] = running.id === 'k-a' ? [a!, b!] : [b!, a!];
    victim.child.kill('SIGKILL');
    await client.finished('long', 20_000);
    const entry = front.runner.history.get('long')!;
    expect(entry.status.status_str).toBe('success');
    expect((entry.outputs['1']!.text as string[])[0]).toBe(`long:${survivor.child.pid}:0`);
    const attempts = entry.status.messages.find(([name]) => name === 'flashgraph_attempts');
    expect(attempts?.[1]).toMatchObject({ attempts: 2, worker: survivor.id });
    expect(client.forPrompt('long').filter((m) => m.type === 'execution_success')).toHaveLength(1);
    await sleep(300);
    expect(front.runner.remaining()).toBe(0);
    await client.close();
  });

  it('keeps prompts pending in Redis across a server restart and a Redis restart', async () => {
    const base = tempDir('flashgraph-front-');
    const first = await server(base);
    for (const id of ['r1', 'r2', 'r3']) expect((await first.post('/prompt', { prompt: workPrompt(id), prompt_id: id })).status).toBe(200);
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    await redis.restart();
    const second = await server(base);
    const queue = (await (await second.get('/queue')).json()) as { queue_pending: [number, string][] };
    expect(queue.queue_pending.map((item) => item[1])).toEqual(['r1', 'r2', 'r3']);
    await worker('r-w');
    await waitUntil(() => ['r1', 'r2', 'r3'].every((id) => second.runner.history.get(id)?.status.status_str === 'success'));
  });

  it('an identical prompt queued again on the same worker reports its cached outputs, the files already on the server', async () => {
    const front = await server();
    await worker('again-w');
    const client = await WsClient.open(front.url, { path: '/ws?clientId=cagain' });
    const started = Date.now();
    for (const id of ['first', 'again']) {
      await front.post('/prompt', { prompt: workPrompt('same'), client_id: 'cagain', prompt_id: id });
      await client.finished(id, 20_000);
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    const files = ['first', 'again'].map((id) => {
      const entry = front.runner.history.get(id)!;
      expect(entry.status.status_str).toBe('success');
      return (entry.outputs['1']!.images as { filename: string; subfolder: string }[])[0]!;
    });
    expect(files[1]).toEqual(files[0]);
    expect(client.forPrompt('again').find((m) => m.type === 'execution_cached')?.data.nodes).toEqual(['1']);
    const view = await front.get(`/view?${new URLSearchParams({ filename: files[0]!.filename, subfolder: files[0]!.subfolder, type: 'output' })}`);
    expect(view.status).toBe(200);
    await client.close();
  });

  it('finishes a prompt that was running while Redis restarted, exactly once, and runs the next one', async () => {
    const front = await server();
    await worker('rr-w');
    const client = await WsClient.open(front.url, { path: '/ws?clientId=crr' });
    await front.post('/prompt', { prompt: workPrompt('during', { steps: 20, delay_ms: 100 }), client_id: 'crr', prompt_id: 'during' });
    await client.waitFor((m) => m.type === 'progress' && m.data.prompt_id === 'during');
    await redis.restart();
    await waitUntil(() => front.runner.history.get('during')?.status.status_str !== undefined, 30_000);
    const entry = front.runner.history.get('during')!;
    expect(entry.status.status_str).toBe('success');
    expect((entry.outputs['1']!.text as string[])[0]).toMatch(/^during:\d+:0$/);
    // Queued after the restart: the worker and the server reconnected.
    expect((await front.post('/prompt', { prompt: workPrompt('after'), prompt_id: 'after' })).status).toBe(200);
    await waitUntil(() => front.runner.history.get('after')?.status.status_str === 'success', 20_000);
    await sleep(300);
    expect(Object.keys((await (await front.get('/history')).json()) as object).sort()).toEqual(['after', 'during']);
    expect(front.runner.remaining()).toBe(0);
    await client.close();
  }, 60_000);

  it('fails a prompt with the reason when the worker lacks its node pack, without retrying it', async () => {
    const front = await server();
    await worker('bare', { customNodes: tempDir('flashgraph-no-packs-') });
    const client = await WsClient.open(front.url, { path: '/ws?clientId=cbare' });
    await front.post('/prompt', { prompt: workPrompt('missing'), client_id: 'cbare', prompt_id: 'missing' });
    await client.finished('missing');
    const entry = front.runner.history.get('missing')!;
    expect(entry.status.status_str).toBe('error');
    const error = client.forPrompt('missing').find((m) => m.type === 'execution_error')!;
    expect(error.data.exception_type).toBe('WorkerSetupError');
    expect(error.data.exception_message).toContain('QueueWork');
    await sleep(500);
    expect(client.forPrompt('missing').filter((m) => m.type === 'execution_error')).toHaveLength(1);
    expect(front.runner.remaining()).toBe(0);
    await client.close();
  });
});
