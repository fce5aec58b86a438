// The server under load, over real HTTP and WebSocket connections on 127.0.0.1.
// Run: node --import tsx bench/api.bench.ts
//  1. 200 trivial prompts POSTed one at a time, then 8 at a time: POST /prompt latency (p50/p99), submit throughput,
//     and how fast the queue drains.
//  2. 50 WebSocket clients, each queueing a prompt that reports 20 progress steps: every client
//     must receive exactly its own messages (no loss, no leak).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../server/api/server.ts';
import type { NodeDefinition } from '../server/runtime/schema.ts';

const PROMPTS = 200;
const CONCURRENCY = 8;
const CLIENTS = 50;
const STEPS = 20;

const Steps: NodeDefinition = {
  type: 'BenchSteps',
  outputNode: true,
  inputs: { required: { steps: { type: 'INT', default: 1, min: 1, max: 10_000 }, tag: { type: 'STRING', default: '' } } },
  async execute({ steps }, ctx) {
    for (let i = 1; i <= steps; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      ctx.progress(i, steps);
    }
    return { ui: { text: [String(steps)] } };
  },
};

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function submitMany(post: (body: unknown) => Promise<Response>, runner: RunningServer['runner'], concurrency: number): Promise<boolean> {
  const latencies: number[] = [];
  const ids: string[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < PROMPTS) {
        const i = next++;
        const t0 = performance.now();
        const res = await post({ prompt: { '1': { class_type: 'PrimitiveInt', inputs: { value: i } }, '2': { class_type: 'PreviewAny', inputs: { source: ['1', 0] } } } });
        const { prompt_id } = (await res.json()) as { prompt_id: string };
        latencies.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`POST /prompt answered ${res.status}`);
        ids.push(prompt_id);
      }
    }),
  );
  const submitted = performance.now() - started;
  await Promise.all(ids.map((id) => runner.waitFor(id)));
  const drained = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const ok = ids.every((id) => runner.history.get(id)?.status.status_str === 'success');

  console.log(`POST /prompt x${PROMPTS} (${concurrency} in flight)`);
  console.log(`  submit throughput   ${((PROMPTS / submitted) * 1000).toFixed(0)} prompts/s`);
  console.log(`  latency p50 / p99   ${percentile(latencies, 50).toFixed(2)} ms / ${percentile(latencies, 99).toFixed(2)} ms (max ${latencies.at(-1)!.toFixed(2)} ms)`);
  console.log(`  all ${PROMPTS} run      ${drained.toFixed(0)} ms (${((PROMPTS / drained) * 1000).toFixed(0)} prompts/s end to end), all succeeded: ${ok}`);

  return ok;
}

async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'flashgraph-bench-api-'));
  const server = await startServer({ port: 0, folders: { base }, nodes: [Steps], log: () => {} });
  const post = (body: unknown) => fetch(`${server.url}/prompt`, { method: 'POST', body: JSON.stringify(body) });

  // Warm-up: first requests pay for JIT and connection set-up.
  for (let i = 0; i < 20; i++) await post({ prompt: { '1': { class_type: 'BenchSteps', inputs: { steps: 1, tag: `warm${i}` } } } });
  while (server.runner.remaining() > 0) await new Promise((resolve) => setTimeout(resolve, 5));

  // 1. POST /prompt throughput and latency, one request at a time and several in flight.
  let ok = true;
  for (const concurrency of [1, CONCURRENCY]) ok = (await submitMany(post, server.runner, concurrency)) && ok;

  // 2. Many clients, each following its own prompt.
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const clientId = `bench-${i}`;
      const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws?clientId=${clientId}`);
      const messages: { type: string; data: any }[] = [];
      socket.on('message', (data, binary) => {
        if (!binary) messages.push(JSON.parse(String(data)));
      });
      await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
      return { clientId, socket, messages, promptId: '' };
    }),
  );
  const wsStarted = performance.now();
  for (const client of clients) {
    const res = await post({ prompt: { '1': { class_type: 'BenchSteps', inputs: { steps: STEPS, tag: client.clientId } } }, client_id: client.clientId });
    client.promptId = ((await res.json()) as { prompt_id: string }).prompt_id;
  }
  const done = (c: (typeof clients)[number]) => c.messages.some((m) => m.type === 'executing' && m.data.node === null && m.data.prompt_id === c.promptId);
  while (!clients.every(done)) {
    if (performance.now() - wsStarted > 60_000) throw new Error('clients did not all finish');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const wsElapsed = performance.now() - wsStarted;
  let total = 0;
  let lost = 0;
  let leaked = 0;
  for (const client of clients) {
    total += client.messages.length;
    const progress = client.messages.filter((m) => m.type === 'progress' && m.data.prompt_id === client.promptId);
    if (progress.length !== STEPS || progress.some((m, i) => m.data.value !== i + 1)) lost++;
    leaked += client.messages.filter((m) => m.type !== 'status' && m.data.prompt_id !== client.promptId).length;
  }
  console.log(`${CLIENTS} WebSocket clients, one ${STEPS}-step prompt each`);
  console.log(`  messages received   ${total} (${((total / wsElapsed) * 1000).toFixed(0)}/s), in ${wsElapsed.toFixed(0)} ms`);
  console.log(`  clients missing progress: ${lost}; messages of other clients' prompts received: ${leaked}`);
  for (const client of clients) client.socket.close();
  await server.close();
  if (!ok || lost > 0 || leaked > 0) {
    console.error('FAILED: lost or leaked messages, or failed prompts');
    process.exitCode = 1;
  }
}

await main();
