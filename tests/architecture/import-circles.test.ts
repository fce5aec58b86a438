// No import circles in the code that ships: server/, nodes/, types/ and client/src. A fast static
// check of the import statements (see tests/helpers/import-graph.ts for what counts).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/golden.ts';
import { describeCircles, importCircles, importGraph, sourceFiles } from '../helpers/import-graph.ts';

const LAYERS = ['server', 'nodes', 'types', 'client/src'];

describe('import circles', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'fg-circles-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('server/, nodes/, types/ and client/src import in one direction only', () => {
    const files = LAYERS.flatMap((layer) => sourceFiles(join(REPO_ROOT, layer)));
    expect(files.length).toBeGreaterThan(100);
    const graph = importGraph(files);
    // The scanner sees the real edges (a known one, so an empty graph cannot pass).
    expect(graph.get(join(REPO_ROOT, 'server/runtime/runner.ts'))).toContain(join(REPO_ROOT, 'server/runtime/prompt-service.ts'));
    const circles = importCircles(graph);
    expect(circles, `import circles:\n${describeCircles(circles, REPO_ROOT)}`).toEqual([]);
  });

  it('finds a circle of type-only, re-export and multi-line imports, and none in a chain', () => {
    mkdirSync(join(scratch, 'sub'));
    writeFileSync(join(scratch, 'a.ts'), "import type {\n  B,\n} from './sub/b.ts';\nexport const a = 1;\n");
    writeFileSync(join(scratch, 'sub/b.ts'), "export { c } from '../c.js';\nexport type B = number;\n");
    writeFileSync(join(scratch, 'c.ts'), "import '/abs/ignored';\nimport { a } from './a';\nexport const c = a;\n");
    writeFileSync(join(scratch, 'd.ts'), "import { c } from './c.ts';\nconst later = () => import('./e.ts');\nexport const d = [c, later];\n");
    writeFileSync(join(scratch, 'e.ts'), "import { d } from './d.ts';\nexport const e = d;\n");
    const circles = importCircles(importGraph(sourceFiles(scratch)));
    expect(describeCircles(circles, scratch)).toBe(['a.ts', 'c.ts', 'sub/b.ts'].join(' <-> '));
  });
});
