// bench/gpu/run.sh end to end on a tiny config on the CPU, as CI can run it: no GPU, no torch
// needed (the Node bench writes its own tiny weights then), this checkout's node + tsx (not a
// bundle pack.sh may have left here, which could be stale). Once with room for every step, once
// with a budget too small for most, which must end in time and list what it skipped.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/golden.ts';
import type { BenchResults } from '../../bench/gpu/results.ts';

function runScript(tmp: string, name: string, extra: string[]) {
  const out = join(tmp, name);
  const t0 = Date.now();
  // PYTHON=false: no torch phase, weights written by the Node bench (what CI sees)
  const r = spawnSync('bash', ['bench/gpu/run.sh', '--tiny', '--runs', '1', '--out', out, '--work', join(tmp, 'work'), '--results-dir', join(tmp, `${name}-results`), ...extra], {
    cwd: REPO_ROOT, encoding: 'utf8', timeout: 150_000, env: { ...process.env, PYTHON: 'false', FLASHGRAPH_BENCH_FROM_SOURCE: '1' },
  });
  const files = readdirSync(out).sort();
  const json = JSON.parse(readFileSync(join(out, files.find((f) => f.startsWith('onnx-'))!), 'utf8')) as BenchResults;
  const md = readFileSync(join(out, files.find((f) => f.startsWith('gpu-'))!), 'utf8');
  return { r, out, files, json, md, seconds: (Date.now() - t0) / 1000 };
}

describe('bench/gpu/run.sh --tiny', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gpu-run-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('runs every step within its budget and leaves markdown, JSON and log in --out and the report in the results folder', () => {
    const { r, files, json, md } = runScript(tmp, 'full', ['--budget', '240']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('writing tiny random DiT weights (2 layers)');
    expect(files).toEqual(expect.arrayContaining(['run.log', expect.stringMatching(/^gpu-\d{4}-\d\d-\d\d\.md$/), expect.stringMatching(/^onnx-.*-tiny\.json$/)]));
    expect(readdirSync(join(tmp, 'full-results'))).toEqual([files.find((f) => f.startsWith('gpu-'))]);
    expect(json.skipped).toEqual([]);
    expect(json.variants!.map((v) => [v.variant, v.error])).toEqual([['unrolled-8', undefined], ['loop-5', undefined], ['mha-flash', undefined], ['mha', undefined]]);
    expect(json.variants!.filter((v) => v.chosen)).toHaveLength(1);
    for (const v of json.variants!) expect(v.maxRelError).toBeLessThan(1e-2); // every variant computes the same attention
    expect(json.dit.map((d) => [d.shape, d.layers, d.error])).toEqual([['32x48', 1, undefined], ['32x48', 2, undefined], ['48x64', 1, undefined], ['48x64', 2, undefined]]);
    expect(json.vae.map((v) => [v.shape, v.error])).toEqual([['32x48', undefined], ['48x64', undefined]]);
    expect(json.accuracy[0]!.maxRelError).toBeGreaterThan(1e-6); // it did compute in fp16
    expect(json.accuracy[0]!.maxRelError).toBeLessThan(1e-2);
    expect(md).toMatch(/code: source [0-9a-f]+/);
    expect(md).toMatch(/\| onnx \| 48x64 \| 24 \| cpu \| fp16 \| \S+ \| [\d.]+ \| [\d.]+ \| -?[\d.]+ \|/);
    expect(md).toMatch(/\| onnx \| 1 of 2 layers, 32x48 x 2 \(\S+\) \| cpu \| fp16 \| [\d.e-]+ \| [\d.e-]+ \| 1\.0e-2 \| yes \|/);
    expect(md).not.toContain('## Skipped');
    // render.ts joins the JSON results into the committed report
    const joined = join(tmp, 'joined.md');
    const render = spawnSync(process.execPath, ['--import', 'tsx', 'bench/gpu/render.ts', joined, join(tmp, 'full', files.find((f) => f.startsWith('onnx-'))!)], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(render.status, render.stderr).toBe(0);
    expect(readFileSync(joined, 'utf8')).toBe(md);
  }, 160_000);

  it('with too small a budget: ends in time, measures what fits and lists every step it skipped', () => {
    const { r, json, md, seconds } = runScript(tmp, 'short', ['--budget', '12']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(seconds).toBeLessThan(12 + 3); // the budget counts from run.sh's start; allow bash's own exit
    const done = json.variants!.length + json.dit.length + json.vae.length + json.accuracy.length;
    const skipped = json.skipped!;
    expect(skipped.length).toBeGreaterThan(0);
    // 4 variants + 4 DiT calls + check + 2 VAE: each measured (or failed), reused or skipped
    expect(done + skipped.length).toBe(11);
    for (const s of skipped) expect(s.neededS).toBeGreaterThan(s.leftS);
    expect(md).toContain('## Skipped: would not fit the time budget');
    expect(r.stdout).toMatch(/skipped: .*: needs ~[\d.]+ s, [\d.]+ s left/);
  }, 60_000);

  it('refuses unknown arguments and a budget that is not whole seconds', () => {
    const r = spawnSync('bash', ['bench/gpu/run.sh', '--frobnicate'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown argument --frobnicate');
    const b = spawnSync('bash', ['bench/gpu/run.sh', '--budget', '5m'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(b.status).toBe(2);
    expect(b.stderr).toContain('--budget takes whole seconds');
  });
});
