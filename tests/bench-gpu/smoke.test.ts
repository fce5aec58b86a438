// The whole Node side of the GPU bench on a tiny config on the CPU: weights generated, fp16-vs-fp32
// check, timed DiT calls, VAE decode, results JSON and markdown written. What a GPU run does, minus
// the GPU and the size.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/gpu/args.ts';
import { runGpuBench } from '../../bench/gpu/bench.ts';
import type { BenchResults } from '../../bench/gpu/results.ts';

describe('GPU bench, tiny config on the CPU', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gpu-bench-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('runs every phase and writes the report', async () => {
    const args = parseBenchArgs(['--tiny', '--out', join(tmp, 'out'), '--work', join(tmp, 'work'), '--runs', '1']);
    const lines: string[] = [];
    const run = await runGpuBench(args, (m) => lines.push(m));
    expect(lines[0]).toBe('execution provider: cpu');
    expect(existsSync(join(tmp, 'work/dit-tiny/config.json'))).toBe(true);
    const saved = JSON.parse(readFileSync(run.jsonPath, 'utf8')) as BenchResults;
    expect(saved).toEqual(JSON.parse(JSON.stringify(run.results)));
    expect(saved.dit.map((r) => [r.shape, r.precision, r.error])).toEqual([['32x48', 'fp16', undefined], ['48x64', 'fp16', undefined]]);
    for (const r of [...saved.dit, ...saved.vae]) expect(r.ms).toBeGreaterThan(0);
    expect(saved.vae.map((r) => r.shape)).toEqual(['32x48', '48x64']);
    const check = saved.accuracy[0]!;
    expect(check.error).toBeUndefined();
    // float16 compute against float32 on the same inputs: close, but not bit-equal (it did run in fp16)
    expect(check.maxRelError).toBeGreaterThan(1e-6);
    expect(check.maxRelError).toBeLessThan(check.budget);
    const md = readFileSync(run.markdownPath, 'utf8');
    expect(md).toMatch(/\| 32x48 \| 18 \| cpu \| fp16 \| [\d.]+ \|/);
    expect(md).toContain('| onnx | 2 of 2 layers, 32x48 x 2 | cpu | fp16 |');
  }, 60_000);

  it.each(['loop', 'unrolled'] as const)('--attention-chunk 5 --attention-tiling %s: the DiT and the fp16 check run with query tiles', async (tiling) => {
    const out = join(tmp, `out-${tiling}`);
    const args = parseBenchArgs(['--tiny', '--out', out, '--work', join(tmp, 'work'), '--runs', '1', '--warmup', '0', '--phases', 'check,dit', '--attention-chunk', '5', '--attention-tiling', tiling]);
    expect([args.attentionChunk, args.attentionTiling]).toEqual([5, tiling]);
    const run = await runGpuBench(args, () => {});
    const r = run.results;
    expect(r.dit.map((d) => [d.shape, d.error])).toEqual([['32x48', undefined], ['48x64', undefined]]);
    expect(r.accuracy[0]!.error).toBeUndefined();
    expect(r.accuracy[0]!.maxRelError).toBeLessThan(r.accuracy[0]!.budget);
    expect(r.notes.join('\n')).toContain(`DiT self-attention in tiles of 5 query tokens (${tiling})`);
    // unrolled tiles: one model per shape
    expect(r.notes.filter((n) => n.startsWith('DiT fp16')).length).toBe(tiling === 'unrolled' ? 2 : 1);
  }, 60_000);
});
