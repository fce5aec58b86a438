// bench/gpu/run.sh end to end on a tiny config on the CPU, as CI can run it: no GPU, no torch
// needed (the Node bench writes its own tiny weights then), this checkout's node + tsx (not a
// bundle pack.sh may have left here, which could be stale).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/golden.ts';

describe('bench/gpu/run.sh --tiny', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gpu-run-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('runs the ONNX phases and leaves markdown, JSON and log in --out', () => {
    const out = join(tmp, 'out');
    // PYTHON=false: no torch phase, weights written by the Node bench (what CI sees)
    const r = spawnSync('bash', ['bench/gpu/run.sh', '--tiny', '--phases', 'check,dit', '--runs', '1', '--out', out, '--work', join(tmp, 'work')], {
      cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PYTHON: 'false', FLASHGRAPH_BENCH_FROM_SOURCE: '1' },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('writing tiny random DiT weights');
    const files = readdirSync(out).sort();
    expect(files).toEqual(expect.arrayContaining(['run.log', expect.stringMatching(/^gpu-\d{4}-\d\d-\d\d\.md$/), expect.stringMatching(/^onnx-.*-tiny-check-dit\.json$/)]));
    const md = readFileSync(join(out, files.find((f) => f.startsWith('gpu-'))!), 'utf8');
    expect(md).toMatch(/code: source [0-9a-f]+/);
    expect(md).toMatch(/\| 48x64 \| 24 \| cpu \| fp16 \| [\d.]+ \|/);
    expect(md).toMatch(/\| onnx \| 2 of 2 layers, 32x48 x 2 \| cpu \| fp16 \| [\d.e-]+ \| [\d.e-]+ \| 1\.0e-2 \| yes \|/);
    // render.ts joins the JSON of several calls into the committed report
    const joined = join(tmp, 'joined.md');
    const render = spawnSync(process.execPath, ['--import', 'tsx', 'bench/gpu/render.ts', joined, ...files.filter((f) => f.endsWith('.json')).map((f) => join(out, f))], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(render.status, render.stderr).toBe(0);
    expect(readFileSync(joined, 'utf8')).toBe(md);
  }, 60_000);

  it('refuses unknown arguments', () => {
    const r = spawnSync('bash', ['bench/gpu/run.sh', '--frobnicate'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown argument --frobnicate');
  });
});
