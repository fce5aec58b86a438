// Pause, reorder, cancel and the jobs API behave the same on both queue backends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitUntil, startTestServer, type TestServer } from '../api/helpers.ts';
import { FAST_QUEUE_ENV, QUEUE_PACK, redisAvailable, startRedis, workPrompt, type TestRedis } from './redis-harness.ts';

const hasRedis = redisAvailable();
Object.assign(process.env, FAST_QUEUE_ENV);

let redis: TestRedis | undefined;
beforeAll(async () => {
  if (hasRedis) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const backends = [
  { name: 'in-process queue', skip: false, start: () => startTestServer({ packs: { customNodesDirectory: QUEUE_PACK } }) },
  { name: 'Redis queue (server with its own worker)', skip: !hasRedis, start: () => startTestServer({ queue: redis!.url, packs: { customNodesDirectory: QUEUE_PACK } }) },
];

describe.each(backends)('queue control on the $name', ({ skip, start }) => {
  it.skipIf(skip)('pauses, moves, cancels and lists jobs as documented', async () => {
    const server: TestServer = await start();
    try {
      const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as any });
      const pendingIds = async () => ((await (await server.get('/queue')).json()) as { queue_pending: [number, string][] }).queue_pending.map((item) => item[1]);

      expect(await json(await server.post('/queue/pause', {}))).toEqual({ status: 200, body: { paused: true } });
      expect((await json(await server.get('/api/queue/pause'))).body).toEqual({ paused: true });
      for (const id of ['a', 'b', 'c', 'd']) expect((await server.post('/prompt', { prompt: workPrompt(id, { save: false }), prompt_id: id })).status).toBe(200);
      await sleep(300);
      expect(server.runner.history.size).toBe(0);
      expect(await pendingIds()).toEqual(['a', 'b', 'c', 'd']);

      const jobs = await json(await server.get('/api/jobs?status=pending&sort_order=asc'));
      expect(jobs.body.jobs.map((j: { id: string }) => j.id)).toEqual(['a', 'b', 'c', 'd']);
      expect(jobs.body.pagination).toEqual({ offset: 0, limit: null, total: 4, has_more: false });

      expect((await json(await server.post('/queue/move', { prompt_id: 'd', position: 'front' }))).status).toBe(200);
      expect(await pendingIds()).toEqual(['d', 'a', 'b', 'c']);
      expect((await json(await server.post('/queue/move', { prompt_id: 'a', position: 2 }))).status).toBe(200);
      expect(await pendingIds()).toEqual(['d', 'b', 'a', 'c']);
      expect((await server.post('/queue/move', { prompt_id: 'nope', position: 0 })).status).toBe(404);
      expect((await server.post('/queue/move', { prompt_id: 'a', position: -1 })).status).toBe(400);

      expect(await json(await server.post('/queue/cancel', { prompt_id: 'b' }))).toEqual({ status: 200, body: { prompt_id: 'b', cancelled: 'pending' } });
      expect((await server.post('/queue/cancel', { prompt_id: 'b' })).status).toBe(404);
      expect(await pendingIds()).toEqual(['d', 'a', 'c']);

      expect(await json(await server.post('/queue/resume', {}))).toEqual({ status: 200, body: { paused: false } });
      await waitUntil(() => server.runner.history.size === 3);
      expect(Object.keys(server.runner.history.list())).toEqual(['d', 'a', 'c']);

      await server.post('/prompt', { prompt: workPrompt('long', { steps: 2000, delay_ms: 5, save: false }), prompt_id: 'long' });
      await waitUntil(async () => (await server.runner.snapshot()).running.some((p) => p.promptId === 'long'));
      await sleep(100);
      expect(await json(await server.post('/queue/cancel', { prompt_id: 'long' }))).toEqual({ status: 200, body: { prompt_id: 'long', cancelled: 'running' } });
      await waitUntil(() => server.runner.history.get('long') !== undefined);

      const done = await json(await server.get('/api/jobs?status=completed,cancelled&sort_order=asc'));
      expect(done.body.jobs.map((j: { id: string; status: string }) => `${j.id}:${j.status}`)).toEqual(['a:completed', 'c:completed', 'd:completed', 'long:cancelled']);
      const one = await json(await server.get('/api/jobs/d'));
      expect(one.body).toMatchObject({ id: 'd', status: 'completed', outputs_count: 0, workflow: { prompt: { '1': { class_type: 'QueueWork' } } } });
      expect(one.body.execution_end_time).toBeGreaterThanOrEqual(one.body.execution_start_time);
      expect((await server.get('/api/jobs/unknown')).status).toBe(404);
      for (const bad of ['status=done', 'sort_by=name', 'sort_order=up', 'limit=0', 'limit=x']) expect((await server.get(`/api/jobs?${bad}`)).status).toBe(400);
      const page = await json(await server.get('/api/jobs?limit=2&offset=-5'));
      expect(page.body.pagination).toEqual({ offset: 0, limit: 2, total: 4, has_more: true });
    } finally {
      await server.close();
    }
  });
});
