// How deeply JSON we take in may nest. V8 parses any depth, but JSON.stringify, structuredClone and
// every recursive walk overflow the stack somewhere past a few thousand levels, and an entry that
// cannot be stringified cannot be saved or served. So deep values are refused where they come in
// (request bodies, prompts, workflow files) with this limit, far above any real workflow's
// nesting (a UI workflow with subgraphs nests about 10 levels) and far below any stack limit.

export const MAX_JSON_DEPTH = 256;

/**
 * Whether `value` nests arrays and objects more than `limit` levels deep (`{}` is 1 level,
 * `{"a": []}` 2). Iterative, so any depth is safe to check; shared or cyclic objects are visited once.
 */
export function nestingDepthExceeds(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  const seen = new WeakSet<object>();
  const stack: [object, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (depth > limit) return true;
    if (seen.has(item)) continue;
    seen.add(item);
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** The error text for a value over the limit: `what nests deeper than 256 levels (the limit)`. */
export function tooDeepMessage(what: string, limit = MAX_JSON_DEPTH): string {
  return `${what} nests deeper than ${limit} levels (the limit for JSON values)`;
}
