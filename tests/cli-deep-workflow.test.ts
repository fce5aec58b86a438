// A workflow file nested too deeply (issue 23, item 6): `graph run` and `graph convert` exit 2 with
// one line naming the file and the limit, not a RangeError stack.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../server/runtime/json-depth.ts';
import { REPO_ROOT } from './helpers/golden.ts';
import { tempDir } from './helpers/engine.ts';

describe('deeply nested workflow files', () => {
  const dir = tempDir();
  const api = join(dir, 'deep-api.json');
  writeFileSync(api, `{"1":{"class_type":"PrimitiveString","inputs":{"value":${'['.repeat(100_000)}1${']'.repeat(100_000)}}}}`);
  const ui = join(dir, 'deep-ui.json');
  writeFileSync(ui, `{"nodes":[],"links":[],"extra":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`);

  it.each([
    ['run', api, []],
    ['convert', ui, ['--to', 'api']],
  ])('graph %s %s: exit 2, one line', (command, file, flags) => {
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'graph.js'), command, file, ...flags], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toBe(`graph: ${file}: the workflow nests deeper than ${MAX_JSON_DEPTH} levels (the limit for JSON values)\n`);
    expect(result.status).toBe(2);
  });
});
