// The FlashPortrait demo workflow (demo model set, demo clip) timed node by node, and how much of
// the time is spent inside onnxruntime runs versus around them (our overhead: decoding, warps,
// host-side tensor work, scheduling). Run: node --import tsx bench/flashportrait-demo.bench.ts
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemoMedia } from '../nodes/flashportrait/demo/demo-media.ts';
import { writeDemoModelSet } from '../nodes/flashportrait/demo/demo-models.ts';
import { createHost } from '../server/host.ts';
import { findMediaTools } from '../server/media/tools.ts';
import { sessionRunTotals } from '../server/ml/session.ts';
import type { ApiPrompt } from '../types/api.ts';

const base = mkdtempSync(join(tmpdir(), 'flashgraph-demo-bench-'));
writeDemoModelSet(join(base, 'models'), 0);
writeDemoMedia(join(base, 'input'), findMediaTools());
const host = await createHost({ folders: { base }, ephemeralHistory: true });
const prompt = JSON.parse(readFileSync(new URL('../workflows/flashportrait-demo.api.json', import.meta.url), 'utf8')) as ApiPrompt;

async function timed(label: string, p: ApiPrompt): Promise<void> {
  const perNode = new Map<string, number>();
  let current: { node: string; since: number } | undefined;
  const close = () => {
    if (current) perNode.set(current.node, (perNode.get(current.node) ?? 0) + performance.now() - current.since);
    current = undefined;
  };
  const off = host.runner.on((e) => {
    if (e.kind !== 'execution') return;
    if (e.event.type === 'executing') {
      close();
      if (e.event.data.node) current = { node: e.event.data.node, since: performance.now() };
    } else if (e.event.type === 'execution_success' || e.event.type === 'execution_error') {
      close();
    }
  });
  const onnxBefore = sessionRunTotals.milliseconds;
  const callsBefore = sessionRunTotals.calls;
  const started = performance.now();
  const submitted = await host.runner.submit({ prompt: p });
  if (!submitted.ok) throw new Error(JSON.stringify(submitted.error));
  const entry = await host.runner.waitFor(submitted.promptId);
  const total = performance.now() - started;
  off();
  if (entry.status.status_str !== 'success') throw new Error(`${label}: ${JSON.stringify(entry.status.messages.at(-1))}`);
  const onnx = sessionRunTotals.milliseconds - onnxBefore;
  console.log(`\n${label}: ${total.toFixed(0)} ms total, ${(sessionRunTotals.calls - callsBefore)} onnxruntime runs taking ${onnx.toFixed(0)} ms; outside onnxruntime ${(total - onnx).toFixed(0)} ms (${((100 * (total - onnx)) / total).toFixed(0)}%)`);
  console.log('node                                   |     ms | share');
  for (const [node, ms] of [...perNode].sort((a, b) => b[1] - a[1])) {
    const name = `#${node} ${p[node]?._meta?.title ?? p[node]?.class_type}`;
    console.log(`${name.padEnd(38)} | ${ms.toFixed(0).padStart(6)} | ${((100 * ms) / total).toFixed(0).padStart(4)}%`);
  }
}

await timed('first run (sessions built and opened)', prompt);
const changed = structuredClone(prompt);
changed['6']!.inputs.prompt = 'The woman is talking';
await timed('prompt changed (networks warm, Sampler onwards re-run)', changed);
await host.runner.stop();
