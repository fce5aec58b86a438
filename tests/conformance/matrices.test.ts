// The two table-driven unit matrices of spec §7's unit-test paragraph: ComfyUI's link type rule
// (validate_node_input) and the /view path traversal matrix (through the real server).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import { typesCompatible } from '../../server/runtime/schema.ts';
import { startConformanceServer } from './client.ts';

describe('type compatibility matrix (validate_node_input)', () => {
  it.each([
    // exact
    ['STRING', 'STRING', false, true],
    ['STRING,INT', 'STRING,INT', false, true],
    // order-insensitive
    ['INT,STRING', 'STRING,INT', false, true],
    // non-strict: any overlap
    ['STRING,BOOLEAN', 'STRING,INT', false, true],
    ['STRING,INT', 'INT,BOOLEAN', false, true],
    ['STRING', 'STRING,INT', false, true],
    ['STRING,INT,BOOLEAN', 'STRING', false, true],
    ['BOOLEAN', 'STRING,INT', false, false],
    ['FLOAT', 'STRING,INT', false, false],
    ['FLOAT,BOOLEAN', 'STRING,INT', false, false],
    // strict: every received type accepted
    ['STRING', 'STRING,INT', true, true],
    ['INT', 'STRING,INT', true, true],
    ['STRING,INT', 'STRING,INT,BOOLEAN', true, true],
    ['STRING,INT', 'STRING', true, false],
    ['STRING,BOOLEAN', 'STRING', true, false],
    ['INT,BOOLEAN', 'STRING,INT', true, false],
    ['STRING,INT,BOOLEAN', 'STRING', true, false],
    // whitespace around union members
    ['STRING, INT', 'STRING,INT', false, true],
    ['STRING,INT', 'STRING, INT', false, true],
    [' STRING , INT ', 'STRING,INT', false, true],
    ['STRING,INT', ' STRING , INT ', false, true],
    [' STRING , INT ', 'STRING,INT', true, true],
    // empty strings
    ['', '', false, true],
    ['STRING', '', false, false],
    ['', 'STRING', false, false],
    // the wildcard
    ['*', 'IMAGE', false, true],
    ['IMAGE', '*', false, true],
    ['*', 'IMAGE,FLOAT', true, true],
    ['INT', 'IMAGE,FLOAT', false, false],
    ['FLOAT', 'IMAGE,FLOAT', true, true],
  ] as const)('type rule: %j into %j (strict %s) -> %s', (received, input, strict, expected) => {
    expect(typesCompatible(received, input, strict)).toBe(expected);
  });
});

describe('/view path traversal matrix', () => {
  let server: RunningServer;
  const allowed = ['test..png', '..secret', 'my..file..name.png'];
  beforeAll(async () => {
    server = await startConformanceServer({ kind: 'classic' });
    const output = server.storage.directory('output');
    mkdirSync(output, { recursive: true });
    for (const name of allowed) writeFileSync(join(output, name), `contents of ${name}`);
  });
  afterAll(() => server?.close());

  const view = (filename: string) => fetch(`${server.url}/view?${new URLSearchParams({ filename, type: 'output' })}`);

  it.each(allowed)('view: %j (dots inside a name) is served', async (filename) => {
    const res = await view(filename);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`contents of ${filename}`);
  });

  it.each(['../x', 'a/../x', '/etc/passwd', '..', '..\\x', 'a\\..\\x', '\\etc\\passwd', 'C:/..', 'C:x', 'C:\\Windows\\win.ini', '\\\\server\\share\\x', '//server/share/x'])(
    'view: %j is refused with 400',
    async (filename) => {
      const res = await view(filename);
      expect(res.status).toBe(400);
    },
  );
});
