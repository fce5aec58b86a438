// The GPU bench in one call: the attention variants on one layer, the DiT per layer (1-layer and
// stack calls at each shape), fp16 against fp32 on one layer, and the VAE decode per frame, in that
// order of priority, each step in a child process with a time slice from the call's budget
// (budget.ts). Results are written after every step, so a call cut short still returns what it measured.
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ditParameterShapes } from '../../nodes/flashportrait/models/dit/parameter-shapes.ts';
import type { BenchArgs, BenchPrecision } from './args.ts';
import { BenchBudget } from './budget.ts';
import type { StepEstimate } from './budget.ts';
import { benchDitConfig, benchDitConfigRaw, benchVaeConfig, CHECK_SHAPE, ditCallFlops, ditShapeDims, MODEL_LAYERS, vaeFrameFlops } from './plan.ts';
import type { DitShape } from './plan.ts';
import { chooseBenchProvider } from './provider.ts';
import { writeRandomDitFolder } from './random-weights.ts';
import { ERROR_BUDGET, relativeErrors, renderResultsMarkdown } from './results.ts';
import type { AccuracyRow, BenchResults, SkippedRow, TimingRow, VariantRow } from './results.ts';
import { ditShape, errorText } from './steps.ts';
import type { BenchStep, StepResult } from './steps.ts';
import { attentionVariant } from './variants.ts';
import { videoFramesFor } from '../../nodes/flashportrait/models/vae/config.ts';
import { loadDitWeights } from '../../nodes/flashportrait/models/dit/weights.ts';

const WEIGHT_SEED = 1;

/** Runs one step within `limitS` seconds. */
export type StepRunner = (step: BenchStep, limitS: number) => Promise<StepResult>;

/** The DiT weight folder, made with seeded random weights when absent (tiny only: real ones come from torch). */
export function ensureDitWeights(args: BenchArgs, log: (m: string) => void): void {
  if (existsSync(join(args.weights, 'config.json'))) return;
  if (args.size === 'real') {
    throw new Error(`${args.weights} has no config.json: make the layer stack first with \`python3 bench/gpu/torch_reference.py --write-weights ${args.weights} --layers ${args.layers}\` (bench/gpu/run.sh does)`);
  }
  log(`writing tiny random DiT weights (${args.layers} layers) to ${args.weights}`);
  const config = benchDitConfig('tiny', args.layers);
  writeRandomDitFolder(args.weights, benchDitConfigRaw('tiny', args.layers), ditParameterShapes(config), 'float32', WEIGHT_SEED);
}

/** The command line a step's child process gets: this run's settings, on the provider already chosen. */
export function stepArgv(args: BenchArgs, provider: string, step: BenchStep, result: string): string[] {
  return [
    '--size', args.size, '--device', provider, '--out', args.out, '--work', args.work, '--weights', args.weights, '--layers', String(args.layers),
    '--warmup', String(args.warmup), '--runs', String(args.runs), '--vae-latent-frames', String(args.vaeLatentFrames),
    ...(args.allowCpu ? ['--allow-cpu'] : []), '--step', JSON.stringify(step), '--result', result,
  ];
}

/**
 * Each step in a child process of this same program (main.ts under tsx, or the carried bundle),
 * killed at its limit. `command`: the program and its leading arguments.
 */
export function childStepRunner(args: BenchArgs, provider: string, command: readonly string[] = [process.execPath, ...process.execArgv, process.argv[1]!]): StepRunner {
  let n = 0;
  return (step, limitS) => new Promise((resolve) => {
    const result = join(args.work, `step-${process.pid}-${++n}.json`);
    rmSync(result, { force: true });
    const child = spawn(command[0]!, [...command.slice(1), ...stepArgv(args, provider, step, result)], { stdio: ['ignore', 'inherit', 'inherit'] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitS * 1000);
    child.on('error', (err) => resolve({ error: `could not start: ${err.message}`, notes: [] }));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return resolve({ error: `stopped at its time limit of ${limitS.toFixed(0)} s`, notes: [] });
      if (existsSync(result)) return resolve(JSON.parse(readFileSync(result, 'utf8')) as StepResult);
      resolve({ error: `the step's process ended (${signal ?? `exit code ${code}`}) without a result`, notes: [] });
    });
  });
}

export interface BenchRun {
  readonly results: BenchResults;
  readonly markdownPath: string;
  readonly jsonPath: string;
}

interface Plan {
  readonly kind: 'dit' | 'check' | 'vae';
  readonly what: string;
  readonly estimate: StepEstimate;
  readonly step: () => BenchStep;
  readonly done: (r: StepResult) => void;
}

export interface BenchHooks {
  /** How steps run (default: child processes of this program). */
  readonly runner?: StepRunner;
  /** The clock the budget reads (default Date.now). */
  readonly now?: () => number;
}

export async function runGpuBench(args: BenchArgs, log: (m: string) => void = console.log, hooks: BenchHooks = {}): Promise<BenchRun> {
  const date = new Date().toISOString().slice(0, 10);
  mkdirSync(args.out, { recursive: true });
  mkdirSync(args.work, { recursive: true });
  const provider = await chooseBenchProvider(args.device, args.allowCpu || args.size === 'tiny');
  for (const n of provider.notes) log(n);
  const ep = provider.choice.provider;
  log(`execution provider: ${ep}`);
  const run = hooks.runner ?? childStepRunner(args, ep);
  const device = process.env.FLASHGRAPH_GPU_NAME ?? `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)`;
  const notes: string[] = [...provider.notes, `onnxruntime-node on ${ep}, Node ${process.version}${process.env.FLASHGRAPH_SOURCE_REV ? `, code: ${process.env.FLASHGRAPH_SOURCE_REV}` : ''}; ${args.warmup} warm-up + ${args.runs} timed runs per step`];
  const dit: TimingRow[] = [];
  const vae: TimingRow[] = [];
  const accuracy: AccuracyRow[] = [];
  const variants: VariantRow[] = [];
  const skipped: SkippedRow[] = [];
  const results: BenchResults = { source: 'onnx', date, device, size: args.size, notes, dit, vae, accuracy, variants, skipped, stackLayers: args.layers, modelLayers: MODEL_LAYERS[args.size] };
  const jsonPath = join(args.out, `onnx-${date}-${args.size}.json`);
  const markdownPath = join(args.out, `gpu-${date}.md`);
  const torch = args.torchJson && existsSync(args.torchJson) ? JSON.parse(readFileSync(args.torchJson, 'utf8')) as BenchResults : undefined;
  const save = (): void => {
    writeFileSync(jsonPath, `${JSON.stringify(results, null, 1)}\n`);
    writeFileSync(markdownPath, renderResultsMarkdown([results], torch));
  };
  save();

  const wantsDit = args.phases.some((p) => p === 'variants' || p === 'dit' || p === 'check');
  if (wantsDit) ensureDitWeights(args, log);
  const stackConfig = wantsDit ? loadDitWeights(args.weights, undefined).config : benchDitConfig(args.size, args.layers);
  if (wantsDit && stackConfig.numLayers < args.layers) throw new Error(`${args.weights} holds ${stackConfig.numLayers} layers; --layers ${args.layers} needs that many`);
  const layersConfig = (layers: number) => ({ ...stackConfig, numLayers: layers });
  const budget = new BenchBudget({ deadlineMs: args.deadlineMs, reserveS: args.reserveS, assumedFlopsPerS: ep === 'cpu' ? 2e10 : 4e13, now: hooks.now });
  const clock = hooks.now ?? Date.now;
  const fixedS = args.size === 'real' ? 25 : 3;
  const calls = args.warmup + args.runs;
  // fp32 runs at about a quarter of fp16's matmul rate on the GPUs in question.
  const precisionCost: Readonly<Record<BenchPrecision, number>> = { fp16: 1, fp32: 4 };
  const ditEstimate = (shape: DitShape, layers: number, precision: BenchPrecision): StepEstimate =>
    ({ fixedS, flops: calls * precisionCost[precision] * ditCallFlops(layersConfig(layers), shape) });
  let attention = args.attention ?? args.variants[0]!;
  const row = (shape: DitShape, precision: BenchPrecision, layers: number, a: string): Omit<TimingRow, 'ms' | 'error'> =>
    ({ shape: shape.name, tokens: ditShapeDims(stackConfig, shape).tokens, provider: ep, precision, layers, attention: a, flops: ditCallFlops(layersConfig(layers), shape), runs: args.runs });
  const timing = (base: Omit<TimingRow, 'ms' | 'error'>, r: StepResult): TimingRow => ({ ...base, ...(r.ms === undefined ? { error: r.error ?? 'no time' } : { ms: r.ms }) });

  const plans: Plan[] = [];
  // 1. Self-attention variants: one layer, fp16, at the first shape. The chosen one serves every later step.
  const variantShape = ditShape(args, args.shapes[0]!);
  const outputs = new Map<string, string>();
  if (args.phases.includes('variants')) {
    for (const name of args.variants) {
      const file = join(args.work, `variant-${name}.f32`);
      plans.push({
        kind: 'dit', what: `attention variant ${name}, 1 layer fp16 at ${variantShape.name}`, estimate: ditEstimate(variantShape, 1, 'fp16'),
        step: () => ({ kind: 'dit', shape: variantShape.name, precision: 'fp16', layers: 1, attention: name, saveOutput: file }),
        done: (r) => {
          variants.push({ variant: name, description: attentionVariant(name).description, shape: variantShape.name, provider: ep, ...(r.ms === undefined ? { error: r.error ?? 'no time' } : { ms: r.ms }) });
          if (r.ms !== undefined) outputs.set(name, file);
          attention = chooseVariant(variants, outputs, args.attention ?? args.variants[0]!);
        },
      });
    }
  }
  // 2. The DiT per layer: a 1-layer and a stack call per shape and precision (the chosen variant's own 1-layer call counts).
  if (args.phases.includes('dit')) {
    for (const name of args.shapes) {
      const shape = ditShape(args, name);
      for (const precision of args.precisions) {
        for (const layers of [1, args.layers]) {
          plans.push({
            kind: 'dit', what: `DiT ${layers} layer(s) ${precision} at ${name}`, estimate: ditEstimate(shape, layers, precision),
            step: () => ({ kind: 'dit', shape: name, precision, layers, attention }),
            done: (r) => dit.push(timing(row(shape, precision, layers, attention), r)),
          });
        }
      }
    }
  }
  // 3. fp16 against fp32 on one layer, short window.
  if (args.phases.includes('check')) {
    const check = CHECK_SHAPE[args.size];
    plans.push({
      kind: 'check', what: `fp16 vs fp32, 1 layer at ${check.name}`,
      estimate: { fixedS: 2 * fixedS, flops: (precisionCost.fp16 + precisionCost.fp32) * ditCallFlops(layersConfig(1), check) },
      step: () => ({ kind: 'check', layers: 1, attention }),
      done: (r) => accuracy.push({ what: `1 of ${MODEL_LAYERS[args.size]} layers, ${check.name} (${attention})`, provider: ep, precision: 'fp16', budget: ERROR_BUDGET.fp16!,
        ...(r.maxRelError === undefined ? { error: r.error ?? 'no result' } : { maxRelError: r.maxRelError, rmsRelError: r.rmsRelError }) }),
    });
  }
  // 4. The VAE decoder per video frame, at each shape.
  if (args.phases.includes('vae')) {
    const config = benchVaeConfig(args.size);
    for (const name of args.shapes) {
      const shape = ditShape(args, name);
      const frames = videoFramesFor(args.vaeLatentFrames);
      plans.push({
        kind: 'vae', what: `VAE decode at ${shape.height}x${shape.width}`,
        estimate: { fixedS, flops: calls * frames * precisionCost.fp32 * vaeFrameFlops(config, shape) },
        step: () => ({ kind: 'vae', shape: name }),
        done: (r) => vae.push(timing({ shape: `${shape.height}x${shape.width}`, provider: ep, precision: 'fp32', flops: vaeFrameFlops(config, shape), runs: args.runs }, r)),
      });
    }
  }

  for (const plan of plans) {
    const step = plan.step();
    // The chosen variant's 1-layer call at the variant shape was measured already: reuse it.
    const measured = step.kind === 'dit' && !step.saveOutput && step.layers === 1 && step.precision === 'fp16' && step.shape === variantShape.name
      ? variants.find((v) => v.variant === step.attention && v.ms !== undefined) : undefined;
    if (measured) {
      plan.done({ ms: measured.ms, notes: [] });
      save();
      continue;
    }
    const admission = budget.admit(plan.kind, plan.what, plan.estimate);
    if (!admission.run) {
      skipped.push(admission.skip);
      log(`skipped: ${plan.what}: needs ~${admission.skip.neededS} s, ${admission.skip.leftS} s left`);
      save();
      continue;
    }
    log(`${plan.what} (up to ${admission.limitS.toFixed(0)} s)`);
    const t0 = clock();
    let result: StepResult;
    try {
      result = await run(step, admission.limitS);
    } catch (err) {
      result = { error: errorText(err), notes: [] };
    }
    if (result.ms !== undefined || result.maxRelError !== undefined) budget.record(plan.kind, plan.estimate, (clock() - t0) / 1000);
    notes.push(...result.notes);
    plan.done(result);
    log(`  -> ${result.error ? `failed: ${result.error}` : result.ms !== undefined ? `${result.ms.toFixed(2)} ms` : `max error ${result.maxRelError?.toExponential(2)}`}`);
    save();
  }
  if (variants.length) notes.push(`self-attention: ${attention} (${variants.some((v) => v.chosen) ? 'fastest variant within the fp16 budget' : 'no variant ran: the default'})`);
  save();
  return { results, markdownPath, jsonPath };
}

/**
 * The variant to use: the fastest that ran and whose output is within the fp16 budget of the
 * reference (the first variant that ran). Marks it `chosen` and fills each row's error.
 */
export function chooseVariant(rows: VariantRow[], outputs: ReadonlyMap<string, string>, fallback: string): string {
  const ran = rows.filter((r) => r.ms !== undefined && outputs.has(r.variant));
  if (ran.length === 0) return fallback;
  const reference = ran[0]!;
  const ref = readF32(outputs.get(reference.variant)!);
  let best: VariantRow | undefined;
  for (const [i, r] of rows.entries()) {
    if (r.ms === undefined || !outputs.has(r.variant)) continue;
    const maxRelError = r === reference ? 0 : relativeErrors(readF32(outputs.get(r.variant)!), ref).maxRelError;
    rows[i] = { ...r, maxRelError, reference: reference.variant, chosen: false };
    if (maxRelError <= ERROR_BUDGET.fp16! && (best === undefined || r.ms < best.ms!)) best = r;
  }
  const chosen = best ?? reference;
  const at = rows.findIndex((r) => r.variant === chosen.variant);
  rows[at] = { ...rows[at]!, chosen: true };
  return chosen.variant;
}

function readF32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}
