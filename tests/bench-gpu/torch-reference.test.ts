// bench/gpu/torch_reference.py against our TypeScript side. The --dry-run part needs only python3
// (CI): the reference's parameter keys and shapes, token counts, FLOPs and input shapes must be
// ours. The equivalence part needs python3 with torch (Debian python3-torch; CI skips it): the
// reference runs the golden tiny FlashPortrait weights on the golden window inputs, and its output
// must match our ONNX graph's and the original code's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTensor, openWeights, readTensorFloat32, writeSafetensors } from '../../server/ml/index.ts';
import type { Tensor } from '../../server/ml/index.ts';
import { ditParameterShapes } from '../../nodes/flashportrait/models/dit/parameter-shapes.ts';
import { DitModel } from '../../nodes/flashportrait/models/dit/model.ts';
import { loadDitWeights } from '../../nodes/flashportrait/models/dit/weights.ts';
import { benchCallInputs } from '../../bench/gpu/inputs.ts';
import { benchDitConfig, benchDitConfigRaw, DIT_SHAPES, ditCallFlops, ditShapeDims } from '../../bench/gpu/plan.ts';
import type { BenchSize } from '../../bench/gpu/plan.ts';
import { relativeErrors } from '../../bench/gpu/results.ts';
import { goldenDir, REPO_ROOT } from '../helpers/golden.ts';
import { readGoldenCase } from '../helpers/golden-io.ts';
import { windowCall } from '../flashportrait/dit/window-call.ts';
import { float32Keys, fp16DitGraph } from './fp16-graph.ts';
import { findPython, findTorchPython } from './python.ts';

const SCRIPT = join(REPO_ROOT, 'bench/gpu/torch_reference.py');
const python = findPython();
const torchPython = findTorchPython();
if (!python) console.warn('[torch-reference] python3 not found: skipping the --dry-run shape checks');
if (!torchPython) console.warn('[torch-reference] no python3 with torch (apt-get install python3-torch, or FLASHGRAPH_TORCH_PYTHON): skipping the torch-vs-ONNX equivalence test');

function runPython(exe: string, args: readonly string[]): string {
  const r = spawnSync(exe, [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`torch_reference.py ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

interface DryRun {
  config: Record<string, unknown>;
  parameters: Record<string, number[]>;
  float32Parameters: string[];
  shapes: Array<{ name: string; tokens: number; flops: number; activations: Record<string, number[]> }>;
}

describe.skipIf(!python)('torch_reference.py --dry-run (no torch imported)', () => {
  it.each(['tiny', 'real'] as const)('%s: the same parameters, tokens, FLOPs and inputs as the TypeScript side', (size: BenchSize) => {
    const dry = JSON.parse(runPython(python!, ['--dry-run', '--size', size])) as DryRun;
    const c = benchDitConfig(size);
    const ours = Object.fromEntries([...ditParameterShapes(c)].map(([k, s]) => [k, [...s]]));
    expect(Object.keys(dry.parameters).sort()).toEqual(Object.keys(ours).sort());
    expect(dry.parameters).toEqual(ours);
    // The reference's precision islands are our fp16 graph's float32 weights, key for key.
    expect(dry.float32Parameters).toEqual(float32Keys(fp16DitGraph(c)));
    expect(dry.shapes.map((s) => s.name)).toEqual(DIT_SHAPES[size].map((s) => s.name));
    for (const [i, shape] of DIT_SHAPES[size].entries()) {
      const theirs = dry.shapes[i]!;
      expect(theirs.tokens).toBe(ditShapeDims(c, shape).tokens);
      expect(theirs.flops).toBe(ditCallFlops(c, shape));
      const { latentHeight: h, latentWidth: w, tokens } = ditShapeDims(c, shape);
      expect(theirs.activations.tokens).toEqual([1, tokens, c.dim]);
      expect(theirs.activations.rope).toEqual([tokens, c.dim / c.numHeads / 2]);
      expect(theirs.activations.noise_pred).toEqual([1, c.outDim, shape.latentFrames, h, w]);
      if (size === 'tiny') {
        const call = benchCallInputs(c, shape);
        expect(theirs.activations.x).toEqual(call.x.shape);
        expect(theirs.activations.y).toEqual(call.y.shape);
        expect(theirs.activations.context).toEqual(call.context.shape);
        expect(theirs.activations.clip_fea).toEqual(call.clipFea.shape);
        expect(theirs.activations.emo_proj).toEqual(call.emoProj.shape);
      }
    }
  });

  it('a fewer-layer check config changes the blocks only', () => {
    const dry = JSON.parse(runPython(python!, ['--dry-run', '--size', 'real', '--layers', '2'])) as DryRun;
    expect(Object.keys(dry.parameters).sort()).toEqual([...ditParameterShapes(benchDitConfig('real', 2)).keys()].sort());
    expect(dry.config).toMatchObject(benchDitConfigRaw('real', 2));
  });
});

const dir = goldenDir('dit');

describe.skipIf(!torchPython || !dir)('torch_reference.py forward = our ONNX DiT (tiny golden weights, CPU, float32)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'torch-ref-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('matches our graph and the original code on the window/ golden call (posi and no_emo)', async () => {
    const weights = loadDitWeights(join(dir!, 'Wan2.1-I2V-14B-720P'), join(dir!, 'FlashPortrait/transformer.pt'));
    const c = weights.config;
    // One float32 safetensors of the merged (base + overlay) weights and a config with the widths the
    // released config.json leaves out: what the reference reads.
    const weightFile = join(tmp, 'weights.safetensors');
    writeSafetensors(weightFile, [...ditParameterShapes(c).keys()].map((k) => [k, readTensorFloat32(weights.weights.tensors.get(k)!)] as const));
    const configFile = join(tmp, 'config.json');
    const raw = JSON.parse(readFileSync(join(dir!, 'Wan2.1-I2V-14B-720P/config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(configFile, JSON.stringify({ ...raw, text_dim: c.textDim, clip_dim: c.clipDim }));

    const golden = readGoldenCase('dit', 'window')!;
    const model = await DitModel.create(weights, { impl: 'fused', session: { provider: 'cpu', log: () => {} } });
    try {
      for (const [ipScale, expectedName] of [[1, 'noise_pred_posi'], [0, 'noise_pred_no_emo']] as const) {
        const call = windowCall(golden.inputs, ipScale);
        const inputs: Record<string, Tensor> = {
          x: call.x, y: call.y, context: call.context, clip_fea: call.clipFea, emo_proj: call.emoProj,
          t: createTensor('float32', [1], [call.t]), ip_scale: createTensor('float32', [1], [ipScale]),
        };
        const inputFile = join(tmp, `inputs-${ipScale}.safetensors`);
        const outputFile = join(tmp, `out-${ipScale}.safetensors`);
        writeSafetensors(inputFile, inputs);
        runPython(torchPython!, ['--run-inputs', inputFile, '--config', configFile, '--weights-files', weightFile, '--output', outputFile, '--precision', 'fp32']);
        const reference = readTensorFloat32(openWeights(outputFile).tensors.get('noise_pred')!);
        const ours = await model.predict(call);
        expect(reference.shape).toEqual(ours.shape);
        const vsOnnx = relativeErrors(reference.data as Float32Array, ours.data as Float32Array);
        const vsOriginal = relativeErrors(reference.data as Float32Array, golden.outputs[expectedName]!.data as Float32Array);
        console.info(`[torch-reference] ip_scale ${ipScale}: max rel error vs ONNX ${vsOnnx.maxRelError.toExponential(2)}, vs original FlashPortrait ${vsOriginal.maxRelError.toExponential(2)}`);
        expect(vsOnnx.maxRelError).toBeLessThan(1e-5);
        expect(vsOriginal.maxRelError).toBeLessThan(1e-5);
      }
    } finally {
      await model.release();
    }
  }, 120_000);
});
