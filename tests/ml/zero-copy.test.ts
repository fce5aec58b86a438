// Weights used in place: a 2 GiB f32 safetensors file backs a session without a copy on disk and
// without a second copy in memory. Runs in a child process so its peak RSS is measured alone.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'fg-zero-copy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('zero-copy external weights', () => {
  it('a session over a 2 GiB f32 file adds no cache files and peaks below file size + 300 MB', () => {
    // 8 weights of 8192 x 8192 float32 = 2 GiB.
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'zero-copy-child.ts'), scratch, '8', '8192'], { encoding: 'utf8', timeout: 60_000 });
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      fileSize: number; rssBefore: number; peakRss: number; sessionMs: number; runMs: number; correct: boolean;
      zeroCopyWeights: number; convertedWeights: number; cacheExists: boolean; dirEntries: string[];
    };
    const mb = (b: number) => (b / 2 ** 20).toFixed(0);
    console.info(`[zero-copy] file ${mb(r.fileSize)} MiB, RSS before ${mb(r.rssBefore)} MiB, peak ${mb(r.peakRss)} MiB, session ${r.sessionMs.toFixed(0)} ms, run ${r.runMs.toFixed(0)} ms`);
    expect(r.fileSize).toBeGreaterThanOrEqual(2 * 2 ** 30);
    expect(r.correct).toBe(true); // the run really read every weight
    expect(r.zeroCopyWeights).toBe(8);
    expect(r.convertedWeights).toBe(0);
    expect(r.cacheExists).toBe(false);
    expect(r.dirEntries).toEqual(['big.safetensors']);
    expect(statSync(join(scratch, 'big.safetensors')).blocks * 512).toBeLessThan(64 * 2 ** 20); // still sparse: nothing rewrote it
    expect(r.peakRss).toBeLessThan(r.fileSize + 300 * 2 ** 20);
  }, 90_000);
});
