// Command line of the GPU bench (bench/gpu/main.ts). Hand-parsed: the bundle carried to the GPU
// machine should need nothing beyond onnxruntime-node.
import { DEFAULT_STACK_LAYERS, DIT_SHAPES } from './plan.ts';
import type { BenchSize } from './plan.ts';
import { attentionVariant, DEFAULT_VARIANTS } from './variants.ts';

export type BenchDevice = 'webgpu' | 'cuda' | 'cpu';
export type BenchPhase = 'variants' | 'dit' | 'check' | 'vae';
export type BenchPrecision = 'fp16' | 'fp32';

export interface BenchArgs {
  readonly size: BenchSize;
  readonly device: BenchDevice;
  /** Results (markdown + JSON) go here. */
  readonly out: string;
  /** Scratch: generated weights, the conversion cache, step results. */
  readonly work: string;
  /** DiT weight folder (config.json + safetensors) holding the layer stack; made with random weights when absent (tiny). */
  readonly weights: string;
  readonly phases: readonly BenchPhase[];
  readonly shapes: readonly string[];
  readonly precisions: readonly BenchPrecision[];
  /** Layers in the timed stack (the weight folder must hold at least this many). */
  readonly layers: number;
  readonly warmup: number;
  readonly runs: number;
  readonly vaeLatentFrames: number;
  /** Self-attention variants to compare (variants.ts), in reference order. */
  readonly variants: readonly string[];
  /** The variant the DiT and check steps use when no comparison picks one (default: the first of `variants`). */
  readonly attention?: string;
  /** Wall-clock deadline of the whole bench, ms since the epoch (run.sh passes the call's). */
  readonly deadlineMs: number;
  /** Seconds kept back for writing the results. */
  readonly reserveS: number;
  /** Results of bench/gpu/torch_reference.py --bench to put beside ours. */
  readonly torchJson?: string;
  /** Let a real-size run proceed on the CPU (hours); refused otherwise. */
  readonly allowCpu: boolean;
  /** Internal: run this one step (JSON of a BenchStep) in this process and write its result to `result`. */
  readonly step?: string;
  readonly result?: string;
}

export const USAGE = `usage: main.mjs [--tiny | --size real|tiny] [--device webgpu|cuda|cpu] [--out DIR] [--work DIR]
  [--weights DIR] [--phases variants,dit,check,vae] [--shapes 480x832,720x1280] [--precisions fp16,fp32]
  [--layers N] [--warmup N] [--runs N] [--vae-latent-frames N] [--variants mha,mha-flash,loop-N,unrolled-N]
  [--attention VARIANT] [--budget SECONDS | --deadline EPOCH_MS] [--reserve SECONDS] [--torch-json FILE] [--allow-cpu]`;

const PHASES: readonly BenchPhase[] = ['variants', 'dit', 'check', 'vae'];
const PRECISIONS: readonly BenchPrecision[] = ['fp16', 'fp32'];
const DEVICES: readonly BenchDevice[] = ['webgpu', 'cuda', 'cpu'];

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${flag}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  return value as T;
}

function count(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag}: expected an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function variantName(flag: string, name: string): string {
  try {
    return attentionVariant(name).name;
  } catch (err) {
    throw new Error(`${flag}: ${(err as Error).message}`);
  }
}

export function parseBenchArgs(argv: readonly string[], now: number = Date.now()): BenchArgs {
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--tiny' || arg === '--allow-cpu') {
      switches.add(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(arg)}\n${USAGE}`);
    const eq = arg.indexOf('=');
    const [name, value] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, argv[++i]];
    if (value === undefined) throw new Error(`${name} needs a value\n${USAGE}`);
    flags.set(name, value);
  }
  const known = new Set(['--size', '--device', '--out', '--work', '--weights', '--phases', '--shapes', '--precisions', '--layers', '--warmup', '--runs',
    '--vae-latent-frames', '--variants', '--attention', '--budget', '--deadline', '--reserve', '--torch-json', '--step', '--result']);
  for (const name of flags.keys()) if (!known.has(name)) throw new Error(`unknown option ${name}\n${USAGE}`);
  if (flags.has('--budget') && flags.has('--deadline')) throw new Error('--budget and --deadline: give one');

  const size: BenchSize = switches.has('--tiny') ? 'tiny' : oneOf('--size', flags.get('--size') ?? 'real', ['real', 'tiny'] as const);
  const work = flags.get('--work') ?? '/tmp/flashgraph-gpu';
  const layers = count('--layers', flags.get('--layers') ?? String(DEFAULT_STACK_LAYERS[size]), 2);
  const known_shapes = DIT_SHAPES[size].map((s) => s.name);
  const shapes = flags.has('--shapes') ? list(flags.get('--shapes')!) : known_shapes;
  for (const s of shapes) if (!known_shapes.includes(s)) throw new Error(`--shapes: ${s} is not a ${size} shape (${known_shapes.join(', ')})`);
  const variants = flags.has('--variants') ? list(flags.get('--variants')!).map((v) => variantName('--variants', v)) : DEFAULT_VARIANTS[size];
  if (variants.length === 0) throw new Error('--variants: name at least one');
  const attention = flags.get('--attention');
  const torchJson = flags.get('--torch-json');
  const step = flags.get('--step');
  const result = flags.get('--result');
  if ((step === undefined) !== (result === undefined)) throw new Error('--step and --result go together');
  // Without a budget a run by hand is unbounded (a day); run.sh always passes the call's deadline.
  const deadlineMs = flags.has('--deadline') ? count('--deadline', flags.get('--deadline')!, 0) : now + 1000 * count('--budget', flags.get('--budget') ?? '86400', 1);
  return {
    size,
    device: oneOf('--device', flags.get('--device') ?? (size === 'tiny' ? 'cpu' : 'webgpu'), DEVICES),
    out: flags.get('--out') ?? 'bench-out',
    work,
    weights: flags.get('--weights') ?? `${work}/dit-${size}-${layers}`,
    phases: flags.has('--phases') ? list(flags.get('--phases')!).map((p) => oneOf('--phases', p, PHASES)) : PHASES,
    shapes,
    precisions: flags.has('--precisions') ? list(flags.get('--precisions')!).map((p) => oneOf('--precisions', p, PRECISIONS)) : ['fp16'],
    layers,
    warmup: count('--warmup', flags.get('--warmup') ?? '1', 0),
    runs: count('--runs', flags.get('--runs') ?? (size === 'tiny' ? '3' : '2'), 1),
    vaeLatentFrames: count('--vae-latent-frames', flags.get('--vae-latent-frames') ?? '2', 2),
    variants,
    ...(attention === undefined ? {} : { attention: variantName('--attention', attention) }),
    deadlineMs,
    reserveS: count('--reserve', flags.get('--reserve') ?? (size === 'tiny' ? '1' : '15'), 0),
    ...(torchJson === undefined ? {} : { torchJson }),
    allowCpu: switches.has('--allow-cpu'),
    ...(step === undefined ? {} : { step, result }),
  };
}
