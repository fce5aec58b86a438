// Golden fixtures live outside the repo, in ../shared/golden (never copied in). A clone without
// them skips those tests with a notice; CI sets FLASHGRAPH_REQUIRE_GOLDEN=1 so a missing folder
// fails instead of passing silently.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GOLDEN_ROOT = process.env.FLASHGRAPH_GOLDEN_DIR ?? resolve(REPO_ROOT, '..', 'shared', 'golden');

/** The golden folder of a component, or undefined (with a printed notice) when it is absent. */
export function goldenDir(component: string): string | undefined {
  const dir = join(GOLDEN_ROOT, component);
  if (existsSync(dir)) return dir;
  if (process.env.FLASHGRAPH_REQUIRE_GOLDEN === '1') {
    throw new Error(`golden fixtures required but missing: ${dir}`);
  }
  console.warn(`[golden] ${dir} not found: skipping ${component} golden tests`);
  return undefined;
}
