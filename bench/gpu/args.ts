// Command line of the GPU bench (bench/gpu/main.ts). Hand-parsed: the bundle carried to the GPU
// machine should need nothing beyond onnxruntime-node.
import { DIT_SHAPES } from './plan.ts';
import type { BenchSize } from './plan.ts';

export type BenchDevice = 'webgpu' | 'cuda' | 'cpu';
export type BenchPhase = 'check' | 'dit' | 'vae';
export type BenchPrecision = 'fp16' | 'fp32';
export type BenchAttentionTiling = 'loop' | 'unrolled';

export interface BenchArgs {
  readonly size: BenchSize;
  readonly device: BenchDevice;
  /** Results (markdown + JSON) go here. */
  readonly out: string;
  /** Scratch: generated weights, the conversion cache. */
  readonly work: string;
  /** DiT weight folder (config.json + safetensors); made with random weights when absent. */
  readonly weights: string;
  readonly phases: readonly BenchPhase[];
  readonly shapes: readonly string[];
  readonly precisions: readonly BenchPrecision[];
  readonly checkLayers: number;
  readonly warmup: number;
  readonly runs: number;
  readonly vaeLatentFrames: number;
  /** Results of bench/gpu/torch_reference.py --bench to put beside ours. */
  readonly torchJson?: string;
  /** Let a real-size run proceed on the CPU (hours); refused otherwise. */
  readonly allowCpu: boolean;
  /** DiT self-attention in tiles of this many query tokens (DitModelOptions.attentionQueryChunk); undefined: untiled. */
  readonly attentionChunk?: number;
  /** How the tiles are built: 'loop' (one graph for every shape) or 'unrolled' (one model per shape). */
  readonly attentionTiling: BenchAttentionTiling;
}

export const USAGE = `usage: main.mjs [--tiny | --size real|tiny] [--device webgpu|cuda|cpu] [--out DIR] [--work DIR]
  [--weights DIR] [--phases check,dit,vae] [--shapes 480x832,720x1280] [--precisions fp16,fp32]
  [--check-layers N] [--warmup N] [--runs N] [--vae-latent-frames N] [--torch-json FILE] [--allow-cpu]
  [--attention-chunk N] [--attention-tiling loop|unrolled]`;

const PHASES: readonly BenchPhase[] = ['check', 'dit', 'vae'];
const PRECISIONS: readonly BenchPrecision[] = ['fp16', 'fp32'];
const DEVICES: readonly BenchDevice[] = ['webgpu', 'cuda', 'cpu'];
const TILINGS: readonly BenchAttentionTiling[] = ['loop', 'unrolled'];

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

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
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
  const known = new Set(['--size', '--device', '--out', '--work', '--weights', '--phases', '--shapes', '--precisions', '--check-layers', '--warmup', '--runs', '--vae-latent-frames', '--torch-json', '--attention-chunk', '--attention-tiling']);
  for (const name of flags.keys()) if (!known.has(name)) throw new Error(`unknown option ${name}\n${USAGE}`);

  const size: BenchSize = switches.has('--tiny') ? 'tiny' : oneOf('--size', flags.get('--size') ?? 'real', ['real', 'tiny'] as const);
  const work = flags.get('--work') ?? '/tmp/flashgraph-gpu';
  const known_shapes = DIT_SHAPES[size].map((s) => s.name);
  const shapes = flags.has('--shapes') ? list(flags.get('--shapes')!) : known_shapes;
  for (const s of shapes) if (!known_shapes.includes(s)) throw new Error(`--shapes: ${s} is not a ${size} shape (${known_shapes.join(', ')})`);
  const torchJson = flags.get('--torch-json');
  const attentionChunk = flags.get('--attention-chunk');
  return {
    size,
    device: oneOf('--device', flags.get('--device') ?? (size === 'tiny' ? 'cpu' : 'webgpu'), DEVICES),
    out: flags.get('--out') ?? 'bench-out',
    work,
    weights: flags.get('--weights') ?? `${work}/dit-${size}`,
    phases: flags.has('--phases') ? list(flags.get('--phases')!).map((p) => oneOf('--phases', p, PHASES)) : PHASES,
    shapes,
    precisions: flags.has('--precisions') ? list(flags.get('--precisions')!).map((p) => oneOf('--precisions', p, PRECISIONS)) : ['fp16'],
    checkLayers: count('--check-layers', flags.get('--check-layers') ?? '2', 1),
    warmup: count('--warmup', flags.get('--warmup') ?? '1', 0),
    runs: count('--runs', flags.get('--runs') ?? (size === 'tiny' ? '3' : '2'), 1),
    vaeLatentFrames: count('--vae-latent-frames', flags.get('--vae-latent-frames') ?? '3', 2),
    ...(torchJson === undefined ? {} : { torchJson }),
    allowCpu: switches.has('--allow-cpu'),
    ...(attentionChunk === undefined ? {} : { attentionChunk: count('--attention-chunk', attentionChunk, 1) }),
    attentionTiling: oneOf('--attention-tiling', flags.get('--attention-tiling') ?? 'loop', TILINGS),
  };
}
