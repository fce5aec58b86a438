import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { comfyRegistry } from './comfy-nodes.ts';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

/** A fixture as freshly parsed JSON (each call a new object). */
export function fixture(name: string): any {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
}

export const registry = comfyRegistry();
export const objectInfo = registry.objectInfo();

/** A seeded PRNG (mulberry32), so random choices and fuzz cases are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
