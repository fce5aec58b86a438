import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { downloadRepo, PARTIAL_SUFFIX, type DownloadProgress } from '../../server/models/download.ts';
import { tempDir } from '../helpers/engine.ts';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub.ts';

// Buffer.equals, not toEqual: a deep diff of megabyte buffers takes seconds.
const sameBytes = (a: string, b: string) => readFileSync(a).equals(readFileSync(b));

let hub: FakeHub;
let source: string;

beforeEach(async () => {
  source = tempDir('flashgraph-hub-src-');
  mkdirSync(join(source, 'sub'));
  writeFileSync(join(source, 'model.safetensors'), randomBytes(3 << 20));
  writeFileSync(join(source, 'sub', 'config.json'), JSON.stringify({ dim: 8 }));
  hub = await startFakeHub({
    'Org/Model': { files: { 'model.safetensors': join(source, 'model.safetensors'), 'sub/config.json': join(source, 'sub', 'config.json') } },
    'Org/Gated': { files: { 'weights.bin': join(source, 'model.safetensors') }, token: 'hf_secret' },
  });
});

afterEach(async () => {
  await hub.close();
});

describe('model download from a hub', () => {
  it('downloads every file of a repository and verifies it, then skips what is complete', async () => {
    const destination = tempDir('flashgraph-models-');
    const progress: DownloadProgress[] = [];
    const result = await downloadRepo({ repo: 'Org/Model', destination, endpoint: hub.url, onProgress: (p) => progress.push(p) });
    expect(result.skippedFiles).toBe(0);
    expect(sameBytes(join(destination, 'model.safetensors'), join(source, 'model.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(destination, 'sub', 'config.json'), 'utf8'))).toEqual({ dim: 8 });
    expect(progress.at(-1)).toMatchObject({ done: (3 << 20) + 9, total: (3 << 20) + 9 });

    const requestsBefore = hub.ranges.length;
    const again = await downloadRepo({ repo: 'Org/Model', destination, endpoint: hub.url });
    expect(again).toMatchObject({ skippedFiles: 2, downloadedBytes: 0 });
    expect(hub.ranges.length).toBe(requestsBefore);
  });

  it('resumes a download that broke off, from where the partial file ends', async () => {
    const destination = tempDir('flashgraph-models-');
    hub.breakAfter.set('model.safetensors', 1 << 20);
    await expect(downloadRepo({ repo: 'Org/Model', destination, endpoint: hub.url })).rejects.toThrow(/broke off .* run again to resume/);
    const final = join(destination, 'model.safetensors');
    expect(existsSync(final)).toBe(false);
    const partialBytes = readFileSync(final + PARTIAL_SUFFIX).length;
    expect(partialBytes).toBeGreaterThan(0);
    expect(partialBytes).toBeLessThan(3 << 20);

    const resumed = await downloadRepo({ repo: 'Org/Model', destination, endpoint: hub.url });
    expect(resumed.downloadedBytes).toBe((3 << 20) - partialBytes + 9);
    expect(hub.ranges.at(-2)).toEqual({ path: 'model.safetensors', range: `bytes=${partialBytes}-${(3 << 20) - 1}` });
    expect(sameBytes(final, join(source, 'model.safetensors'))).toBe(true);
    expect(existsSync(final + PARTIAL_SUFFIX)).toBe(false);
  });

  it('throws away a damaged partial file and fetches the file again', async () => {
    const destination = tempDir('flashgraph-models-');
    writeFileSync(join(destination, 'model.safetensors' + PARTIAL_SUFFIX), randomBytes(1000));
    await downloadRepo({ repo: 'Org/Model', destination, endpoint: hub.url });
    expect(sameBytes(join(destination, 'model.safetensors'), join(source, 'model.safetensors'))).toBe(true);
    expect(hub.ranges.filter((r) => r.path === 'model.safetensors').map((r) => r.range.split('-')[0])).toEqual(['bytes=1000', '']);
  });

  it('uses HF_TOKEN-style tokens for gated repositories and explains a refusal', async () => {
    const destination = tempDir('flashgraph-models-');
    await expect(downloadRepo({ repo: 'Org/Gated', destination, endpoint: hub.url, token: '' })).rejects.toThrow(/cannot list Org\/Gated .*gated repositories need HF_TOKEN/);
    await downloadRepo({ repo: 'Org/Gated', destination, endpoint: hub.url, token: 'hf_secret' });
    expect(readFileSync(join(destination, 'weights.bin')).length).toBe(3 << 20);
  });

  it('checks free disk space before downloading anything', async () => {
    const destination = tempDir('flashgraph-models-');
    await expect(downloadRepo({ repo: 'Org/Model', destination, endpoint: hub.url, freeBytes: () => 1 << 20 })).rejects.toThrow(
      /Org\/Model needs 3\.0 MB more in .*, but only 1\.0 MB are free/,
    );
    expect(hub.ranges).toEqual([]);
  });

  it('refuses repository paths that would leave the destination folder', async () => {
    const destination = tempDir('flashgraph-models-');
    hub.extraEntries['Org/Model'] = [{ path: '../escape.bin', size: 4 }];
    await expect(downloadRepo({ repo: 'Org/Model', destination, endpoint: hub.url })).rejects.toThrow(/must not contain '\.\.'/);
    expect(hub.ranges).toEqual([]);
  });
});

describe('graph models', () => {
  it('downloads a repository into the models folder (HF_ENDPOINT) and lists it', async () => {
    const { spawn } = await import('node:child_process');
    const { REPO_ROOT } = await import('../helpers/golden.ts');
    const models = tempDir('flashgraph-models-');
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'graph.js'), 'models', ...args, '--models-directory', models], {
          env: { ...process.env, HF_ENDPOINT: hub.url, HF_TOKEN: '' },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const downloaded = await run(['download', 'Org/Model']);
    expect(downloaded.stderr).toContain('Org/Model: 3.0 MB / 3.0 MB');
    expect(downloaded.code).toBe(0);
    expect(downloaded.stdout).toContain(`${join(models, 'Model')}: 2 files (3.0 MB downloaded, 0 already complete)`);
    expect(sameBytes(join(models, 'Model', 'model.safetensors'), join(source, 'model.safetensors'))).toBe(true);
    expect((await run(['list'])).stdout.split('\n')).toEqual(['Model/model.safetensors', 'Model/sub/config.json', '']);
    const missing = await run(['download', 'Org/Nothing']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('graph: cannot list Org/Nothing');
  });
});
