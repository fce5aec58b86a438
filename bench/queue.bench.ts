// The queue backends compared: added latency of the Redis path per prompt, throughput of
// CPU-bound prompts with 1 and 2 `graph worker` processes, and model-affinity routing.
// Needs redis-server on PATH. Run: npm run bench:queue
import { startTestServer, WsClient, type TestServer } from '../tests/api/helpers.ts';
import { FAST_QUEUE_ENV, QUEUE_PACK, redisAvailable, startRedis, startWorker, workPrompt, type TestRedis } from '../tests/scaleout/redis-harness.ts';

Object.assign(process.env, FAST_QUEUE_ENV);

async function runAll(server: TestServer, prompts: Record<string, unknown>[], sequential: boolean): Promise<{ ms: number; latencies: number[]; texts: string[] }> {
  const client = await WsClient.open(server.url, { path: '/ws?clientId=bench' });
  const latencies: number[] = [];
  const texts: string[] = [];
  const started = performance.now();
  const ids: string[] = [];
  for (const prompt of prompts) {
    const t0 = performance.now();
    const response = await server.post('/prompt', { prompt, client_id: 'bench' });
    const { prompt_id } = (await response.json()) as { prompt_id: string };
    ids.push(prompt_id);
    if (sequential) {
      await client.finished(prompt_id, 60_000);
      latencies.push(performance.now() - t0);
    }
  }
  for (const id of ids) await client.finished(id, 120_000);
  const ms = performance.now() - started;
  for (const id of ids) texts.push((server.runner.history.get(id)!.outputs['1']!.text as string[])[0]!);
  await client.close();
  return { ms, latencies, texts };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function withRedisServer<T>(redis: TestRedis, workers: number, env: Record<string, string>, body: (server: TestServer) => Promise<T>): Promise<T> {
  const flush = new (await import('ioredis')).Redis(redis.url);
  await flush.flushdb();
  await flush.quit();
  const server = await startTestServer({ queue: redis.url, localWorker: false, packs: { customNodesDirectory: QUEUE_PACK } });
  const children = await Promise.all(Array.from({ length: workers }, (_, i) => startWorker(redis.url, `bench-${i}`, { env })));
  try {
    return await body(server);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await server.close();
  }
}

async function main(): Promise<void> {
  if (!redisAvailable()) process.exit(1);
  const redis = await startRedis();
  const rows: [string, string][] = [];
  try {
    const trivial = Array.from({ length: 40 }, (_, i) => workPrompt(`t${i}`, { steps: 1, save: true }));
    const local = await startTestServer({ packs: { customNodesDirectory: QUEUE_PACK } });
    const localRun = await runAll(local, trivial, true);
    await local.close();
    const remoteRun = await withRedisServer(redis, 1, {}, (server) => runAll(server, trivial, true));
    const l = median(localRun.latencies);
    const r = median(remoteRun.latencies);
    rows.push(['latency per trivial prompt (POST /prompt → `executing: null`, median of 40, one file saved)', `in-process ${l.toFixed(1)} ms; Redis + 1 worker ${r.toFixed(1)} ms; added ${(r - l).toFixed(1)} ms`]);

    const cpu = Array.from({ length: 16 }, (_, i) => workPrompt(`c${i}`, { steps: 4, spin_ms: 50, save: false }));
    const one = await withRedisServer(redis, 1, {}, (server) => runAll(server, cpu, false));
    const two = await withRedisServer(redis, 2, {}, (server) => runAll(server, cpu, false));
    const rate = (ms: number) => (cpu.length / (ms / 1000)).toFixed(2);
    rows.push(['16 CPU-bound prompts (200 ms each), 1 worker', `${(one.ms / 1000).toFixed(2)} s, ${rate(one.ms)} prompts/s`]);
    rows.push(['same, 2 workers', `${(two.ms / 1000).toFixed(2)} s, ${rate(two.ms)} prompts/s; speed-up ×${(one.ms / two.ms).toFixed(2)}`]);

    // Two "models" (first use in a process costs 300 ms), prompts alternating between them.
    const models = Array.from({ length: 12 }, (_, i) => workPrompt(`m${i}`, { steps: 1, delay_ms: 100, save: false, model_name: i % 2 ? 'model-b' : 'model-a', load_ms: 300 }));
    const loads = (texts: string[]) => texts.reduce((sum, text) => sum + Number(text.split(':')[2]), 0);
    for (const [label, env] of [['affinity on', {}], ['affinity off', { FLASHGRAPH_QUEUE_AFFINITY: '0' }]] as const) {
      const run = await withRedisServer(redis, 2, {}, async (server) => {
        process.env.FLASHGRAPH_QUEUE_AFFINITY = 'FLASHGRAPH_QUEUE_AFFINITY' in env ? env.FLASHGRAPH_QUEUE_AFFINITY : '1';
        return runAll(server, models, true);
      });
      rows.push([`12 prompts alternating 2 models (load 300 ms), sent one after another, 2 workers, ${label}`, `${loads(run.texts)} model loads, ${(run.ms / 1000).toFixed(2)} s`]);
    }
  } finally {
    await redis.stop();
  }
  console.log('| measurement | result |\n|---|---|');
  for (const [name, value] of rows) console.log(`| ${name} | ${value} |`);
  process.exit(0);
}

await main();
