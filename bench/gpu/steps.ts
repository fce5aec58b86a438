// One measured step of the GPU bench, run in a child process of its own (bench.ts) so that a step
// that runs out of GPU memory, crashes the provider or overruns its time slice cannot take the rest
// of the call with it. A step reads the weights and inputs itself and reports milliseconds or an error.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTensor, openWeights, writeSafetensors } from '../../server/ml/index.ts';
import { DitModel } from '../../nodes/flashportrait/models/dit/model.ts';
import type { DitComputeDtype } from '../../nodes/flashportrait/models/dit/model.ts';
import { loadDitWeights } from '../../nodes/flashportrait/models/dit/weights.ts';
import type { DitWeights } from '../../nodes/flashportrait/models/dit/weights.ts';
import { WanVae } from '../../nodes/flashportrait/models/vae/wan-vae.ts';
import { videoFramesFor } from '../../nodes/flashportrait/models/vae/config.ts';
import { wanDecoderParameterShapes } from '../../nodes/flashportrait/models/vae/parameter-shapes.ts';
import type { BenchArgs, BenchPrecision } from './args.ts';
import { benchCallInputs } from './inputs.ts';
import { benchVaeConfig, CHECK_SHAPE, DIT_SHAPES, ditShapeDims } from './plan.ts';
import type { DitShape } from './plan.ts';
import { chooseBenchProvider } from './provider.ts';
import { randomTensors, SeededRandom } from './random-weights.ts';
import { median, relativeErrors } from './results.ts';
import { attentionVariant } from './variants.ts';

export type BenchStep =
  /** One DiT call of `layers` blocks, timed; saveOutput: the last call's output as raw float32. */
  | { readonly kind: 'dit'; readonly shape: string; readonly precision: BenchPrecision; readonly layers: number; readonly attention: string; readonly saveOutput?: string }
  /** fp16 against fp32 on the same inputs and weights, `layers` blocks at CHECK_SHAPE. */
  | { readonly kind: 'check'; readonly layers: number; readonly attention: string }
  /** The Wan VAE decoder, streamed, per video frame. */
  | { readonly kind: 'vae'; readonly shape: string };

export interface StepResult {
  readonly ms?: number;
  readonly error?: string;
  readonly maxRelError?: number;
  readonly rmsRelError?: number;
  readonly notes: readonly string[];
}

const COMPUTE: Readonly<Record<BenchPrecision, DitComputeDtype>> = { fp16: 'float16', fp32: 'float32' };
const VAE_WEIGHT_SEED = 2;

export function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.slice(0, 300);
}

export function ditShape(args: BenchArgs, name: string): DitShape {
  const shape = DIT_SHAPES[args.size].find((s) => s.name === name);
  if (!shape) throw new Error(`no ${args.size} shape ${name}`);
  return shape;
}

/** The weights with only the first `layers` blocks used. */
function withLayers(w: DitWeights, layers: number): DitWeights {
  if (layers > w.config.numLayers) throw new Error(`${layers} layers asked for, the weights hold ${w.config.numLayers}`);
  return layers === w.config.numLayers ? w : { ...w, config: { ...w.config, numLayers: layers } };
}

async function timeCalls<T>(warmup: number, runs: number, call: () => Promise<T>): Promise<{ ms: number; last: T }> {
  for (let i = 0; i < warmup; i++) await call();
  const times: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = await call();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), last: last! };
}

export async function runStep(args: BenchArgs, step: BenchStep, log: (m: string) => void): Promise<StepResult> {
  const provider = await chooseBenchProvider(args.device, args.allowCpu || args.size === 'tiny');
  const session = { provider: provider.choice, log };
  const cacheDir = join(args.work, 'conversion-cache');
  const notes: string[] = [];
  const model = async (weights: DitWeights, precision: BenchPrecision, attention: string, shape: DitShape): Promise<DitModel> => {
    const t0 = performance.now();
    const build = attentionVariant(attention).build(ditShapeDims(weights.config, shape).tokens);
    const m = await DitModel.create(weights, { session, computeDtype: COMPUTE[precision], cacheDir, ...build });
    notes.push(`DiT ${weights.config.numLayers} layer(s) ${precision} ${attention} at ${shape.name}: build + session ${(performance.now() - t0).toFixed(0)} ms (${m.build.zeroCopyWeights} weights in place, ${m.build.convertedWeights} converted)`);
    return m;
  };

  if (step.kind === 'dit') {
    const shape = ditShape(args, step.shape);
    const weights = withLayers(loadDitWeights(args.weights, undefined), step.layers);
    const dit = await model(weights, step.precision, step.attention, shape);
    try {
      const call = benchCallInputs(weights.config, shape);
      const { ms, last } = await timeCalls(args.warmup, args.runs, () => dit.predict(call));
      if (step.saveOutput) writeFileSync(step.saveOutput, Buffer.from((last.data as Float32Array).buffer, last.data.byteOffset, last.data.byteLength));
      return { ms, notes };
    } finally {
      await dit.release();
    }
  }

  if (step.kind === 'check') {
    const weights = withLayers(loadDitWeights(args.weights, undefined), step.layers);
    const shape = CHECK_SHAPE[args.size];
    const call = benchCallInputs(weights.config, shape);
    const outputs: Partial<Record<BenchPrecision, Float32Array>> = {};
    for (const precision of ['fp32', 'fp16'] as const) {
      const dit = await model(weights, precision, step.attention, shape);
      outputs[precision] = (await dit.predict(call)).data as Float32Array;
      await dit.release();
    }
    return { ...relativeErrors(outputs.fp16!, outputs.fp32!), notes };
  }

  const config = benchVaeConfig(args.size);
  const file = join(args.work, `vae-decoder-${args.size}.safetensors`);
  if (!existsSync(file)) {
    mkdirSync(args.work, { recursive: true });
    writeSafetensors(file, randomTensors(wanDecoderParameterShapes(config), 'float32', VAE_WEIGHT_SEED));
  }
  const vae = new WanVae(openWeights(file), { config, provider: provider.choice, log });
  try {
    const shape = ditShape(args, step.shape);
    const [h, w] = [shape.height / 8, shape.width / 8];
    const n = args.vaeLatentFrames;
    const latents = createTensor('float32', [1, config.zDim, n, h, w], new SeededRandom(11).fill(config.zDim * n * h * w, 1));
    const { ms } = await timeCalls(args.warmup, args.runs, () => vae.decode(latents, { strategy: 'streaming' }));
    return { ms: ms / videoFramesFor(n), notes };
  } finally {
    await vae.release();
  }
}
