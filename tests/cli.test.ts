import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/golden.ts';
import { tempDir } from './helpers/engine.ts';

const BIN = join(REPO_ROOT, 'bin', 'graph.js');
const SAMPLE = join(REPO_ROOT, 'workflows', 'hello-text.json');

function graph(args: string[], cwd = tempDir()) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, cwd };
}

describe('graph run', () => {
  it('runs the sample workflow, writes its output and prints where', () => {
    const out = tempDir();
    const { code, stdout, stderr } = graph(['run', SAMPLE, '--output-directory', out]);
    expect(stderr).toContain('running #5 SaveText');
    expect(code).toBe(0);
    const written = join(out, 'hello', 'greeting_00001_.txt');
    expect(stdout.split('\n')).toContain(written);
    expect(readFileSync(written, 'utf8')).toBe('Hello, FlashGraph');
    expect(stdout).toContain('#6: 42');
  });

  it('applies --set by node title and by id, and reports JSON', () => {
    const out = tempDir();
    const { code, stdout } = graph(['run', SAMPLE, '-o', out, '--set', 'Name.value="world"', '--set', '4.b=10', '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.status).toBe('success');
    expect(result.outputs['6']).toEqual({ text: ['60'] });
    expect(readFileSync(result.files[0], 'utf8')).toBe('Hello, world');
  });

  it('exits non-zero with a readable report for an invalid workflow', () => {
    const dir = tempDir();
    const broken = join(dir, 'broken.json');
    writeFileSync(
      broken,
      JSON.stringify({
        '1': { class_type: 'IntMath', inputs: { a: 1, b: 2, operation: 'xor' } },
        '2': { class_type: 'PreviewAny', inputs: { source: ['1', 0] } },
      }),
    );
    const { code, stderr } = graph(['run', broken], dir);
    expect(code).toBe(2);
    expect(stderr).toContain('Prompt is invalid: Prompt outputs failed validation');
    expect(stderr).toContain(`#1 IntMath:`);
    expect(stderr).toContain(`input "operation": Value not in list`);
  });

  it('exits non-zero naming the failing node for an execution error', () => {
    const dir = tempDir();
    const failing = join(dir, 'divide.json');
    writeFileSync(
      failing,
      JSON.stringify({
        '1': { class_type: 'IntMath', inputs: { a: 1, b: 0, operation: 'divide' }, _meta: { title: 'Divide' } },
        '2': { class_type: 'PreviewAny', inputs: { source: ['1', 0] } },
      }),
    );
    const { code, stderr } = graph(['run', failing], dir);
    expect(code).toBe(1);
    expect(stderr).toContain('Error in node #1 IntMath "Divide": RangeError: division by zero (input "b" is 0)');
  });

  it('explains unreadable files and bad --set values', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'junk.json'), '{ nope');
    expect(graph(['run', 'junk.json'], dir)).toMatchObject({ code: 2, stderr: expect.stringContaining('junk.json is not valid JSON') });
    expect(graph(['run', 'missing.json'], dir)).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read workflow missing.json') });
    expect(graph(['run', SAMPLE, '--set', 'Nobody.value=1'], dir)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('no node with id or title "Nobody"'),
    });
  });
});

describe('graph nodes', () => {
  it('lists node classes, and /object_info as JSON', () => {
    const text = graph(['nodes']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^SaveText\s+utils\/string\s+Save Text\s+core$/m);
    expect(text.stdout).toMatch(/\d+\.\d seconds: .*nodes\/core \[\d+ nodes\]/);
    const json = graph(['nodes', '--json']);
    const info = JSON.parse(json.stdout);
    // The FlashPortrait pack is loaded through the pack loader, like any third-party pack.
    expect(info.FlashPortraitLoader).toMatchObject({ python_module: 'custom_nodes.flashportrait', category: 'FlashPortrait' });
    expect(info.PrimitiveInt).toMatchObject({
      input: { required: { value: ['INT', { min: -(2 ** 63), max: 2 ** 63, control_after_generate: true }] } },
      output: ['INT'],
      output_name: ['INT'],
      output_is_list: [false],
      python_module: 'nodes',
      category: 'utils/primitive',
      display_name: 'Int',
      output_node: false,
    });
  });
});
