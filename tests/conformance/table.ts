// Generates CONFORMANCE.md: every conformance test with its file and line, grouped by the
// behaviour of spec §7 it covers. `npm run conformance:table` rewrites the file; table.test.ts
// fails when the file no longer matches the tests.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(HERE, '..', '..');
export const CONFORMANCE_FILE = join(REPO_ROOT, 'CONFORMANCE.md');

/** Spec §7 items 1-24, in short. */
const BEHAVIOURS: Record<number, string> = {
  1: 'Lazy mix with mask 0 runs image1\'s source and the mask, not image2\'s source',
  2: 'Re-running an identical graph executes no node',
  3: 'Changing one literal re-runs only affected nodes',
  4: 'Runtime exception: `execution_error` with `prompt_id`; next prompt works',
  5: 'Custom validator receives raw literals (int and string rejected, float accepted)',
  6: 'INT or MASK link into an `IMAGE,FLOAT` input: 400',
  7: 'Validator taking `input_types` replaces the link type check',
  8: 'Union validator with subset semantics: INT link 400, FLOAT link 200',
  9: 'Validator naming the input keeps the link type check',
  10: '`**kwargs` validator disables min/max; its own message rejects',
  11: 'Graph missing a required input (the "cycle" test): 400',
  12: 'Cycle created by node expansion: `execution_error` on the expanding node',
  13: 'Output linked to a removed node is dropped; the valid output runs; re-adding works',
  14: 'IS_CHANGED constant stays cached; NaN re-runs every time',
  15: 'Undeclared linked inputs reach the node (variadic average)',
  16: 'For loop by expansion iterates N times; always-changed node re-runs',
  17: 'Mixed expansion returns over a 3-element list',
  18: 'Lazy node inside list mapping, after rebatching',
  19: 'Two save nodes on one source each report one image',
  20: 'IS_CHANGED sees only literals; second run cached',
  21: 'Async sleeps run in parallel, also inside an expansion',
  22: 'ExecutionBlocker inside a list blocks only that element',
  23: '`partial_execution_targets`',
  24: 'History pagination',
};

/** Where a test cannot hold literally in JS, or differs from ComfyUI's, and why. */
const NOTES: Record<string, string> = {
  '7.5':
    'JSON has one number type: `5` and `5.0` both parse to 5, so no JS server can tell them apart. The validator counts integral numbers as ints; the accepted float literal is 0.5 (a literal `5.0` is rejected here, accepted by ComfyUI).',
  '7.7': 'Literals for `input2` are non-integral (0.1) for the same JSON reason as 7.5.',
  '7.8': "ComfyUI's VariantSupport decorator is emulated: `validatesLinkTypes` plus `typesCompatible(received, declared, strict = true)`.",
  '7.16':
    'The loop nodes use `rawLink` inputs, the `DYNPROMPT` live graph and `ctx.expansionPrefix` (engine additions); ForLoopOpen\'s `initial_value0` is an optional input (ComfyUI declares it hidden, which FlashGraph\'s hidden kinds cannot express).',
  '7.21': 'Sleeps are 0.3-0.5 s instead of 3 s; the bound is 1 s (sum 1.2 s).',
  '7.24': "The jobs API assertions of ComfyUI's file are not part of §7.24 and are not covered.",
};

const POLICIES: Record<string, string> = {
  'execution.test.ts': 'classic, lru 100, none',
  'async.test.ts': 'classic, lru 100',
  'isolation.test.ts': 'classic',
  'matrices.test.ts': 'classic (unit for the type rule)',
  'table.test.ts': '-',
};

export interface FoundTest {
  file: string;
  line: number;
  name: string;
}

/** Every `it(...)` / `it.each(...)(...)` name in the conformance test files, with its line. */
export function findTests(directory = HERE): FoundTest[] {
  const found: FoundTest[] = [];
  for (const file of readdirSync(directory).filter((f) => f.endsWith('.test.ts')).sort()) {
    const source = readFileSync(join(directory, file), 'utf8');
    for (const match of source.matchAll(/\bit(\.each)?\(/g)) {
      let at = match.index + match[0].length;
      if (match[1]) {
        at = skipBalanced(source, at - 1);
        if (source[at] !== '(') continue;
        at++;
      }
      const name = stringLiteralAt(source, at);
      if (name === undefined) continue;
      found.push({ file: relative(REPO_ROOT, join(directory, file)), line: source.slice(0, match.index).split('\n').length, name });
    }
  }
  return found;
}

/** Index just after the bracket group opening at `open`, skipping strings and comments. */
function skipBalanced(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i]!;
    if (c === "'" || c === '"' || c === '`') {
      i = endOfString(source, i);
      continue;
    }
    if (c === '/' && source[i + 1] === '/') {
      i = source.indexOf('\n', i);
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return source.length;
}

function endOfString(source: string, start: number): number {
  const quote = source[start];
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === quote) return i;
  }
  return source.length;
}

function stringLiteralAt(source: string, at: number): string | undefined {
  let i = at;
  while (/\s/.test(source[i] ?? '')) i++;
  const quote = source[i];
  if (quote !== "'" && quote !== '"' && quote !== '`') return undefined;
  const end = endOfString(source, i);
  return source.slice(i + 1, end).replace(/\\(.)/g, '$1');
}

const cell = (text: string) => text.replaceAll('|', '\\|');

export function renderConformance(tests: FoundTest[] = findTests()): string {
  const byItem = new Map<number, FoundTest[]>();
  const others: FoundTest[] = [];
  for (const test of tests) {
    const item = /^7\.(\d+) /.exec(test.name);
    if (item) byItem.set(Number(item[1]), [...(byItem.get(Number(item[1])) ?? []), test]);
    else others.push(test);
  }
  const policies = (test: FoundTest) => POLICIES[test.file.split('/').pop()!] ?? '';
  const where = (test: FoundTest) => `[${test.file}:${test.line}](${test.file}#L${test.line})`;
  const lines = [
    '# ComfyUI execution conformance',
    '',
    'Generated by `npm run conformance:table` from `tests/conformance/*.test.ts` (a test checks that this file is current).',
    'Each test drives a real server over HTTP and `/ws` the way ComfyUI\'s `tests/execution` client does, with the',
    'testing pack in `tests/nodes/testing-pack` (images are 8x8 instead of 512x512: the tests check pixel values).',
    '',
    '## Spec §7, items 1-24 (`tests/execution/test_execution.py`)',
    '',
    '| § | behaviour | test | where | caches | notes |',
    '|---|---|---|---|---|---|',
  ];
  for (let item = 1; item <= 24; item++) {
    const found = byItem.get(item) ?? [];
    if (found.length === 0) {
      lines.push(`| 7.${item} | ${cell(BEHAVIOURS[item]!)} | **no test** | | | |`);
      continue;
    }
    for (const test of found) {
      lines.push(`| 7.${item} | ${cell(BEHAVIOURS[item]!)} | ${cell(test.name)} | ${where(test)} | ${policies(test)} | ${cell(NOTES[`7.${item}`] ?? '')} |`);
    }
  }
  lines.push('', '## Async nodes, progress isolation, unit matrices', '', '| list | test | where | caches |', '|---|---|---|---|');
  for (const test of others) {
    const list = test.name.startsWith('async:')
      ? 'async (`test_async_nodes.py`)'
      : test.name.startsWith('progress:')
        ? 'progress isolation (`test_progress_isolation.py`)'
        : test.name.startsWith('type rule')
          ? 'type-compatibility matrix (`validate_node_input`)'
          : test.name.startsWith('view:')
            ? '`/view` traversal matrix'
            : test.name.startsWith('table:')
              ? 'this file'
              : 'other';
    lines.push(`| ${list} | ${cell(test.name)} | ${where(test)} | ${policies(test)} |`);
  }
  lines.push(
    '',
    '## Engine changes this suite needed',
    '',
    '- Node expansions ran their children while the expanding node still held the exclusive lock: any expansion with a',
    '  non-`concurrent` child deadlocked (7.12, 7.16, 7.17, 7.21). Only the node\'s own calls hold the lock now.',
    '- Dependency cycles made by expansions (7.12) are detected at run time (waits among expansion-made nodes are',
    '  tracked) and blamed on the expanding node, as ComfyUI does, instead of hanging.',
    '- `rawLink` inputs, the `DYNPROMPT` hidden input (the live graph) and `ctx.expansionPrefix` (unique expansion ids',
    '  per node call, like ComfyUI\'s GraphBuilder prefix) for the loop nodes (7.16, 7.17).',
    '- Literals into socket types: passed raw when the node\'s validator checks that input (7.5), converted when the',
    '  union names a primitive type (`IMAGE,FLOAT` takes a FLOAT literal; 7.6-7.9).',
    '- A failing validator that names no input (`validatedInputs: []`) was silently ignored; it fails the node now (7.8).',
    '- `typesCompatible(received, accepted, strict)`: ComfyUI\'s strict (subset) mode.',
    '',
  );
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(CONFORMANCE_FILE, renderConformance());
  process.stdout.write(`wrote ${relative(process.cwd(), CONFORMANCE_FILE)}\n`);
}
