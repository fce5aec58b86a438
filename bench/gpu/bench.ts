// The GPU bench itself: fp16-vs-fp32 check on a few real-width layers, one timed DiT call per shape
// and precision, VAE decode per frame; results written after every phase so a run cut short by the
// device's 10-minute limit still returns what it measured.
import { cpus } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTensor, openWeights, writeSafetensors } from '../../server/ml/index.ts';
import { ditParameterShapes } from '../../nodes/flashportrait/models/dit/parameter-shapes.ts';
import { DitModel } from '../../nodes/flashportrait/models/dit/model.ts';
import type { DitComputeDtype, DitModelOptions } from '../../nodes/flashportrait/models/dit/model.ts';
import { loadDitWeights } from '../../nodes/flashportrait/models/dit/weights.ts';
import type { DitWeights } from '../../nodes/flashportrait/models/dit/weights.ts';
import { WanVae } from '../../nodes/flashportrait/models/vae/wan-vae.ts';
import { videoFramesFor } from '../../nodes/flashportrait/models/vae/config.ts';
import { wanDecoderParameterShapes } from '../../nodes/flashportrait/models/vae/parameter-shapes.ts';
import type { BenchArgs, BenchPrecision } from './args.ts';
import { benchCallInputs } from './inputs.ts';
import { benchDitConfig, benchDitConfigRaw, benchVaeConfig, CHECK_SHAPE, DIT_SHAPES, ditCallFlops, ditShapeDims, vaeFrameFlops } from './plan.ts';
import { chooseBenchProvider } from './provider.ts';
import type { BenchProvider } from './provider.ts';
import { randomTensors, SeededRandom, writeRandomDitFolder } from './random-weights.ts';
import { ERROR_BUDGET, median, relativeErrors, renderResultsMarkdown } from './results.ts';
import type { AccuracyRow, BenchResults, TimingRow } from './results.ts';

const COMPUTE: Readonly<Record<BenchPrecision, DitComputeDtype>> = { fp16: 'float16', fp32: 'float32' };
const WEIGHT_SEED = 1;

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.slice(0, 300);
}

/** The DiT weight folder, made with seeded random weights when absent (tiny only: real ones come from torch). */
export function ensureDitWeights(args: BenchArgs, log: (m: string) => void): void {
  if (existsSync(join(args.weights, 'config.json'))) return;
  if (args.size === 'real') {
    throw new Error(`${args.weights} has no config.json: make the real-size weights first with \`python3 bench/gpu/torch_reference.py --write-weights ${args.weights}\` (bench/gpu/run.sh does)`);
  }
  log(`writing tiny random DiT weights to ${args.weights}`);
  writeRandomDitFolder(args.weights, benchDitConfigRaw('tiny'), ditParameterShapes(benchDitConfig('tiny')), 'float32', WEIGHT_SEED);
}

/** The weights with only the first `layers` blocks used (the check model reads the same files). */
function withLayers(w: DitWeights, layers: number | undefined): DitWeights {
  if (layers === undefined || layers >= w.config.numLayers) return w;
  return { ...w, config: { ...w.config, numLayers: layers } };
}

async function timeCalls(warmup: number, runs: number, call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < warmup; i++) await call();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await call();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export interface BenchRun {
  readonly results: BenchResults;
  readonly markdownPath: string;
  readonly jsonPath: string;
}

export async function runGpuBench(args: BenchArgs, log: (m: string) => void = console.log): Promise<BenchRun> {
  const date = new Date().toISOString().slice(0, 10);
  mkdirSync(args.out, { recursive: true });
  const provider: BenchProvider = await chooseBenchProvider(args.device, args.allowCpu || args.size === 'tiny');
  for (const n of provider.notes) log(n);
  const ep = provider.choice.provider;
  log(`execution provider: ${ep}`);
  const device = process.env.FLASHGRAPH_GPU_NAME ?? `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)`;
  const notes: string[] = [...provider.notes, `onnxruntime-node on ${ep}, Node ${process.version}${process.env.FLASHGRAPH_SOURCE_REV ? `, code: ${process.env.FLASHGRAPH_SOURCE_REV}` : ''}; phases ${args.phases.join(', ')}; ${args.warmup} warm-up + ${args.runs} timed runs`];
  const results = { source: 'onnx' as const, date, device, size: args.size, notes, dit: [] as TimingRow[], vae: [] as TimingRow[], accuracy: [] as AccuracyRow[] };
  const tag = `${args.size}-${args.phases.join('-')}${args.shapes.length < DIT_SHAPES[args.size].length ? `-${args.shapes.join('-')}` : ''}`;
  const jsonPath = join(args.out, `onnx-${date}-${tag}.json`);
  const markdownPath = join(args.out, `gpu-${date}.md`);
  const torch = args.torchJson && existsSync(args.torchJson) ? JSON.parse(readFileSync(args.torchJson, 'utf8')) as BenchResults : undefined;
  const save = (): void => {
    writeFileSync(jsonPath, `${JSON.stringify(results, null, 1)}\n`);
    writeFileSync(markdownPath, renderResultsMarkdown([results], torch));
  };
  const cacheDir = join(args.work, 'conversion-cache');
  const session = { provider: provider.choice, log };
  const needsDit = args.phases.includes('check') || args.phases.includes('dit');
  if (needsDit) ensureDitWeights(args, log);
  const full = needsDit ? loadDitWeights(args.weights, undefined) : undefined;
  // Query-tiled self-attention (--attention-chunk): 'unrolled' tiles fix the token count, so each shape gets its own model.
  const attention = (tokens: number): Pick<DitModelOptions, 'attentionQueryChunk' | 'attentionTiling' | 'attentionTokens'> =>
    args.attentionChunk === undefined ? {} : { attentionQueryChunk: args.attentionChunk, attentionTiling: args.attentionTiling, ...(args.attentionTiling === 'unrolled' ? { attentionTokens: tokens } : {}) };
  if (args.attentionChunk !== undefined) notes.push(`DiT self-attention in tiles of ${args.attentionChunk} query tokens (${args.attentionTiling})`);

  if (full && args.phases.includes('check')) {
    const weights = withLayers(full, args.checkLayers);
    const shape = CHECK_SHAPE[args.size];
    const what = `${weights.config.numLayers} of ${full.config.numLayers} layers, ${shape.name}`;
    const call = benchCallInputs(weights.config, shape);
    const outputs = new Map<string, Float32Array | string>();
    for (const precision of ['fp32', 'fp16'] as const) {
      try {
        const t0 = performance.now();
        const model = await DitModel.create(weights, { session, computeDtype: COMPUTE[precision], cacheDir, ...attention(ditShapeDims(weights.config, shape).tokens) });
        outputs.set(precision, (await model.predict(call)).data as Float32Array);
        await model.release();
        log(`check ${precision}: ${(performance.now() - t0).toFixed(0)} ms (build + one call)`);
      } catch (err) {
        outputs.set(precision, errorText(err));
      }
    }
    const ref = outputs.get('fp32');
    const low = outputs.get('fp16');
    if (typeof ref === 'string' || typeof low === 'string' || !ref || !low) {
      results.accuracy.push({ what, provider: ep, precision: 'fp16', budget: ERROR_BUDGET.fp16!, error: typeof ref === 'string' ? `fp32: ${ref}` : `fp16: ${String(low)}` });
    } else {
      results.accuracy.push({ what, provider: ep, precision: 'fp16', budget: ERROR_BUDGET.fp16!, ...relativeErrors(low, ref) });
    }
    log(`check: ${JSON.stringify(results.accuracy.at(-1))}`);
    save();
  }

  if (full && args.phases.includes('dit')) {
    const unrolled = args.attentionChunk !== undefined && args.attentionTiling === 'unrolled';
    // One model for every shape, or (unrolled tiles) one per shape.
    const groups = unrolled ? args.shapes.map((name) => [name]) : [args.shapes];
    for (const precision of args.precisions) {
      for (const names of groups) {
        const shapes = names.map((name) => DIT_SHAPES[args.size].find((s) => s.name === name)!);
        let model: DitModel | undefined;
        try {
          const t0 = performance.now();
          model = await DitModel.create(full, { session, computeDtype: COMPUTE[precision], cacheDir, ...attention(ditShapeDims(full.config, shapes[0]!).tokens) });
          notes.push(`DiT ${precision}${unrolled ? ` ${names[0]}` : ''}: graph build + session creation ${(performance.now() - t0).toFixed(0)} ms (${model.build.zeroCopyWeights} weights in place, ${model.build.convertedWeights} converted)`);
        } catch (err) {
          for (const shape of shapes) {
            results.dit.push({ shape: shape.name, tokens: ditShapeDims(full.config, shape).tokens, provider: ep, precision, flops: ditCallFlops(full.config, shape), runs: 0, error: `session: ${errorText(err)}` });
          }
          save();
          continue;
        }
        for (const shape of shapes) {
          const row = { shape: shape.name, tokens: ditShapeDims(full.config, shape).tokens, provider: ep, precision, flops: ditCallFlops(full.config, shape), runs: args.runs };
          try {
            const call = benchCallInputs(full.config, shape);
            const ms = await timeCalls(args.warmup, args.runs, () => model.predict(call));
            results.dit.push({ ...row, ms });
          } catch (err) {
            results.dit.push({ ...row, error: errorText(err) });
          }
          log(`dit: ${JSON.stringify(results.dit.at(-1))}`);
          save();
        }
        await model.release();
      }
    }
  }

  if (args.phases.includes('vae')) {
    const config = benchVaeConfig(args.size);
    const file = join(args.work, `vae-decoder-${args.size}.safetensors`);
    if (!existsSync(file)) {
      mkdirSync(args.work, { recursive: true });
      writeSafetensors(file, randomTensors(wanDecoderParameterShapes(config), 'float32', WEIGHT_SEED + 1));
    }
    const vae = new WanVae(openWeights(file), { config, provider: provider.choice, log });
    const rng = new SeededRandom(11);
    for (const name of args.shapes) {
      const shape = DIT_SHAPES[args.size].find((s) => s.name === name)!;
      const h = shape.height / 8;
      const w = shape.width / 8;
      const frames = videoFramesFor(args.vaeLatentFrames);
      const row = { shape: `${shape.height}x${shape.width}`, provider: ep, precision: 'fp32', flops: vaeFrameFlops(config, shape), runs: args.runs };
      try {
        const latents = createTensor('float32', [1, config.zDim, args.vaeLatentFrames, h, w], rng.fill(config.zDim * args.vaeLatentFrames * h * w, 1));
        const ms = await timeCalls(args.warmup, args.runs, () => vae.decode(latents, { strategy: 'streaming' }));
        results.vae.push({ ...row, ms: ms / frames });
      } catch (err) {
        results.vae.push({ ...row, error: errorText(err) });
      }
      log(`vae: ${JSON.stringify(results.vae.at(-1))}`);
      save();
    }
    await vae.release();
  }
  save();
  return { results, markdownPath, jsonPath };
}
