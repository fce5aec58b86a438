// Node packs: a folder with a package.json and an ES module entry exporting node definitions.
// Built-in packs (nodes/*) and third-party packs (custom_nodes/*) go through this same loader.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuplicateNodeError, schemaProblems, type NodeRegistry, type PackOrigin } from '../runtime/registry.ts';
import type { NodeDefinition } from '../runtime/schema.ts';

/** What a pack's entry module exports (named exports, or the same as its default export). */
export interface NodePackModule {
  nodes: NodeDefinition[];
  /** Folder (relative to the pack) of browser extensions served under /extensions/<pack>/. */
  webDirectory?: string;
}

export interface PackReport {
  name: string;
  path: string;
  builtin: boolean;
  /** ComfyUI's `python_module` value for the pack's nodes. */
  module: string;
  loadTimeMs: number;
  /** Classes registered from this pack. */
  nodes: string[];
  /** Set when the pack could not be loaded at all (ComfyUI's "IMPORT FAILED"). */
  failure?: string;
  /** Classes skipped because another pack already defines them. */
  conflicts: string[];
  webDirectory?: string;
  /** Example workflows (`examples/*.json` or `example_workflows/*.json`): name -> file. */
  examples: Record<string, string>;
}

export interface PackLoadOptions {
  /** Folder whose sub-folders are built-in packs (the repository's nodes/). */
  builtinDirectory?: string;
  /** Folder whose sub-folders are third-party packs. */
  customNodesDirectory?: string;
  /** ComfyUI's --disable-all-custom-nodes. */
  disableAllCustomNodes?: boolean;
  /** ComfyUI's --whitelist-custom-nodes: packs loaded even when all are disabled. */
  whitelist?: readonly string[];
}

export const BUILTIN_PACKS_DIRECTORY = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'nodes');

/** Loads every built-in pack, then every third-party pack; one failing pack never stops the rest. */
export async function loadPacks(registry: NodeRegistry, options: PackLoadOptions = {}): Promise<PackReport[]> {
  const reports: PackReport[] = [];
  const builtinDirectory = options.builtinDirectory ?? BUILTIN_PACKS_DIRECTORY;
  // The core pack comes first so that no other pack can take one of its class names.
  const builtins = packFolders(builtinDirectory).sort((a, b) => (basename(a) === 'core' ? -1 : basename(b) === 'core' ? 1 : a.localeCompare(b)));
  for (const dir of builtins) reports.push(await loadPack(registry, dir, true));
  if (options.customNodesDirectory) {
    const allowed = new Set(options.whitelist ?? []);
    for (const dir of packFolders(options.customNodesDirectory)) {
      if (options.disableAllCustomNodes && !allowed.has(basename(dir))) continue;
      reports.push(await loadPack(registry, dir, false));
    }
  }
  return reports;
}

function packFolders(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith('.') && !e.name.endsWith('.disabled'))
    .map((e) => join(root, e.name))
    .filter((dir) => statSync(dir).isDirectory() && existsSync(join(dir, 'package.json')))
    .sort();
}

export async function loadPack(registry: NodeRegistry, dir: string, builtin: boolean): Promise<PackReport> {
  const name = basename(dir);
  const origin: PackOrigin = { name, module: builtin && name === 'core' ? 'nodes' : `custom_nodes.${name}`, builtin };
  const report: PackReport = { name, path: dir, builtin, module: origin.module, loadTimeMs: 0, nodes: [], conflicts: [], examples: findExamples(dir) };
  const started = performance.now();
  try {
    const entry = packEntry(dir);
    const module = packModule(await import(pathToFileURL(entry).href));
    if (module.webDirectory !== undefined) report.webDirectory = resolve(dir, module.webDirectory);
    const { registered, conflicts } = registerPack(registry, origin, module.nodes);
    report.nodes = registered;
    report.conflicts = conflicts;
  } catch (error) {
    report.failure = error instanceof Error ? error.message : String(error);
  }
  report.loadTimeMs = performance.now() - started;
  return report;
}

/**
 * Registers a pack's definitions: any invalid schema fails the whole pack (nothing from it is
 * registered); a class another pack already has is skipped and reported, the first one wins.
 */
export function registerPack(
  registry: NodeRegistry,
  origin: PackOrigin,
  nodes: readonly NodeDefinition[],
): { registered: string[]; conflicts: string[] } {
  const problems = nodes.flatMap((def, i) => schemaProblems(def).map((p) => `${typeof def?.type === 'string' ? def.type : `nodes[${i}]`}: ${p}`));
  if (problems.length > 0) throw new Error(`invalid node schema: ${problems.join('; ')}`);
  const registered: string[] = [];
  const conflicts: string[] = [];
  for (const def of nodes) {
    try {
      registry.register(def, origin);
      registered.push(def.type);
    } catch (error) {
      if (!(error instanceof DuplicateNodeError)) throw error;
      conflicts.push(error.message);
    }
  }
  return { registered, conflicts };
}

function packEntry(dir: string): string {
  const manifestPath = join(dir, 'package.json');
  let manifest: { main?: unknown; exports?: unknown; flashgraph?: { entry?: unknown } };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    throw new Error(`package.json is not valid JSON: ${(error as Error).message}`);
  }
  const exported = typeof manifest.exports === 'string' ? manifest.exports : (manifest.exports as { '.'?: unknown } | undefined)?.['.'];
  const candidates = [manifest.flashgraph?.entry, exported, manifest.main, 'index.js', 'index.ts', 'index.mjs'].filter((c): c is string => typeof c === 'string');
  for (const candidate of candidates) {
    const path = resolve(dir, candidate);
    if (!path.startsWith(resolve(dir))) throw new Error(`entry ${JSON.stringify(candidate)} lies outside the pack folder`);
    if (existsSync(path) && statSync(path).isFile()) return path;
  }
  throw new Error(`no entry module found (tried ${candidates.join(', ')})`);
}

function packModule(imported: Record<string, unknown>): NodePackModule {
  const source = (Array.isArray(imported.nodes) ? imported : imported.default) as Partial<NodePackModule> | undefined;
  if (!source || !Array.isArray(source.nodes)) throw new Error('the entry module exports no `nodes` array');
  return { nodes: source.nodes, webDirectory: typeof source.webDirectory === 'string' ? source.webDirectory : undefined };
}

function findExamples(dir: string): Record<string, string> {
  const examples: Record<string, string> = {};
  for (const folder of ['example_workflows', 'examples']) {
    const path = join(dir, folder);
    if (!existsSync(path)) continue;
    for (const file of readdirSync(path).sort()) {
      if (file.endsWith('.json')) examples[file.slice(0, -5)] ??= join(path, file);
    }
  }
  return examples;
}

/** ComfyUI's start-up table of pack import times. */
export function formatImportTimes(reports: readonly PackReport[]): string {
  const lines = ['Import times for node packs:'];
  for (const r of [...reports].sort((a, b) => a.loadTimeMs - b.loadTimeMs)) {
    const seconds = (r.loadTimeMs / 1000).toFixed(1).padStart(6);
    const status = r.failure ? ' (IMPORT FAILED)' : '';
    lines.push(`${seconds} seconds${status}: ${r.path} [${r.nodes.length} node${r.nodes.length === 1 ? '' : 's'}]`);
  }
  for (const r of reports) {
    if (r.failure) lines.push(`IMPORT FAILED: pack "${r.name}": ${r.failure}`);
    for (const conflict of r.conflicts) lines.push(`warning: ${conflict}`);
  }
  return lines.join('\n');
}
