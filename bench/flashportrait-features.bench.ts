// The driving-video feature extractor on the CPU with the demo stand-in models: frames/s, the share
// of warps / ONNX runs / the rest, the FanEncoder per face vs in batches of 16, and the extractor's
// share of a whole demo workflow run. Run: node --import tsx bench/flashportrait-features.bench.ts
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemoModelSet } from '../nodes/flashportrait/demo/demo-models.ts';
import { writeDemoMedia } from '../nodes/flashportrait/demo/demo-media.ts';
import { demoDrivingFrames } from '../nodes/flashportrait/demo/demo-frames.ts';
import { extractHeadEmoFeatures } from '../nodes/flashportrait/features/extract.ts';
import { loadHeadEmoModels } from '../nodes/flashportrait/features/models.ts';
import { stageTotals } from '../nodes/flashportrait/features/timing.ts';
import { findMediaTools } from '../server/media/tools.ts';
import { createHost } from '../server/host.ts';
import type { ApiPrompt } from '../types/api.ts';

const base = mkdtempSync(join(tmpdir(), 'fg-features-bench-'));
const { directory } = writeDemoModelSet(join(base, 'models'), 0);
const fp = join(directory, 'FlashPortrait');

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
}

const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(0)}%`;
const rows: string[][] = [];
for (const frames of [25, 97]) {
  const images = demoDrivingFrames(frames);
  for (const batch of [1, 16]) {
    const timer = stageTotals();
    const models = await loadHeadEmoModels({ faceDetector: join(fp, 'face_det.onnx'), faceLandmarks: join(fp, 'face_landmark.onnx'), pdfgc: join(fp, 'pd_fpg.pth'), cacheDir: join(base, 'cache'), timer });
    await extractHeadEmoFeatures(demoDrivingFrames(5), models, { contextSize: 5, contextOverlap: 1, encoderBatch: batch }); // warm-up
    Object.assign(timer.ms, { warp: 0, detector: 0, landmarks: 0, encoder: 0 });
    const start = performance.now();
    const r = await extractHeadEmoFeatures(images, models, { contextSize: 25, contextOverlap: 4, encoderBatch: batch, timer });
    const ms = performance.now() - start;
    await models.release();
    const { warp, detector, landmarks, encoder } = timer.ms;
    const onnx = detector + landmarks + encoder;
    rows.push([String(frames), String(batch), ms.toFixed(0), ((1000 * r.frames) / ms).toFixed(1), pct(warp, ms), `${pct(onnx, ms)} (${pct(detector, ms)}/${pct(landmarks, ms)}/${pct(encoder, ms)})`, pct(ms - warp - onnx, ms), encoder.toFixed(0)]);
  }
}
console.log('Feature extractor, CPU, demo stand-in models, demo face (256x256) computed in memory');
table(['frames', 'enc batch', 'wall ms', 'frames/s', 'warps', 'ONNX (det/lmk/FanEnc)', 'rest', 'FanEnc ms'], rows);

// Share of a whole demo workflow run (LoadVideo of the 24-frame demo clip ... SaveVideo), models warm.
const tools = findMediaTools();
writeDemoMedia(join(base, 'input'), tools);
const host = await createHost({ folders: { base }, ephemeralHistory: true });
const prompt = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'workflows', 'flashportrait-demo.api.json'), 'utf8')) as ApiPrompt;
async function timedRun(p: ApiPrompt): Promise<Map<string, number>> {
  const spans = new Map<string, number>();
  let current: string | undefined;
  let since = performance.now();
  const close = (): void => { if (current) spans.set(current, (spans.get(current) ?? 0) + performance.now() - since); };
  const off = host.runner.on((e) => {
    if (e.kind !== 'execution') return;
    const ev = e.event as { type: string; data: { node?: string | null } };
    if (ev.type === 'executing' || ev.type === 'execution_success') { close(); current = ev.data.node ?? undefined; since = performance.now(); }
  });
  const start = performance.now();
  const submitted = await host.runner.submit({ prompt: p });
  if (!submitted.ok) throw new Error(JSON.stringify(submitted));
  const entry = await host.runner.waitFor(submitted.promptId);
  close();
  off();
  if (entry.status.status_str !== 'success') throw new Error(`demo run: ${entry.status.status_str}`);
  spans.set('total', performance.now() - start);
  return spans;
}
await timedRun(prompt); // loads every network
const again = structuredClone(prompt);
again['4']!.inputs.context_overlap = 5; // re-run the extractor and everything after it, networks loaded
again['6']!.inputs.seed = 43;
const spans = await timedRun(again);
await host.runner.stop();
const total = spans.get('total')!;
console.log('\nDemo workflow (24-frame demo clip, 2 steps, 48x64 output), networks already loaded');
table(['node', 'ms', 'share of run'], [
  ['FeatureExtractor (4)', spans.get('4')!.toFixed(0), pct(spans.get('4')!, total)],
  ['Sampler incl. VAE decode (6)', spans.get('6')!.toFixed(0), pct(spans.get('6')!, total)],
  ['rest (load/save video...)', (total - spans.get('4')! - spans.get('6')!).toFixed(0), pct(total - spans.get('4')! - spans.get('6')!, total)],
  ['whole run', total.toFixed(0), '100%'],
]);
rmSync(base, { recursive: true, force: true });
