// SaveVideo on a read-only output folder (issue 23, item 6): the node error says EROFS, the real
// reason, for a file in the folder, in an existing subfolder and in one that must be created
// (where Node's recursive mkdir says ENOENT). Needs a read-only mount: skipped where this process
// may not mount (the check it makes is also in tests/storage/symlink-writes.test.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, tempDir, type TestEngine } from '../helpers/engine.ts';
import { executionError, runPrompt } from './helpers.ts';

let engine: TestEngine | undefined;
let output: string | undefined;

beforeAll(async () => {
  const base = tempDir();
  const folder = join(base, 'output');
  mkdirSync(folder);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', folder], { stdio: 'ignore' });
  } catch {
    return;
  }
  output = folder;
  mkdirSync(join(folder, 'video'));
  execFileSync('mount', ['-o', 'remount,ro', folder]);
  engine = await startEngine([], base);
}, 60_000);

afterAll(async () => {
  await engine?.runner.stop();
  if (output) execFileSync('umount', [output]);
});

describe('SaveVideo on a read-only output folder', () => {
  it.for(['x', 'video/x', 'new/x'])('filename_prefix %s: the error names EROFS', async (prefix, context) => {
    if (!engine) {
      context.skip('mounting a read-only tmpfs needs privileges this run lacks');
      return;
    }
    const entry = await runPrompt(engine, {
      '1': { class_type: 'EmptyImage', inputs: { width: 32, height: 32, batch_size: 2, color: 0 } },
      '2': { class_type: 'CreateVideo', inputs: { images: ['1', 0], fps: 10 } },
      '3': { class_type: 'SaveVideo', inputs: { video: ['2', 0], filename_prefix: prefix, format: 'auto', codec: 'auto' } },
    });
    const error = executionError(entry) as { node_type: string; exception_message: string };
    expect(error.node_type).toBe('SaveVideo');
    expect(error.exception_message).toMatch(/EROFS|read-only file system/i);
    expect(error.exception_message).not.toMatch(/ENOENT/);
  });
});
