// Joins the JSON results of several device calls (ours and the torch reference's) into one report.
// Run: node --import tsx bench/gpu/render.ts bench/results/gpu-<date>.md <results>.json...
import { readFileSync, writeFileSync } from 'node:fs';
import { renderResultsMarkdown } from './results.ts';
import type { BenchResults } from './results.ts';

const [target, ...inputs] = process.argv.slice(2);
if (!target || inputs.length === 0) {
  console.error('usage: render.ts OUT.md RESULTS.json...');
  process.exit(2);
}
const all = inputs.map((f) => JSON.parse(readFileSync(f, 'utf8')) as BenchResults);
const torch = all.filter((r) => r.source === 'torch');
if (torch.length > 1) console.warn(`${torch.length} torch results given: using the last`);
writeFileSync(target, renderResultsMarkdown(all.filter((r) => r.source === 'onnx'), torch.at(-1)));
console.log(`wrote ${target}`);
