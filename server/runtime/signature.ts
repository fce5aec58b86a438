import { createHash } from 'node:crypto';
import { isLink, type ApiPrompt } from '../../types/api.ts';
import type { NodeDefinition } from './schema.ts';

let neverEqualCounter = 0;

/**
 * The fingerprint a node's isChanged hook returned, made comparable across runs. NaN (and a
 * throwing hook) must never equal anything, so it becomes a token that is unique per call.
 */
export function fingerprintToken(value: unknown): string {
  if (typeof value === 'number' && Number.isNaN(value)) return `never-equal:${++neverEqualCounter}`;
  if (value === undefined) return '';
  if (typeof value === 'bigint') return `bigint:${value}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return `never-equal:${++neverEqualCounter}`;
  }
}

/**
 * Cache keys by structure, not by node id: a node's key covers its class, its fingerprint and its
 * literal inputs, plus the keys of the nodes feeding it (a Merkle hash). Two identical nodes share a
 * key, and a changed widget changes the keys of exactly that node and its descendants.
 * `order` must list every node before the nodes it feeds.
 */
export function computeSignatures(
  prompt: ApiPrompt,
  order: readonly string[],
  definitions: ReadonlyMap<string, NodeDefinition>,
  fingerprints: ReadonlyMap<string, string>,
  /** Signatures already known (nodes outside `order` that it links to). */
  known: ReadonlyMap<string, string> = new Map(),
  /** Separates the keys of nodes added by an expansion from any other node's. */
  namespace = '',
): Map<string, string> {
  const signatures = new Map<string, string>(known);
  for (const id of order) {
    const node = prompt[id]!;
    const def = definitions.get(id)!;
    const hash = createHash('sha1');
    hash.update(namespace).update('\0').update(node.class_type).update('\0').update(fingerprints.get(id) ?? '').update('\0');
    const usesNodeId = def.notIdempotent === true || Object.values(def.inputs?.hidden ?? {}).includes('UNIQUE_ID');
    if (usesNodeId) hash.update(`id:${id}`);
    for (const name of Object.keys(node.inputs).sort()) {
      const value = node.inputs[name];
      hash.update('\0').update(name).update('=');
      if (isLink(value)) {
        hash.update(`link:${signatures.get(value[0]) ?? `missing:${value[0]}`}:${value[1]}`);
      } else {
        hash.update(`lit:${stableJson(value)}`);
      }
    }
    signatures.set(id, hash.digest('base64'));
  }
  return signatures;
}

/** JSON with object keys sorted, so equal literals give equal keys whatever their key order. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return `num:${value}`;
    return JSON.stringify(value) ?? 'undefined';
  }
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}
