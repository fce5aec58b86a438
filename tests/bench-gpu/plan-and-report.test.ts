// The GPU bench's own logic, without a GPU: shape table, FLOP numbers, argument parsing, provider
// choice, error measures and the results file.
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/gpu/args.ts';
import { benchDitConfig, DIT_SHAPES, ditCallFlops, ditShapeDims, layerCost, layerFlops, tflops, vaeFrameFlops, benchVaeConfig } from '../../bench/gpu/plan.ts';
import { BenchBudget } from '../../bench/gpu/budget.ts';
import { attentionVariant } from '../../bench/gpu/variants.ts';
import { chooseBenchProvider } from '../../bench/gpu/provider.ts';
import { probeProvider } from '../../server/ml/device.ts';
import { median, relativeErrors, renderResultsMarkdown } from '../../bench/gpu/results.ts';
import type { BenchResults, TimingRow } from '../../bench/gpu/results.ts';

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

  it('splits a call into one layer and the rest, and a stack into a per-layer cost', () => {
    const s = DIT_SHAPES.real[0]!;
    const { perLayer, rest } = layerFlops(real, s);
    expect(rest + 40 * perLayer).toBe(ditCallFlops(real, s));
    expect(rest + 3 * perLayer).toBe(ditCallFlops(benchDitConfig('real', 3), s));
    // t_1 = rest + layer, t_3 = rest + 3 layers
    expect(layerCost(150, 350, 3, 40)).toEqual({ perLayerMs: 100, restMs: 50, modelMs: 4050 });
    expect(() => layerCost(1, 2, 1, 40)).toThrow(/at least 2 layers/);
  });

  it('refuses a shape that does not tile into patches', () => {
    expect(() => ditShapeDims(real, { name: 'odd', height: 488, width: 832, latentFrames: 21 })).toThrow(/does not tile/);
  });
});

describe('GPU bench arguments', () => {
  it('defaults: real size on WebGPU, both shapes, fp16, a 3-layer stack, every phase, the four attention variants', () => {
    const a = parseBenchArgs([], 1_000);
    expect([a.size, a.device, a.precisions, a.shapes, a.phases, a.layers, a.runs]).toEqual(['real', 'webgpu', ['fp16'], ['480x832', '720x1280'], ['variants', 'dit', 'check', 'vae'], 3, 2]);
    expect(a.weights).toBe('/tmp/flashgraph-gpu/dit-real-3');
    expect(a.variants).toEqual(['unrolled-512', 'loop-256', 'mha-flash', 'mha']);
    expect(a.attention).toBeUndefined();
    // without --budget / --deadline a run by hand is bounded by a day
    expect(a.deadlineMs).toBe(1_000 + 86_400_000);
    expect(parseBenchArgs(['--budget', '480'], 1_000).deadlineMs).toBe(481_000);
    expect(parseBenchArgs(['--deadline', '123456']).deadlineMs).toBe(123_456);
  });

  it('--tiny runs on the CPU; flags take = or a separate value', () => {
    const a = parseBenchArgs(['--tiny', '--out=/tmp/o', '--phases', 'dit', '--shapes', '32x48', '--precisions', 'fp16,fp32', '--runs', '5', '--variants', 'mha,loop-7']);
    expect([a.size, a.device, a.out, a.phases, a.shapes, a.precisions, a.runs, a.layers, a.variants]).toEqual(['tiny', 'cpu', '/tmp/o', ['dit'], ['32x48'], ['fp16', 'fp32'], 5, 2, ['mha', 'loop-7']]);
  });

  it('names what is wrong', () => {
    expect(() => parseBenchArgs(['--device', 'rocm'])).toThrow(/--device: "rocm" is not one of webgpu, cuda, cpu/);
    expect(() => parseBenchArgs(['--shapes', '32x48'])).toThrow(/not a real shape/);
    expect(() => parseBenchArgs(['--runs', '0'])).toThrow(/--runs: expected an integer >= 1/);
    expect(() => parseBenchArgs(['--layers', '1'])).toThrow(/--layers: expected an integer >= 2/);
    expect(() => parseBenchArgs(['--frobnicate', '1'])).toThrow(/unknown option --frobnicate/);
    expect(() => parseBenchArgs(['--out'])).toThrow(/--out needs a value/);
    expect(() => parseBenchArgs(['--variants', 'loop-0'])).toThrow(/--variants: attention variant "loop-0"/);
    expect(() => parseBenchArgs(['--attention', 'scan-5'])).toThrow(/--attention: attention variant "scan-5": expected mha, mha-flash, loop-<N> or unrolled-<N>/);
    expect(() => parseBenchArgs(['--budget', '10', '--deadline', '5'])).toThrow(/give one/);
    expect(() => parseBenchArgs(['--step', '{}'])).toThrow(/--step and --result go together/);
  });
});

describe('attention variants', () => {
  it('build the DiT options each names', () => {
    expect(attentionVariant('mha').build(100)).toEqual({});
    expect(attentionVariant('mha-flash').build(100)).toEqual({ attentionPresentKv: true });
    expect(attentionVariant('loop-256').build(32_760)).toEqual({ attentionQueryChunk: 256, attentionTiling: 'loop' });
    expect(attentionVariant('unrolled-512').build(32_760)).toEqual({ attentionQueryChunk: 512, attentionTiling: 'unrolled', attentionTokens: 32_760 });
    expect(() => attentionVariant('gqa')).toThrow(/expected mha, mha-flash/);
  });
});

describe('GPU bench time budget', () => {
  it('admits a step that fits the time left less the reserve, with a limit of at most 4x its estimate', () => {
    let now = 0;
    const b = new BenchBudget({ deadlineMs: 100_000, reserveS: 10, assumedFlopsPerS: 1e12, now: () => now });
    expect(b.leftS()).toBe(100);
    // 5 s fixed + 10 TFLOP at 1 TFLOP/s = 15 s
    expect(b.admit('dit', 'a', { fixedS: 5, flops: 10e12 })).toEqual({ run: true, limitS: 60 });
    now = 80_000; // 20 s left, 10 usable
    expect(b.admit('dit', 'b', { fixedS: 5, flops: 2e12 })).toEqual({ run: true, limitS: 10 });
    expect(b.admit('dit', 'c', { fixedS: 5, flops: 10e12 })).toEqual({ run: false, skip: { what: 'c', neededS: 15, leftS: 10 } });
    now = 200_000;
    expect(b.admit('vae', 'd', { fixedS: 0, flops: 1 })).toEqual({ run: false, skip: { what: 'd', neededS: 0, leftS: 0 } });
  });

  it('learns from finished steps of the same kind only, within bounds', () => {
    const b = new BenchBudget({ deadlineMs: 1e9, reserveS: 0, assumedFlopsPerS: 1e12, now: () => 0 });
    const e = { fixedS: 2, flops: 8e12 }; // 10 s as assumed
    b.record('dit', e, 30); // took 3x
    expect(b.estimateS('dit', e)).toBeCloseTo(30, 9);
    expect(b.estimateS('dit', { fixedS: 1, flops: 0 })).toBeCloseTo(3, 9);
    expect(b.estimateS('vae', e)).toBeCloseTo(10, 9);
    b.record('vae', e, 1e6); // a pathological step does not make every later one impossible
    expect(b.estimateS('vae', e)).toBeCloseTo(160, 9);
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

  it('renders per-layer figures, the ratio to torch bf16 SDPA, variants, skips and errors', () => {
    const dit = (shape: string, tokens: number, provider: string, precision: string, layers: number, ms: number | undefined, attention: string): TimingRow =>
      ({ shape, tokens, provider, precision, layers, attention, flops: 1e14 + layers * 4e13, runs: 2, ...(ms === undefined ? { error: 'out of memory' } : { ms }) });
    const onnx: BenchResults = {
      source: 'onnx', date: '2026-11-25', device: 'NVIDIA H100 80GB HBM3', size: 'real', notes: ['webgpu'], stackLayers: 3, modelLayers: 40,
      dit: [
        dit('480x832', 32760, 'webgpu', 'fp16', 1, 300, 'mha-flash'), dit('480x832', 32760, 'webgpu', 'fp16', 3, 700, 'mha-flash'),
        dit('720x1280', 75600, 'webgpu', 'fp16', 1, 900, 'mha-flash'), dit('720x1280', 75600, 'webgpu', 'fp16', 3, undefined, 'mha-flash'),
      ],
      vae: [{ shape: '480x832', provider: 'webgpu', precision: 'fp32', ms: 50, flops: 5e12, runs: 2 }],
      accuracy: [{ what: '1 of 40 layers, 480x832 x 3 (mha-flash)', provider: 'webgpu', precision: 'fp16', maxRelError: 2e-3, rmsRelError: 5e-4, budget: 1e-2 }],
      variants: [
        { variant: 'unrolled-512', description: 'tiles', shape: '480x832', provider: 'webgpu', ms: 400, maxRelError: 0, reference: 'unrolled-512', chosen: false },
        { variant: 'mha-flash', description: 'flash', shape: '480x832', provider: 'webgpu', ms: 300, maxRelError: 1e-3, reference: 'unrolled-512', chosen: true },
        { variant: 'mha', description: 'untiled', shape: '480x832', provider: 'webgpu', error: 'buffer too large' },
      ],
      skipped: [{ what: 'VAE decode at 720x1280', neededS: 40, leftS: 12.5 }],
    };
    const torch: BenchResults = {
      source: 'torch', date: '2026-11-25', device: 'NVIDIA H100 80GB HBM3', size: 'real', notes: [], matmulCeilingTflops: 800, stackLayers: 3, modelLayers: 40,
      dit: [dit('480x832', 32760, 'torch-cuda', 'bf16', 1, 150, 'SDPA'), dit('480x832', 32760, 'torch-cuda', 'bf16', 3, 310, 'SDPA')],
      vae: [],
      accuracy: [{ what: '1 of 40 layers, 480x832 x 3', provider: 'torch-cuda', precision: 'bf16', maxRelError: 0.2, rmsRelError: 0.01, budget: 8e-2 }],
    };
    const md = renderResultsMarkdown([onnx], torch);
    expect(md).toContain('Matmul ceiling: 800 TFLOP/s');
    expect(md).toContain('calls of 1 and 3 real-width layers; x 40 = one whole call');
    // per layer (700 - 300) / 2 = 200 ms for 4e13 FLOP = 0.2 PFLOP/s; torch bf16 (310 - 150) / 2 = 80 ms
    expect(md).toContain('| onnx | 480x832 | 32760 | webgpu | fp16 | mha-flash | 300.0 | 700.0 | 200.0 | 200.0 | 25% | 2.50 | 8100 | 100.0 |');
    expect(md).toContain('| onnx | 720x1280 | 75600 | webgpu | fp16 | mha-flash | 900.0 | failed: out of memory | – | – | – | – | – | – |');
    expect(md).toContain('| torch | 480x832 | 32760 | torch-cuda | bf16 | SDPA | 150.0 | 310.0 | 80.0 | 500.0 | 63% | 1.00 | 3270 | 70.0 |');
    expect(md).toContain('| mha-flash | flash | 480x832 | webgpu | 300.0 | 1.0e-3 (vs unrolled-512) | yes |');
    expect(md).toContain('| mha | untiled | 480x832 | webgpu | failed: buffer too large | – |  |');
    expect(md).toContain('| 480x832 | webgpu | fp32 | 50.0 | 100.0 |');
    expect(md).toContain('| torch | 1 of 40 layers, 480x832 x 3 | torch-cuda | bf16 | 2.0e-1 | 1.0e-2 | 8.0e-2 | NO |');
    expect(md).toContain('## Skipped: would not fit the time budget');
    expect(md).toContain('| onnx | VAE decode at 720x1280 | 40.0 | 12.5 |');
  });
});
