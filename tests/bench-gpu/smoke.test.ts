// The bench's orchestration on a tiny config on the CPU: the step order, the attention variant
// choice, the time budget (steps that would not fit are skipped and listed), and the child-process
// steps with their time limit. run-script.test.ts runs the whole thing through run.sh.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/gpu/args.ts';
import { childStepRunner, runGpuBench } from '../../bench/gpu/bench.ts';
import type { BenchStep, StepResult } from '../../bench/gpu/steps.ts';
import type { BenchResults } from '../../bench/gpu/results.ts';
import { REPO_ROOT } from '../helpers/golden.ts';

const TSX_MAIN = [process.execPath, '--import', 'tsx', join(REPO_ROOT, 'bench/gpu/main.ts')];

describe('GPU bench orchestration, tiny config on the CPU', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gpu-bench-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('runs the steps in priority order, picks the fastest variant within the fp16 budget, reuses its measurement and skips what the budget cannot fit', async () => {
    let now = 1_000_000;
    // 20 s budget, 1 s reserve; every step takes 2 s of the fake clock (tiny estimates start at 3 s).
    const args = parseBenchArgs(['--tiny', '--out', join(tmp, 'out'), '--work', join(tmp, 'work'), '--deadline', String(now + 20_000)], now);
    const ms: Record<string, number> = { 'unrolled-8': 4, 'loop-5': 3, 'mha-flash': 2, mha: 1 };
    const steps: BenchStep[] = [];
    const runner = async (step: BenchStep, limitS: number): Promise<StepResult> => {
      steps.push(step);
      expect(limitS).toBeGreaterThan(0);
      now += 2_000;
      if (step.kind === 'dit' && step.saveOutput) {
        // mha is the fastest but wrong (far outside the fp16 budget): mha-flash must win
        const values = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) + (step.attention === 'mha' ? 0.5 : step.attention === 'mha-flash' ? 1e-4 : 0));
        writeFileSync(step.saveOutput, values);
        return { ms: ms[step.attention], notes: [] };
      }
      if (step.kind === 'check') return { maxRelError: 1e-3, rmsRelError: 1e-4, notes: [] };
      return { ms: step.kind === 'vae' ? 30 : 5 * (step.kind === 'dit' ? step.layers : 1), notes: [`${step.kind} ran`] };
    };
    const lines: string[] = [];
    const run = await runGpuBench(args, (m) => lines.push(m), { runner, now: () => now });
    const r = JSON.parse(readFileSync(run.jsonPath, 'utf8')) as BenchResults;
    expect(r).toEqual(JSON.parse(JSON.stringify(run.results)));

    expect(steps.map((s) => (s.kind === 'dit' ? `${s.saveOutput ? 'variant' : 'dit'} ${s.attention} ${s.layers} ${s.shape}` : `${s.kind}`))).toEqual([
      'variant unrolled-8 1 32x48', 'variant loop-5 1 32x48', 'variant mha-flash 1 32x48', 'variant mha 1 32x48',
      // the 1-layer fp16 call at 32x48 is the chosen variant's own measurement: not run again
      'dit mha-flash 2 32x48', 'dit mha-flash 1 48x64', 'dit mha-flash 2 48x64',
      // 6 s left, 5 usable: the check (two models, estimated 6 s) does not fit; the VAE steps (learnt: 2 s) do
      'vae', 'vae',
    ]);
    expect(r.variants!.map((v) => [v.variant, v.chosen, v.reference])).toEqual([
      ['unrolled-8', false, 'unrolled-8'], ['loop-5', false, 'unrolled-8'], ['mha-flash', true, 'unrolled-8'], ['mha', false, 'unrolled-8'],
    ]);
    expect(r.variants![3]!.maxRelError).toBeGreaterThan(0.1);
    expect(r.dit.map((d) => [d.shape, d.layers, d.attention, d.ms])).toEqual([['32x48', 1, 'mha-flash', 2], ['32x48', 2, 'mha-flash', 10], ['48x64', 1, 'mha-flash', 5], ['48x64', 2, 'mha-flash', 10]]);
    expect(r.skipped).toEqual([{ what: 'fp16 vs fp32, 1 layer at 32x48 x 2', neededS: 6, leftS: 5 }]);
    expect(r.accuracy).toEqual([]);
    expect(r.vae.map((v) => v.ms)).toEqual([30, 30]);
    expect(lines).toContain('skipped: fp16 vs fp32, 1 layer at 32x48 x 2: needs ~6 s, 5 s left');
    const md = readFileSync(run.markdownPath, 'utf8');
    expect(md).toContain('| onnx | fp16 vs fp32, 1 layer at 32x48 x 2 | 6.0 | 5.0 |');
    expect(md).toMatch(/\| onnx \| 32x48 \| 18 \| cpu \| fp16 \| mha-flash \| 2\.0 \| 10\.0 \| 8\.0 \|/);
    expect(r.notes).toContain('self-attention: mha-flash (fastest variant within the fp16 budget)');
  });

  it('runs a real step in a child process, and stops one at its time limit', async () => {
    const args = parseBenchArgs(['--tiny', '--out', join(tmp, 'out2'), '--work', join(tmp, 'work'), '--runs', '1', '--warmup', '0']);
    // the weights the step reads
    const { ensureDitWeights } = await import('../../bench/gpu/bench.ts');
    ensureDitWeights(args, () => {});
    const run = childStepRunner(args, 'cpu', TSX_MAIN);
    const ok = await run({ kind: 'dit', shape: '48x64', precision: 'fp16', layers: 2, attention: 'unrolled-8' }, 60);
    expect(ok.error).toBeUndefined();
    expect(ok.ms).toBeGreaterThan(0);
    expect(ok.notes.join('\n')).toMatch(/DiT 2 layer\(s\) fp16 unrolled-8 at 48x64: build \+ session/);
    const bad = await run({ kind: 'dit', shape: '48x64', precision: 'fp16', layers: 5, attention: 'mha' }, 60);
    expect(bad.error).toBe('5 layers asked for, the weights hold 2');
    const stopped = await run({ kind: 'vae', shape: '48x64' }, 0.3);
    expect(stopped.error).toBe('stopped at its time limit of 0 s');
  }, 90_000);
});
