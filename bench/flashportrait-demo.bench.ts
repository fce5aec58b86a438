// The FlashPortrait demo workflow (demo model set, demo clip) timed node by node, and how much of
// the time is spent inside onnxruntime runs versus around them (our overhead: decoding, warps,
// host-side tensor work, scheduling); then FlashGraph's own work at the released shapes against the
// DiT's least possible time (flashportrait-overhead.ts). Run: node --import tsx bench/flashportrait-demo.bench.ts
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemoMedia } from '../nodes/flashportrait/demo/demo-media.ts';
import { writeDemoModelSet } from '../nodes/flashportrait/demo/demo-models.ts';
import { createHost } from '../server/host.ts';
import { findMediaTools } from '../server/media/tools.ts';
import { sessionRunTotals } from '../server/ml/session.ts';
import { loadHeadEmoModels } from '../nodes/flashportrait/features/models.ts';
import { H100_BF16_MATMUL_FLOPS, realShapeOverhead } from './flashportrait-overhead.ts';
import type { ApiPrompt } from '../types/api.ts';

const base = mkdtempSync(join(tmpdir(), 'flashgraph-demo-bench-'));
const { directory } = writeDemoModelSet(join(base, 'models'), 0);
writeDemoMedia(join(base, 'input'), findMediaTools());
const host = await createHost({ folders: { base }, ephemeralHistory: true });
const prompt = JSON.parse(readFileSync(new URL('../workflows/flashportrait-demo.api.json', import.meta.url), 'utf8')) as ApiPrompt;

/** Nodes whose time is ffmpeg/ffprobe work (decoding, encoding), not FlashGraph's. */
const MEDIA_NODES = new Set(['LoadVideo', 'SaveVideo', 'CreateVideo', 'GetVideoComponents', 'LoadImage']);

async function timed(label: string, p: ApiPrompt): Promise<void> {
  const perNode = new Map<string, { ms: number; onnx: number }>();
  let current: { node: string; since: number; onnx: number } | undefined;
  const close = () => {
    if (current) {
      const sum = perNode.get(current.node) ?? { ms: 0, onnx: 0 };
      perNode.set(current.node, { ms: sum.ms + performance.now() - current.since, onnx: sum.onnx + sessionRunTotals.milliseconds - current.onnx });
    }
    current = undefined;
  };
  const off = host.runner.on((e) => {
    if (e.kind !== 'execution') return;
    if (e.event.type === 'executing') {
      close();
      if (e.event.data.node) current = { node: e.event.data.node, since: performance.now(), onnx: sessionRunTotals.milliseconds };
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
  const media = [...perNode].filter(([node]) => MEDIA_NODES.has(p[node]?.class_type ?? '')).reduce((sum, [, t]) => sum + t.ms, 0);
  const ours = total - onnx - media;
  console.log(`\n${label}: ${total.toFixed(0)} ms total, ${(sessionRunTotals.calls - callsBefore)} onnxruntime runs taking ${onnx.toFixed(0)} ms; media tools (ffmpeg nodes) ${media.toFixed(0)} ms; FlashGraph's own work ${ours.toFixed(0)} ms (${((100 * ours) / total).toFixed(0)}%)`);
  console.log('node                                   |     ms | onnx ms | share');
  for (const [node, t] of [...perNode].sort((a, b) => b[1].ms - a[1].ms)) {
    const name = `#${node} ${p[node]?._meta?.title ?? p[node]?.class_type}`;
    console.log(`${name.padEnd(38)} | ${t.ms.toFixed(0).padStart(6)} | ${t.onnx.toFixed(0).padStart(7)} | ${((100 * t.ms) / total).toFixed(0).padStart(4)}%`);
  }
}

await timed('first run (sessions built and opened)', prompt);
const changed = structuredClone(prompt);
changed['6']!.inputs.prompt = 'The woman is talking';
await timed('prompt changed (networks warm, Sampler onwards re-run)', changed);
await host.runner.stop();

// The demo networks cost almost nothing, so the share above says little about a real run. At the
// released shapes, FlashGraph's own work against the DiT's floor (its FLOPs at the H100's matmul
// ceiling) bounds the share of a real run from above.
const fp = join(directory, 'FlashPortrait');
const models = await loadHeadEmoModels({ faceDetector: join(fp, 'face_det.onnx'), faceLandmarks: join(fp, 'face_landmark.onnx'), pdfgc: join(fp, 'pd_fpg.pth'), cacheDir: join(base, 'cache') });
const rows = await realShapeOverhead(models);
await models.release();
console.log(`\nreleased shapes, 81 driving frames, 30 steps x 2 DiT calls; DiT floor = FLOPs / ${H100_BF16_MATMUL_FLOPS / 1e12} TFLOP/s (H100 bf16 matmul ceiling)`);
console.log('shape    | extractor host ms | sampler host ms | DiT floor s | our share (upper bound)');
for (const r of rows) {
  const ours = r.extractorHostMs + r.samplerHostMs;
  console.log(`${r.label.padEnd(8)} | ${r.extractorHostMs.toFixed(0).padStart(17)} | ${r.samplerHostMs.toFixed(0).padStart(15)} | ${(r.ditFloorMs / 1000).toFixed(1).padStart(11)} | ${((100 * ours) / (ours + r.ditFloorMs)).toFixed(1).padStart(5)}%`);
}
