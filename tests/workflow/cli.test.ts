import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/golden.ts';
import { tempDir } from '../helpers/engine.ts';
import { FIXTURES } from './helpers.ts';

const BIN = join(REPO_ROOT, 'bin', 'graph.js');
const UI_FILE = join(FIXTURES, 'hello-text.ui.json');

function graph(args: string[], cwd = tempDir()) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const EXPECTED_API = {
  '1': { inputs: { value: 'Hello' }, class_type: 'PrimitiveString', _meta: { title: 'Greeting' } },
  '2': { inputs: { value: 'FlashGraph' }, class_type: 'PrimitiveString', _meta: { title: 'Name' } },
  '3': { inputs: { string_a: ['1', 0], string_b: ['2', 0], delimiter: ', ' }, class_type: 'StringConcatenate', _meta: { title: 'Concatenate' } },
  '4': { inputs: { value: 41 }, class_type: 'PrimitiveInt', _meta: { title: 'Counter' } },
  '5': { inputs: { a: ['4', 0], b: 1, operation: 'add' }, class_type: 'IntMath', _meta: { title: 'Int Math' } },
  '6': { inputs: { source: ['5', 0] }, class_type: 'PreviewAny', _meta: { title: 'Preview Any' } },
  '8': { inputs: { text: ['3', 0], filename_prefix: 'hello/greeting' }, class_type: 'SaveText', _meta: { title: 'Save Text' } },
};

describe('graph run on a UI-format workflow', () => {
  it('converts and runs it: reroute followed, muted node skipped, stored seed used as is', () => {
    const out = tempDir();
    const { code, stdout, stderr } = graph(['run', UI_FILE, '-o', out]);
    expect(stderr).toContain('running #8 Save Text');
    expect(code).toBe(0);
    expect(readFileSync(join(out, 'hello', 'greeting_00001_.txt'), 'utf8')).toBe('Hello, FlashGraph');
    expect(existsSync(join(out, 'muted'))).toBe(false);
    expect(stdout).toContain('#6: 42');
  });

  it('--apply-control moves the increment widget on before running and says so', () => {
    const out = tempDir();
    const { code, stdout, stderr } = graph(['run', UI_FILE, '-o', out, '--apply-control', '--set', 'Greeting.value="Hi"']);
    expect(code).toBe(0);
    expect(stderr).toContain('control: #4 PrimitiveInt value = 42 (increment, was 41)');
    expect(stdout).toContain('#6: 43');
    expect(readFileSync(join(out, 'hello', 'greeting_00001_.txt'), 'utf8')).toBe('Hi, FlashGraph');
  });

  it('names the missing node types of a workflow it cannot run', () => {
    // ComfyUI's default graph (checkpoint, CLIP, KSampler): image-diffusion classes FlashGraph lacks.
    const { code, stderr } = graph(['run', join(FIXTURES, 'default-graph.json')]);
    expect(code).toBe(2);
    expect(stderr).toContain('not installed');
    expect(stderr).toMatch(/KSampler \(node #3\)/);
    expect(stderr).toMatch(/CheckpointLoaderSimple \(node #4\)/);
  });
});

describe('graph run on a workflow with frontend-only features', () => {
  it('resolves a Set/Get pair and expands %date:yyyy% and %Subject.value% in the filename prefix', () => {
    const out = tempDir();
    const year = new Date().getFullYear();
    const { code, stdout, stderr } = graph(['run', join(FIXTURES, 'virtual-run.ui.json'), '-o', out]);
    expect(stderr).toContain('running #5 Save Text');
    expect(code).toBe(0);
    expect(stdout).toContain('#6: cats');
    expect(readFileSync(join(out, 'virtual', String(year), 'cats_00001_.txt'), 'utf8')).toBe('cats are great');
  });

  it('expands a legacy group node (workflow>Name) into its inner nodes and runs them', () => {
    const out = tempDir();
    const { code, stdout, stderr } = graph(['run', join(FIXTURES, 'legacy-group.ui.json'), '-o', out]);
    expect(stderr).toContain('running #5:1 Concatenate');
    expect(code).toBe(0);
    expect(stdout).toContain('#7: 42');
    expect(stdout).toContain('#5:3: Hello, World');
    expect(readFileSync(join(out, 'group', 'out_00001_.txt'), 'utf8')).toBe('Hello, World');
  });

  it('runs subgraph instances with their own promoted (proxyWidgets) values', () => {
    const { code, stdout } = graph(['run', join(FIXTURES, 'proxy-widgets.v1.json'), '-o', tempDir()]);
    expect(code).toBe(0);
    expect(stdout).toContain('#5: Hello - A');
    expect(stdout).toContain('#6: Bye+inner b');
    expect(stdout).toContain('#7: Hey|inner b');
  });

  it('applies the Anything Everywhere connections the file recorded', () => {
    const out = tempDir();
    const { code, stdout } = graph(['run', join(FIXTURES, 'use-everywhere.ui.json'), '-o', out]);
    expect(code).toBe(0);
    expect(stdout).toContain('#6: Other');
    expect(readFileSync(join(out, 'ue', 'out_00001_.txt'), 'utf8')).toBe('Hello, World');
  });
});

describe('graph convert', () => {
  it('UI -> API writes the prompt the frontend would queue; API -> UI -> API gives it back', () => {
    const dir = tempDir();
    const api = join(dir, 'hello.api.json');
    expect(graph(['convert', UI_FILE, '--to', 'api', '-o', api], dir).code).toBe(0);
    expect(JSON.parse(readFileSync(api, 'utf8'))).toEqual(EXPECTED_API);

    const ui = graph(['convert', api, '--to', 'ui'], dir);
    expect(ui.code).toBe(0);
    const workflow = JSON.parse(ui.stdout);
    expect(workflow).toMatchObject({ version: 0.4, last_node_id: 8, last_link_id: 5 });
    writeFileSync(join(dir, 'hello.ui.json'), ui.stdout);
    const back = graph(['convert', 'hello.ui.json', '--to', 'api'], dir);
    expect(JSON.parse(back.stdout)).toEqual(EXPECTED_API);

    // The converted UI file runs too.
    const out = tempDir();
    const run = graph(['run', 'hello.ui.json', '-o', out], dir);
    expect(run.code).toBe(0);
    expect(readFileSync(join(out, 'hello', 'greeting_00001_.txt'), 'utf8')).toBe('Hello, FlashGraph');
  });

  it('UI -> UI returns the file unchanged; bad arguments and files are usage errors', () => {
    const same = graph(['convert', UI_FILE, '--to', 'ui']);
    expect(JSON.parse(same.stdout)).toEqual(JSON.parse(readFileSync(UI_FILE, 'utf8')));
    expect(graph(['convert', UI_FILE, '--to', 'png'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--to must be "api" or "ui"') });
    const dir = tempDir();
    writeFileSync(join(dir, 'odd.json'), JSON.stringify({ a: 1 }));
    expect(graph(['convert', 'odd.json', '--to', 'api'], dir)).toMatchObject({ code: 2, stderr: expect.stringContaining('neither an API-format prompt') });
  });
});
