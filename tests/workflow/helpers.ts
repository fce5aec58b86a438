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

export { prng } from '../helpers/prng.ts';
