import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer } from '../server/api/server.ts';
import { loadRegistry } from '../server/host.ts';
import { folderLayout } from '../server/storage/folders.ts';
import { tempDir } from './helpers/engine.ts';
import { REPO_ROOT } from './helpers/golden.ts';

function writePack(root: string, name: string, files: Record<string, string>, manifest: object = { name, type: 'module', main: 'index.js' }) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
}

/** A base folder whose custom_nodes/ holds one pack of each kind the loader must cope with. */
function makeBase(): string {
  const base = tempDir('flashgraph-packs-');
  const packs = join(base, 'custom_nodes');
  writePack(packs, 'good-pack', {
    'index.js': `export const nodes = [{
      type: 'Greeting', category: 'test', inputs: { required: { name: { type: 'STRING', default: 'you' } } },
      outputs: [{ type: 'STRING' }], execute: ({ name }) => ['Hello ' + name],
    }];`,
    'examples/greet.json': JSON.stringify({ '1': { class_type: 'Greeting', inputs: { name: 'x' } } }),
  });
  writePack(
    packs,
    'web-pack',
    { 'index.js': `export default { nodes: [], webDirectory: 'web' };`, 'web/main.js': 'console.log("hello from a pack")', 'web/lib/util.js': '// util' },
  );
  writePack(packs, 'throwing-pack', { 'index.js': `throw new Error('missing dependency: libfoo');` });
  writePack(packs, 'bad-schema-pack', {
    'index.js': `export const nodes = [
      { type: 'Fine', outputs: [{ type: 'INT' }], execute: () => [1] },
      { type: 'Broken', inputs: { required: { x: { type: 'INT', min: 9, max: 1 } } }, outputs: [{ type: 'INT' }] },
    ];`,
  });
  writePack(packs, 'zz-duplicate-pack', {
    'index.js': `export default { nodes: [
      { type: 'Greeting', outputs: [{ type: 'STRING' }], execute: () => ['impostor'] },
      { type: 'SaveText', outputNode: true, execute: () => ({ ui: {} }) },
      { type: 'Farewell', outputs: [{ type: 'STRING' }], execute: () => ['bye'] },
    ] };`,
  });
  writeFileSync(
    join(base, 'greet.json'),
    JSON.stringify({
      '1': { class_type: 'Greeting', inputs: { name: 'pack' } },
      '2': { class_type: 'PreviewAny', inputs: { source: ['1', 0] } },
    }),
  );
  return base;
}

describe('node packs', () => {
  it('loads good packs, reports failures, keeps the first of duplicate classes', async () => {
    const base = makeBase();
    const { registry, packs } = await loadRegistry(folderLayout({ base }));
    const byName = Object.fromEntries(packs.map((p) => [p.name, p]));
    expect(byName.core).toMatchObject({ builtin: true, module: 'nodes' });
    expect(byName.core!.failure).toBeUndefined();
    expect(byName['good-pack']).toMatchObject({ nodes: ['Greeting'], module: 'custom_nodes.good-pack', conflicts: [] });
    expect(byName['good-pack']!.failure).toBeUndefined();
    expect(Object.keys(byName['good-pack']!.examples)).toEqual(['greet']);
    expect(byName['throwing-pack']!.failure).toBe('missing dependency: libfoo');
    expect(byName['bad-schema-pack']!.failure).toBe('invalid node schema: Broken: `execute` must be a function; Broken: input "x" has min > max');
    expect(byName['bad-schema-pack']!.nodes).toEqual([]);
    expect(registry.has('Fine')).toBe(false);
    expect(byName['zz-duplicate-pack']!.nodes).toEqual(['Farewell']);
    expect(byName['zz-duplicate-pack']!.conflicts).toEqual([
      'node class "Greeting" from pack "zz-duplicate-pack" is already defined by pack "good-pack"; keeping the first',
      'node class "SaveText" from pack "zz-duplicate-pack" is already defined by pack "core"; keeping the first',
    ]);
    expect(registry.objectInfo().Greeting!.python_module).toBe('custom_nodes.good-pack');
    expect(registry.objectInfo().SaveText!.python_module).toBe('nodes');
  });

  it('honours --disable-all-custom-nodes and --whitelist-custom-nodes', async () => {
    const base = makeBase();
    const none = await loadRegistry(folderLayout({ base }), { disableAllCustomNodes: true });
    expect(none.packs.filter((p) => !p.builtin).map((p) => p.name)).toEqual([]);
    expect(none.packs.map((p) => p.name)).toContain('core');
    const some = await loadRegistry(folderLayout({ base }), { disableAllCustomNodes: true, whitelist: ['good-pack'] });
    expect(some.packs.filter((p) => !p.builtin).map((p) => p.name)).toEqual(['good-pack']);
    expect(some.registry.has('Greeting')).toBe(true);
  });

  it("runs a pack's node in a workflow from the command line, warning about broken packs", () => {
    const base = makeBase();
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'graph.js'), 'run', 'greet.json', '--base-directory', base], {
      cwd: base,
      encoding: 'utf8',
    });
    expect(result.stdout).toContain('#2: Hello pack');
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('warning: node pack "throwing-pack" IMPORT FAILED: missing dependency: libfoo');
    expect(result.stderr).toContain('already defined by pack "good-pack"');

    const listed = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'graph.js'), 'nodes', '--base-directory', base], { encoding: 'utf8' });
    expect(listed.stdout).toMatch(/seconds \(IMPORT FAILED\): .*throwing-pack \[0 nodes\]/);
    expect(listed.stdout).toMatch(/seconds: .*good-pack \[1 node\]/);
    expect(listed.stdout).toMatch(/^Greeting\s+test\s+Greeting\s+good-pack$/m);
  });
});

describe('node packs in the server', () => {
  it('starts despite broken packs, serves the good one, its templates and its web extensions', async () => {
    const base = makeBase();
    const server = await startServer({ port: 0, folders: { base }, log: () => {}, onError: () => {} });
    try {
      const reports = Object.fromEntries(server.packs.map((p) => [p.name, p]));
      expect(reports['throwing-pack']!.failure).toBe('missing dependency: libfoo');
      const info = (await (await fetch(`${server.url}/api/object_info/Greeting`)).json()) as Record<string, { python_module: string }>;
      expect(info.Greeting!.python_module).toBe('custom_nodes.good-pack');

      const queued = await fetch(`${server.url}/prompt`, {
        method: 'POST',
        body: JSON.stringify({ prompt: { '1': { class_type: 'Greeting', inputs: { name: 'server' } }, '2': { class_type: 'PreviewAny', inputs: { source: ['1', 0] } } } }),
      });
      expect(queued.status).toBe(200);
      const { prompt_id } = (await queued.json()) as { prompt_id: string };
      const entry = await server.runner.waitFor(prompt_id);
      expect(entry.outputs['2']).toEqual({ text: ['Hello server'] });

      expect(await (await fetch(`${server.url}/api/workflow_templates`)).json()).toEqual({ 'good-pack': ['greet'] });
      expect(await (await fetch(`${server.url}/api/workflow_templates/good-pack/greet.json`)).json()).toEqual({ '1': { class_type: 'Greeting', inputs: { name: 'x' } } });
      expect((await fetch(`${server.url}/api/workflow_templates/good-pack/nope.json`)).status).toBe(404);

      expect(await (await fetch(`${server.url}/api/extensions`)).json()).toEqual(['/extensions/web-pack/lib/util.js', '/extensions/web-pack/main.js']);
      const script = await fetch(`${server.url}/extensions/web-pack/main.js`);
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toContain('javascript');
      expect(await script.text()).toContain('hello from a pack');
      for (const escape of ['/extensions/web-pack/..%2F..%2Fpackage.json', '/extensions/web-pack/%2E%2E/index.js', '/extensions/good-pack/index.js']) {
        const status = (await fetch(server.url + escape)).status;
        expect(status >= 400 && status < 500, `${escape} gave ${status}`).toBe(true);
      }
    } finally {
      await server.close();
    }
  });
});
