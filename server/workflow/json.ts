// Copying values out of an untrusted file safely: bounded depth (a deeply nested value would
// otherwise overflow the stack later, in JSON.stringify), and keys set as own data properties so a
// key named "__proto__" stays a key instead of replacing an object's prototype.
import { WorkflowError } from './errors.ts';

export const MAX_VALUE_DEPTH = 64;

/** Sets `key` as an own enumerable property, whatever its name. */
export function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy of a JSON value; throws a WorkflowError naming `where` when nested too deeply. */
export function cloneJson(value: unknown, where: string, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_VALUE_DEPTH) throw new WorkflowError(`${where} is nested more than ${MAX_VALUE_DEPTH} levels deep`);
  if (Array.isArray(value)) return value.map((item) => cloneJson(item, where, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) put(copy, key, cloneJson(item, where, depth + 1));
  return copy;
}
