// The node classes the server offers, as the node library and the search dialog list them: a
// display name, a category path, the pack a class comes from, and the types of its sockets.
// DOM-free, so the root typecheck and unit tests reach it.
import type { NodeInfo, ObjectInfo } from '../../types/api.ts';

export interface CatalogEntry {
  name: string;
  display: string;
  category: string;
  description: string;
  /** Where the class comes from: "Comfy Core" or the pack's short name (ComfyUI's node badge). */
  pack: string;
  /** Input types in order (a list-valued combo is COMBO); widget inputs are sockets too. */
  inputs: string[];
  outputs: string[];
  deprecated: boolean;
}

export interface SearchFilter {
  /** Only classes with an input that accepts this type. */
  inputType?: string;
  /** Only classes with an output of this type. */
  outputType?: string;
}

/**
 * ComfyUI's node source of a `python_module`: the built-in modules are "Comfy Core", a custom node
 * pack (`custom_nodes.<name>[@version]`) is its name without the usual ComfyUI prefix or suffix.
 * Follows ComfyUI_frontend v1.27.10 src/types/nodeSource.ts.
 */
export function packOf(pythonModule: string | undefined): string {
  if (!pythonModule) return 'Unknown';
  const [root, second] = pythonModule.split('.');
  if (root === 'nodes' || root === 'comfy_extras' || root === 'comfy_api_nodes') return 'Comfy Core';
  if (root === 'custom_nodes' && second) {
    return second
      .split('@')[0]!
      .replace(/^(ComfyUI-|ComfyUI_|Comfy-|Comfy_)/, '')
      .replace(/(-ComfyUI|_ComfyUI|-Comfy|_Comfy)$/, '');
  }
  return 'Unknown';
}

function entryOf(name: string, info: NodeInfo): CatalogEntry {
  const inputs: string[] = [];
  for (const group of [info.input.required, info.input.optional ?? {}]) {
    for (const spec of Object.values(group)) inputs.push(Array.isArray(spec[0]) ? 'COMBO' : String(spec[0]));
  }
  return {
    name,
    display: info.display_name || name,
    category: info.category || 'uncategorized',
    description: info.description ?? '',
    pack: packOf(info.python_module),
    inputs,
    outputs: info.output.map((output) => (Array.isArray(output) ? 'COMBO' : output)),
    deprecated: Boolean(info.deprecated),
  };
}

/**
 * Whether a value of type `from` may go into a socket of type `to`: litegraph's rule, which
 * ComfyUI keeps: `*` or an empty type takes anything, and `A,B` lists alternatives.
 */
export function typesMatch(from: string, to: string): boolean {
  if (from === '*' || to === '*' || from === '' || to === '') return true;
  const a = from.toUpperCase().split(',');
  const b = to.toUpperCase().split(',');
  return a.some((type) => b.includes(type));
}

export class NodeCatalog {
  readonly entries: CatalogEntry[];
  private readonly byName: Map<string, CatalogEntry>;

  constructor(objectInfo: ObjectInfo) {
    this.entries = Object.entries(objectInfo).map(([name, info]) => entryOf(name, info));
    this.byName = new Map(this.entries.map((entry) => [entry.name, entry]));
  }

  get(name: string): CatalogEntry | undefined {
    return this.byName.get(name);
  }

  /** Every socket type some class has, sorted: the choices of the search dialog's type filters. */
  types(direction: 'input' | 'output'): string[] {
    const types = new Set(this.entries.flatMap((entry) => (direction === 'input' ? entry.inputs : entry.outputs)));
    return [...types].filter((type) => type !== '*').sort();
  }

  /** The index of the first input of `entry` a `type` value can go into, or -1. */
  static inputFor(entry: CatalogEntry, type: string): number {
    return entry.inputs.findIndex((input) => typesMatch(type, input));
  }

  /** The index of the first output of `entry` that can go into a socket of `type`, or -1. */
  static outputFor(entry: CatalogEntry, type: string): number {
    return entry.outputs.findIndex((output) => typesMatch(output, type));
  }

  /**
   * Classes whose name, display name, category or pack contain every word of the query, best
   * first: exact names, then names starting with the query, then names containing it, then the
   * rest; deprecated classes last. The type filters keep classes that can take or give the type.
   */
  search(query: string, filter: SearchFilter = {}, limit = 60): CatalogEntry[] {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const phrase = words.join(' ');
    const scored: [number, CatalogEntry][] = [];
    for (const entry of this.entries) {
      if (filter.inputType && NodeCatalog.inputFor(entry, filter.inputType) < 0) continue;
      if (filter.outputType && NodeCatalog.outputFor(entry, filter.outputType) < 0) continue;
      const name = entry.name.toLowerCase();
      const display = entry.display.toLowerCase();
      const haystack = `${name} ${display} ${entry.category.toLowerCase()} ${entry.pack.toLowerCase()}`;
      if (!words.every((word) => haystack.includes(word))) continue;
      let score = 3;
      if (phrase === '') score = 0;
      else if (display === phrase || name === phrase) score = 0;
      else if (display.startsWith(phrase) || name.startsWith(phrase)) score = 1;
      else if (display.includes(phrase) || name.includes(phrase)) score = 2;
      scored.push([score + (entry.deprecated ? 10 : 0), entry]);
    }
    return scored
      .sort((a, b) => a[0] - b[0] || a[1].display.localeCompare(b[1].display))
      .slice(0, limit)
      .map(([, entry]) => entry);
  }

  /** The classes as a category tree (`image/transform` nests `transform` in `image`), names sorted. */
  tree(entries: CatalogEntry[] = this.entries): CategoryNode {
    const root: CategoryNode = { name: '', path: '', children: [], nodes: [] };
    for (const entry of entries) {
      let at = root;
      for (const part of entry.category.split('/').filter(Boolean)) {
        let child = at.children.find((c) => c.name === part);
        if (!child) {
          child = { name: part, path: at.path ? `${at.path}/${part}` : part, children: [], nodes: [] };
          at.children.push(child);
        }
        at = child;
      }
      at.nodes.push(entry);
    }
    const sort = (node: CategoryNode) => {
      node.children.sort((a, b) => a.name.localeCompare(b.name));
      node.nodes.sort((a, b) => a.display.localeCompare(b.display));
      node.children.forEach(sort);
    };
    sort(root);
    return root;
  }
}

export interface CategoryNode {
  name: string;
  path: string;
  children: CategoryNode[];
  nodes: CatalogEntry[];
}

const catalogs = new WeakMap<ObjectInfo, NodeCatalog>();

/** One catalog per /object_info answer. */
export function catalogOf(objectInfo: ObjectInfo): NodeCatalog {
  let catalog = catalogs.get(objectInfo);
  if (!catalog) catalogs.set(objectInfo, (catalog = new NodeCatalog(objectInfo)));
  return catalog;
}
