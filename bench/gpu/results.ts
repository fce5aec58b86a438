// The bench's raw numbers (one JSON per run, ours and the torch reference's) and the markdown report
// made from them: bench/results/gpu-<date>.md.
import { layerCost } from './plan.ts';

export interface TimingRow {
  /** DiT shape name (480x832) or, for VAE rows, the frame size. */
  readonly shape: string;
  readonly tokens?: number;
  readonly provider: string;
  readonly precision: string;
  /** DiT rows: transformer blocks in the timed call (1 or the stack). */
  readonly layers?: number;
  /** DiT rows: the self-attention variant (variants.ts), or SDPA for torch. */
  readonly attention?: string;
  /** Median milliseconds per call (DiT) or per decoded video frame (VAE); undefined when it failed. */
  readonly ms?: number;
  readonly flops: number;
  readonly runs: number;
  readonly error?: string;
}

export interface VariantRow {
  readonly variant: string;
  readonly description: string;
  readonly shape: string;
  readonly provider: string;
  /** One 1-layer call, median. */
  readonly ms?: number;
  readonly error?: string;
  /** Against the reference variant's output (the first that ran). */
  readonly maxRelError?: number;
  readonly reference?: string;
  readonly chosen?: boolean;
}

export interface AccuracyRow {
  /** What was compared, e.g. "1 of 3 layers, 480x832 x 3". */
  readonly what: string;
  readonly provider: string;
  readonly precision: string;
  /** max |low - fp32| / max |fp32| over the output. */
  readonly maxRelError?: number;
  /** sqrt(mean (low - fp32)^2) / sqrt(mean fp32^2). */
  readonly rmsRelError?: number;
  readonly budget: number;
  readonly error?: string;
}

export interface SkippedRow {
  readonly what: string;
  /** Estimated seconds the step needed, and the seconds the budget had left for it. */
  readonly neededS: number;
  readonly leftS: number;
}

export interface BenchResults {
  readonly source: 'onnx' | 'torch';
  readonly date: string;
  readonly device: string;
  readonly size: string;
  readonly notes: readonly string[];
  readonly dit: readonly TimingRow[];
  readonly vae: readonly TimingRow[];
  readonly accuracy: readonly AccuracyRow[];
  readonly variants?: readonly VariantRow[];
  readonly skipped?: readonly SkippedRow[];
  /** Layers in the timed stack, and in the model the per-layer cost is scaled to. */
  readonly stackLayers?: number;
  readonly modelLayers?: number;
  /** Measured 8192^3 bf16 matmul TFLOP/s (torch results only). */
  readonly matmulCeilingTflops?: number;
}

/**
 * Relative error budgets against float32 on the same inputs. fp16 keeps ~11 mantissa bits; after a
 * real-width layer (norms and softmax in float32) 1e-2 of the output's range is the bound the
 * release notes of comparable ports use; bf16 has 3 fewer bits, hence 8x.
 */
export const ERROR_BUDGET: Readonly<Record<string, number>> = { fp16: 1e-2, bf16: 8e-2, fp32: 1e-5 };

export function relativeErrors(low: ArrayLike<number>, ref: ArrayLike<number>): { maxRelError: number; rmsRelError: number } {
  if (low.length !== ref.length) throw new Error(`compared outputs differ in size: ${low.length} vs ${ref.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  let sumDiff = 0;
  let sumRef = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(low[i]! - ref[i]!);
    if (!(d <= maxDiff)) maxDiff = d; // NaN propagates as the maximum
    maxRef = Math.max(maxRef, Math.abs(ref[i]!));
    sumDiff += d * d;
    sumRef += ref[i]! * ref[i]!;
  }
  const scale = maxRef > 0 ? maxRef : 1;
  return { maxRelError: maxDiff / scale, rmsRelError: Math.sqrt(sumDiff / ref.length) / Math.max(Math.sqrt(sumRef / ref.length), Number.MIN_VALUE) };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function fmt(n: number | undefined, digits: number): string {
  return n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits);
}

function sci(n: number | undefined): string {
  return n === undefined ? '–' : n.toExponential(1);
}

function failed(row: { ms?: number; error?: string }, digits = 1): string {
  return row.ms === undefined ? `failed: ${row.error ?? 'no time'}` : fmt(row.ms, digits);
}

/** One line of the per-layer table: a shape / provider / precision with its 1-layer and stack calls. */
export interface LayerLine {
  readonly source: 'onnx' | 'torch';
  readonly shape: string;
  readonly tokens?: number;
  readonly provider: string;
  readonly precision: string;
  readonly attention: string;
  readonly one?: TimingRow;
  readonly stack?: TimingRow;
  /** FLOPs of one block (from the two rows' FLOPs). */
  readonly layerFlops?: number;
  readonly perLayerMs?: number;
  readonly restMs?: number;
  readonly modelMs?: number;
}

/** Pairs each result's 1-layer and stack rows into per-layer lines. */
export function layerLines(results: BenchResults): LayerLine[] {
  const S = results.stackLayers;
  const groups = new Map<string, TimingRow[]>();
  for (const r of results.dit) {
    const key = [r.shape, r.provider, r.precision].join('|');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rows) => {
    const first = rows[0]!;
    const one = rows.find((r) => r.layers === 1);
    const stack = S === undefined ? undefined : rows.find((r) => r.layers === S);
    const base = { source: results.source, shape: first.shape, tokens: first.tokens, provider: first.provider, precision: first.precision, attention: (stack ?? one ?? first).attention ?? '–', one, stack };
    if (S === undefined || one?.ms === undefined || stack?.ms === undefined) return base;
    const cost = layerCost(one.ms, stack.ms, S, results.modelLayers ?? S);
    return { ...base, layerFlops: (stack.flops - one.flops) / (S - 1), ...{ perLayerMs: cost.perLayerMs, restMs: cost.restMs, modelMs: cost.modelMs } };
  });
}

export function renderResultsMarkdown(onnx: readonly BenchResults[], torch: BenchResults | undefined): string {
  const date = onnx[0]?.date ?? torch?.date ?? new Date().toISOString().slice(0, 10);
  const ceiling = torch?.matmulCeilingTflops;
  const S = onnx[0]?.stackLayers ?? torch?.stackLayers;
  const M = onnx[0]?.modelLayers ?? torch?.modelLayers;
  const lines: string[] = [`# FlashPortrait DiT / VAE on GPU, ${date}`, ''];
  const devices = [...new Set([...onnx.map((r) => r.device), ...(torch ? [torch.device] : [])])];
  lines.push(`Device: ${devices.join('; ') || 'unknown'}. Size: ${[...new Set(onnx.map((r) => r.size))].join(', ') || torch?.size || '?'}.`);
  lines.push(ceiling === undefined ? 'Matmul ceiling: not measured (it needs the torch reference on a CUDA device).' : `Matmul ceiling: ${ceiling.toFixed(0)} TFLOP/s (torch, 8192^3 bf16 matmul, same run).`);
  lines.push('');
  const width = [...onnx, ...(torch ? [torch] : [])].some((r) => r.size === 'real') ? 'real-width ' : '';
  lines.push(`## DiT per layer (calls of 1 and ${S ?? '?'} ${width}layers; x ${M ?? '?'} = one whole call)`, '');
  lines.push('ms: median wall time of one call (one CFG branch of one window, 21 latent frames = 81 video frames at the real shapes), inputs uploaded and output read back.');
  lines.push(`ms / layer = (t_${S ?? 'N'} - t_1) / ${S === undefined ? 'N - 1' : S - 1}; embeddings + head = t_1 - ms / layer; whole call = embeddings + head + ${M ?? 'L'} x ms / layer.`);
  lines.push('TFLOP/s: one block\'s analytic matmul + attention FLOPs / ms per layer. Ratio: our ms / layer over PyTorch bf16 SDPA\'s at the same shape (goal: <= 1.5).', '');
  lines.push(`| source | shape | tokens | provider | precision | attention | 1 layer ms | ${S ?? 'N'} layers ms | ms / layer | TFLOP/s | % of ceiling | ratio to torch bf16 | whole call ms | embeddings + head ms |`);
  lines.push('|---|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const torchLines = torch ? layerLines(torch) : [];
  const bf16 = (shape: string) => torchLines.find((t) => t.shape === shape && t.precision === 'bf16')?.perLayerMs;
  for (const line of [...onnx.flatMap(layerLines), ...torchLines]) {
    const t = line.perLayerMs === undefined || line.layerFlops === undefined ? undefined : line.layerFlops / (line.perLayerMs * 1e-3) / 1e12;
    const pct = t !== undefined && ceiling ? `${((100 * t) / ceiling).toFixed(0)}%` : '–';
    const peer = bf16(line.shape);
    const ratio = line.perLayerMs !== undefined && peer !== undefined ? (line.perLayerMs / peer).toFixed(2) : '–';
    const cell = (r: TimingRow | undefined) => (r ? failed(r) : 'not run');
    lines.push(`| ${line.source} | ${line.shape} | ${line.tokens ?? '–'} | ${line.provider} | ${line.precision} | ${line.attention} | ${cell(line.one)} | ${cell(line.stack)} | ${fmt(line.perLayerMs, 1)} | ${fmt(t, 1)} | ${pct} | ${ratio} | ${fmt(line.modelMs, 0)} | ${fmt(line.restMs, 1)} |`);
  }
  const variants = onnx.flatMap((r) => r.variants ?? []);
  if (variants.length) {
    lines.push('', '## Self-attention variants (one layer, fp16; the fastest within the fp16 budget of the reference is used above)', '');
    lines.push('| variant | what | shape | provider | ms | max error vs reference | chosen |');
    lines.push('|---|---|---|---|---:|---:|---|');
    for (const v of variants) {
      const err = v.maxRelError === undefined ? '–' : `${sci(v.maxRelError)} (vs ${v.reference})`;
      lines.push(`| ${v.variant} | ${v.description} | ${v.shape} | ${v.provider} | ${failed(v)} | ${err} | ${v.chosen ? 'yes' : ''} |`);
    }
  }
  lines.push('', '## VAE decode, per video frame (streaming, one latent frame = 4 video frames per call)', '');
  lines.push('| frame size | provider | precision | ms / frame | TFLOP/s |');
  lines.push('|---|---|---|---:|---:|');
  for (const results of onnx) {
    for (const r of results.vae) lines.push(`| ${r.shape} | ${r.provider} | ${r.precision} | ${failed(r)} | ${fmt(r.ms === undefined ? undefined : r.flops / (r.ms * 1e-3) / 1e12, 1)} |`);
  }
  lines.push('', '## Accuracy against float32 on the same inputs and weights', '');
  lines.push('max error = max |x - x_fp32| / max |x_fp32| over the DiT output; rms = the same with root-mean-squares. Budget: see bench/gpu/README.md.', '');
  lines.push('| source | compared | provider | precision | max error | rms error | budget | within |');
  lines.push('|---|---|---|---|---:|---:|---:|---|');
  for (const results of [...onnx, ...(torch ? [torch] : [])]) {
    for (const a of results.accuracy) {
      const within = a.maxRelError === undefined ? `failed: ${a.error ?? '?'}` : a.maxRelError <= a.budget ? 'yes' : 'NO';
      lines.push(`| ${results.source} | ${a.what} | ${a.provider} | ${a.precision} | ${sci(a.maxRelError)} | ${sci(a.rmsRelError)} | ${sci(a.budget)} | ${within} |`);
    }
  }
  const skipped = [...onnx, ...(torch ? [torch] : [])].flatMap((r) => (r.skipped ?? []).map((s) => ({ ...s, source: r.source })));
  if (skipped.length) {
    lines.push('', '## Skipped: would not fit the time budget', '');
    lines.push('| source | step | needed (s, estimated) | left (s) |');
    lines.push('|---|---|---:|---:|');
    for (const s of skipped) lines.push(`| ${s.source} | ${s.what} | ${s.neededS.toFixed(1)} | ${s.leftS.toFixed(1)} |`);
  }
  const notes = [...onnx.flatMap((r) => r.notes), ...(torch?.notes ?? [])];
  if (notes.length) lines.push('', '## Notes', '', ...notes.map((n) => `- ${n}`));
  lines.push('');
  return lines.join('\n');
}
