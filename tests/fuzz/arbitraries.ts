// Shared fast-check generators for the fuzz suite: JSON values with the shapes that break servers
// (prototype names as keys, deep nesting, huge and odd numbers, path tricks), and mutations of
// real documents.
import fc from 'fast-check';

/** One seed for every property, so a failure replays exactly (fast-check prints the path too). */
export const SEED = 23;

/** Strings that have broken parsers, paths and lookups before. */
export const NASTY_STRINGS = [
  '',
  ' ',
  'constructor',
  '__proto__',
  'prototype',
  'toString',
  'hasOwnProperty',
  '..',
  '../..',
  '../../etc/passwd',
  '..\\..\\windows',
  '/etc/passwd',
  'C:\\x',
  '\\\\server\\share',
  'a\u0000b',
  '%2e%2e%2f',
  '%00',
  '\u202e',
  'é',
  '😀',
  'x'.repeat(5000),
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  '[object Object]',
  'null',
] as const;

export const nastyString = (): fc.Arbitrary<string> => fc.oneof(fc.constantFrom(...NASTY_STRINGS), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }));

const nastyNumber = (): fc.Arbitrary<number> =>
  fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, -1, 1e308, -1e308, 2 ** 53, 2 ** 63, Number.MAX_SAFE_INTEGER, 0.5, 1e-320));

/** A JSON value, its objects keyed by nasty strings too; at most `maxDepth` levels. */
export function nastyJson(maxDepth = 4): fc.Arbitrary<unknown> {
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth },
      fc.constant(null),
      fc.boolean(),
      nastyNumber(),
      nastyString(),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(nastyString(), tie('value'), { maxKeys: 4 }),
    ),
  }));
  return value;
}

/** JSON text with `inner` wrapped in `depth` lists (as text: JSON.stringify overflows first). */
export const deepText = (depth: number, inner = '1') => '['.repeat(depth) + inner + ']'.repeat(depth);

/** JSON text for a value: usually nastyJson, sometimes nested thousands of levels deep. */
export function jsonText(maxDepth = 4): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: nastyJson(maxDepth).map((value) => safeStringify(value)) },
    { weight: 1, arbitrary: fc.integer({ min: 200, max: 20_000 }).map((depth) => deepText(depth)) },
    { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '[', '{', '', 'nul', '"\\ud800"') },
  );
}

/** JSON.stringify, with -0 and non-finite numbers spelled as JSON can hold them. */
export function safeStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) ?? 'null';
}

type Path = (string | number)[];

/** Every path to a value inside `document` (objects and arrays), breadth first. */
export function pathsOf(document: unknown, limit = 5000): Path[] {
  const paths: Path[] = [];
  const queue: [unknown, Path][] = [[document, []]];
  while (queue.length > 0 && paths.length < limit) {
    const [value, path] = queue.shift()!;
    if (value === null || typeof value !== 'object') continue;
    for (const [key, child] of Object.entries(value)) {
      const next = [...path, Array.isArray(value) ? Number(key) : key];
      paths.push(next);
      queue.push([child, next]);
    }
  }
  return paths;
}

/** A copy of `document` with the value at each chosen path replaced (or deleted: undefined). */
export function mutate(document: unknown, paths: readonly Path[], changes: readonly [number, unknown][]): unknown {
  const copy = structuredClone(document);
  for (const [index, replacement] of changes) {
    const path = paths[index % paths.length];
    if (!path) continue;
    let parent: unknown = copy;
    for (const key of path.slice(0, -1)) parent = parent !== null && typeof parent === 'object' ? (parent as Record<string, unknown>)[key] : undefined;
    if (parent === null || typeof parent !== 'object') continue;
    const last = path.at(-1)!;
    if (replacement === undefined) delete (parent as Record<string, unknown>)[last];
    else Object.defineProperty(parent, last, { value: replacement, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** Mutations of a document with known paths: a few replaced or deleted values. */
export function mutations(paths: readonly Path[]): fc.Arbitrary<[number, unknown][]> {
  return fc.array(fc.tuple(fc.nat({ max: Math.max(0, paths.length - 1) }), fc.oneof(nastyJson(3), fc.constant(undefined))), { minLength: 1, maxLength: 4 });
}
