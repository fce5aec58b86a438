// The bench's raw numbers (one JSON per run, ours and the torch reference's) and the markdown report
// made from them: bench/results/gpu-<date>.md.

export interface TimingRow {
  /** DiT shape name (480x832) or, for VAE rows, the frame size. */
  readonly shape: string;
  readonly tokens?: number;
  readonly provider: string;
  readonly precision: string;
  /** Median milliseconds per call (DiT) or per decoded video frame (VAE); undefined when it failed. */
  readonly ms?: number;
  readonly flops: number;
  readonly runs: number;
  readonly error?: string;
}

export interface AccuracyRow {
  /** What was compared, e.g. "2 of 40 layers, 480x832 x 3". */
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

export interface BenchResults {
  readonly source: 'onnx' | 'torch';
  readonly date: string;
  readonly device: string;
  readonly size: string;
  readonly notes: readonly string[];
  readonly dit: readonly TimingRow[];
  readonly vae: readonly TimingRow[];
  readonly accuracy: readonly AccuracyRow[];
  /** Measured 8192^3 bf16 matmul TFLOP/s (torch results only). */
  readonly matmulCeilingTflops?: number;
}

/**
 * Relative error budgets against float32 on the same inputs. fp16 keeps ~11 mantissa bits; after a
 * few real-width layers (norms and softmax in float32) 1e-2 of the output's range is the bound the
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

const tf = (row: TimingRow): number | undefined => (row.ms === undefined ? undefined : row.flops / (row.ms * 1e-3) / 1e12);

/** The torch row ours is compared with: same shape, fp16 (bf16 when torch has no fp16 row). */
function torchPeer(row: TimingRow, torch: BenchResults | undefined): TimingRow | undefined {
  if (!torch) return undefined;
  const same = torch.dit.filter((t) => t.shape === row.shape && t.ms !== undefined);
  return same.find((t) => t.precision === row.precision) ?? same.find((t) => t.precision === 'fp16') ?? same[0];
}

export function renderResultsMarkdown(onnx: readonly BenchResults[], torch: BenchResults | undefined): string {
  const date = onnx[0]?.date ?? torch?.date ?? new Date().toISOString().slice(0, 10);
  const ceiling = torch?.matmulCeilingTflops;
  const lines: string[] = [`# FlashPortrait DiT / VAE on GPU, ${date}`, ''];
  const devices = [...new Set([...onnx.map((r) => r.device), ...(torch ? [torch.device] : [])])];
  lines.push(`Device: ${devices.join('; ') || 'unknown'}. Size: ${[...new Set(onnx.map((r) => r.size))].join(', ') || torch?.size || '?'}.`);
  lines.push(ceiling === undefined ? 'Matmul ceiling: not measured (it needs the torch reference on a CUDA device).' : `Matmul ceiling: ${ceiling.toFixed(0)} TFLOP/s (torch, 8192^3 bf16 matmul, same run).`);
  lines.push('');
  lines.push('## DiT, one transformer call (one CFG branch of one window; the real shapes are 21 latent frames = 81 video frames)', '');
  lines.push('ms: median wall time of one call, inputs uploaded and output read back. TFLOP/s: analytic matmul + attention FLOPs (ditFlops) / ms.');
  lines.push('ratio to torch: our ms / the torch reference\'s ms at the same shape (lower is better; > 1 = slower than torch).', '');
  lines.push('| shape | tokens | provider | precision | ms | TFLOP/s | % of ceiling | ratio to torch | max error vs fp32 |');
  lines.push('|---|---:|---|---|---:|---:|---:|---:|---:|');
  const accuracyFor = (results: BenchResults, precision: string): string => {
    const a = results.accuracy.find((x) => x.precision === precision && x.maxRelError !== undefined);
    return a ? sci(a.maxRelError) : '–';
  };
  const ditRow = (r: TimingRow, results: BenchResults, peer: TimingRow | undefined): string => {
    const t = tf(r);
    const ratio = r.ms !== undefined && peer?.ms !== undefined ? (r.ms / peer.ms).toFixed(2) : '–';
    const pct = t !== undefined && ceiling ? `${((100 * t) / ceiling).toFixed(0)}%` : '–';
    const ms = r.ms === undefined ? `failed: ${r.error ?? 'no time'}` : fmt(r.ms, 1);
    return `| ${r.shape} | ${r.tokens ?? '–'} | ${r.provider} | ${r.precision} | ${ms} | ${fmt(t, 1)} | ${pct} | ${results.source === 'torch' ? (r.ms === undefined ? '–' : '1.00') : ratio} | ${accuracyFor(results, r.precision)} |`;
  };
  for (const results of onnx) for (const r of results.dit) lines.push(ditRow(r, results, torchPeer(r, torch)));
  if (torch) for (const r of torch.dit) lines.push(ditRow(r, torch, undefined));
  lines.push('', '## VAE decode, per video frame (streaming, one latent frame = 4 video frames per call)', '');
  lines.push('| frame size | provider | precision | ms / frame | TFLOP/s |');
  lines.push('|---|---|---|---:|---:|');
  for (const results of onnx) for (const r of results.vae) lines.push(`| ${r.shape} | ${r.provider} | ${r.precision} | ${r.ms === undefined ? `failed: ${r.error ?? 'no time'}` : fmt(r.ms, 1)} | ${fmt(tf(r), 1)} |`);
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
  const notes = [...onnx.flatMap((r) => r.notes), ...(torch?.notes ?? [])];
  if (notes.length) lines.push('', '## Notes', '', ...notes.map((n) => `- ${n}`));
  lines.push('');
  return lines.join('\n');
}
