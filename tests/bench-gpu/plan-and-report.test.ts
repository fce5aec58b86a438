// The GPU bench's own logic, without a GPU: shape table, FLOP numbers, argument parsing, provider
// choice, error measures and the results file.
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/gpu/args.ts';
import { benchDitConfig, DIT_SHAPES, ditCallFlops, ditShapeDims, tflops, vaeFrameFlops, benchVaeConfig } from '../../bench/gpu/plan.ts';
import { chooseBenchProvider } from '../../bench/gpu/provider.ts';
import { probeProvider } from '../../server/ml/device.ts';
import { median, relativeErrors, renderResultsMarkdown } from '../../bench/gpu/results.ts';
import type { BenchResults } from '../../bench/gpu/results.ts';

describe('GPU bench plan', () => {
  const real = benchDitConfig('real');

  it('uses the real 14B config and the issue\'s two shapes at 21 latent frames', () => {
    expect([real.numLayers, real.dim, real.numHeads, real.ffnDim, real.inDim, real.textLen, real.freqDim]).toEqual([40, 5120, 40, 13824, 36, 512, 256]);
    expect(DIT_SHAPES.real.map((s) => [s.name, s.latentFrames])).toEqual([['480x832', 21], ['720x1280', 21]]);
    expect(ditShapeDims(real, DIT_SHAPES.real[0]!)).toEqual({ latentHeight: 60, latentWidth: 104, tokens: 21 * 30 * 52 });
    expect(ditShapeDims(real, DIT_SHAPES.real[1]!).tokens).toBe(75_600);
  });

  it('counts FLOPs: self-attention dominates at 720p, and a hand count of one layer agrees', () => {
    const one = benchDitConfig('real', 1);
    const two = benchDitConfig('real', 2);
    const s = DIT_SHAPES.real[1]!;
    const L = 75_600;
    const D = 5120;
    const perLayer = ditCallFlops(two, s) - ditCallFlops(one, s);
    const selfAttention = 4 * L * L * D + 4 * 2 * L * D * D;
    const ffn = 2 * 2 * L * D * 13824;
    expect(perLayer).toBeGreaterThan(selfAttention + ffn);
    expect(perLayer).toBeLessThan(1.1 * (selfAttention + ffn + 2 * 2 * L * D * D));
    expect(ditCallFlops(real, s) / 1e15).toBeCloseTo(6.55, 2);
    expect(ditCallFlops(real, DIT_SHAPES.real[0]!) / 1e15).toBeCloseTo(1.69, 2);
    expect(tflops(1e15, 2000)).toBe(500);
    expect(vaeFrameFlops(benchVaeConfig('real'), s)).toBeGreaterThan(vaeFrameFlops(benchVaeConfig('real'), DIT_SHAPES.real[0]!));
  });

  it('refuses a shape that does not tile into patches', () => {
    expect(() => ditShapeDims(real, { name: 'odd', height: 488, width: 832, latentFrames: 21 })).toThrow(/does not tile/);
  });
});

describe('GPU bench arguments', () => {
  it('defaults: real size on WebGPU, both shapes, fp16, every phase', () => {
    const a = parseBenchArgs([]);
    expect([a.size, a.device, a.precisions, a.shapes, a.phases, a.checkLayers, a.runs]).toEqual(['real', 'webgpu', ['fp16'], ['480x832', '720x1280'], ['check', 'dit', 'vae'], 2, 2]);
    expect(a.weights).toBe('/tmp/flashgraph-gpu/dit-real');
    expect([a.attentionChunk, a.attentionTiling]).toEqual([undefined, 'loop']);
    expect(parseBenchArgs(['--attention-chunk', '256']).attentionChunk).toBe(256);
  });

  it('--tiny runs on the CPU; flags take = or a separate value', () => {
    const a = parseBenchArgs(['--tiny', '--out=/tmp/o', '--phases', 'dit', '--shapes', '32x48', '--precisions', 'fp16,fp32', '--runs', '5']);
    expect([a.size, a.device, a.out, a.phases, a.shapes, a.precisions, a.runs]).toEqual(['tiny', 'cpu', '/tmp/o', ['dit'], ['32x48'], ['fp16', 'fp32'], 5]);
  });

  it('names what is wrong', () => {
    expect(() => parseBenchArgs(['--device', 'rocm'])).toThrow(/--device: "rocm" is not one of webgpu, cuda, cpu/);
    expect(() => parseBenchArgs(['--shapes', '32x48'])).toThrow(/not a real shape/);
    expect(() => parseBenchArgs(['--runs', '0'])).toThrow(/--runs: expected an integer >= 1/);
    expect(() => parseBenchArgs(['--frobnicate', '1'])).toThrow(/unknown option --frobnicate/);
    expect(() => parseBenchArgs(['--out'])).toThrow(/--out needs a value/);
    expect(() => parseBenchArgs(['--attention-chunk', '0'])).toThrow(/--attention-chunk: expected an integer >= 1/);
    expect(() => parseBenchArgs(['--attention-tiling', 'scan'])).toThrow(/--attention-tiling: "scan" is not one of loop, unrolled/);
  });
});

describe('GPU bench provider choice', () => {
  const missing = (reason: string) => async () => ({ ok: false as const, reason });

  it('cuda falls back to webgpu, saying why', async () => {
    const p = await chooseBenchProvider('cuda', false, async (name) => (name === 'cuda' ? { ok: false, reason: 'libonnxruntime_providers_cuda.so is not in bin/' } : { ok: true }));
    expect(p.choice.provider).toBe('webgpu');
    expect(p.notes.join('\n')).toMatch(/cuda unavailable: libonnxruntime_providers_cuda\.so.*\n--device cuda requested, running on webgpu/);
  });

  it('without a GPU provider it refuses rather than benchmark the CPU, naming the Vulkan loader', async () => {
    await expect(chooseBenchProvider('webgpu', false, missing('libvulkan.so.1: cannot open shared object file'))).rejects.toThrow(/webgpu unavailable: libvulkan\.so\.1.*Vulkan loader/);
  });

  it('with the real probes on a machine without a GPU: the refusal names the CUDA library, its install step and the Vulkan loader', async () => {
    if ((await probeProvider('webgpu')).ok || (await probeProvider('cuda')).ok) {
      console.info('[gpu bench] a GPU provider starts on this machine: the refusal is not exercised');
      return;
    }
    const refusal = chooseBenchProvider('cuda', false);
    await expect(refusal).rejects.toThrow(/cuda unavailable: libonnxruntime_providers_cuda\.so .*ONNXRUNTIME_NODE_INSTALL=cuda12/);
    await expect(refusal).rejects.toThrow(/webgpu unavailable: .*libvulkan\.so\.1/);
  });

  it('--allow-cpu lets it fall through to the CPU', async () => {
    const p = await chooseBenchProvider('webgpu', true, async (name) => (name === 'cpu' ? { ok: true } : { ok: false, reason: 'no adapter' }));
    expect(p.choice.provider).toBe('cpu');
  });
});

describe('GPU bench results', () => {
  it('relative errors: max over the reference range, and rms', () => {
    const e = relativeErrors([1, 2.5, -3], [1, 2, -4]);
    expect(e.maxRelError).toBeCloseTo(0.25, 12);
    expect(e.rmsRelError).toBeCloseTo(Math.sqrt((0.25 + 1) / 3) / Math.sqrt(21 / 3), 12);
    expect(relativeErrors([Number.NaN], [1]).maxRelError).toBeNaN();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('renders the tables with TFLOP/s, % of the matmul ceiling, ratio to torch and the error', () => {
    const onnx: BenchResults = {
      source: 'onnx', date: '2026-11-25', device: 'NVIDIA H100 80GB HBM3', size: 'real', notes: ['webgpu'],
      dit: [
        { shape: '480x832', tokens: 32760, provider: 'webgpu', precision: 'fp16', ms: 8000, flops: 1.6e15, runs: 2 },
        { shape: '720x1280', tokens: 75600, provider: 'webgpu', precision: 'fp16', flops: 6.5e15, runs: 2, error: 'out of memory' },
      ],
      vae: [{ shape: '480x832', provider: 'webgpu', precision: 'fp32', ms: 50, flops: 5e12, runs: 2 }],
      accuracy: [{ what: '2 of 40 layers, 480x832 x 3', provider: 'webgpu', precision: 'fp16', maxRelError: 2e-3, rmsRelError: 5e-4, budget: 1e-2 }],
    };
    const torch: BenchResults = {
      source: 'torch', date: '2026-11-25', device: 'NVIDIA H100 80GB HBM3', size: 'real', notes: [], matmulCeilingTflops: 800,
      dit: [
        { shape: '480x832', tokens: 32760, provider: 'torch-cuda', precision: 'fp16', ms: 4000, flops: 1.6e15, runs: 2 },
        { shape: '720x1280', tokens: 75600, provider: 'torch-cuda', precision: 'fp16', flops: 6.5e15, runs: 2, error: 'CUDA out of memory' },
      ],
      vae: [],
      accuracy: [{ what: '2 of 40 layers, 480x832 x 3', provider: 'torch-cuda', precision: 'bf16', maxRelError: 0.2, rmsRelError: 0.01, budget: 8e-2 }],
    };
    const md = renderResultsMarkdown([onnx], torch);
    expect(md).toContain('Matmul ceiling: 800 TFLOP/s');
    expect(md).toContain('| 480x832 | 32760 | webgpu | fp16 | 8000.0 | 200.0 | 25% | 2.00 | 2.0e-3 |');
    expect(md).toContain('| 720x1280 | 75600 | webgpu | fp16 | failed: out of memory | – | – | – | 2.0e-3 |');
    expect(md).toContain('| 480x832 | 32760 | torch-cuda | fp16 | 4000.0 | 400.0 | 50% | 1.00 | – |');
    expect(md).toContain('| 720x1280 | 75600 | torch-cuda | fp16 | failed: CUDA out of memory | – | – | – | – |');
    expect(md).toContain('| 480x832 | webgpu | fp32 | 50.0 | 100.0 |');
    expect(md).toContain('| torch | 2 of 40 layers, 480x832 x 3 | torch-cuda | bf16 | 2.0e-1 | 1.0e-2 | 8.0e-2 | NO |');
  });
});
