// Pure helpers for subgraphs in the editor (no litegraph, no DOM: unit-tested in tests/editor).
//
// Execution ids name a node in the flattened prompt: `<id>` at the root, and
// `<subgraph node id>:<inner id>` (nested: `a:b:c`) inside subgraphs, as ComfyUI's frontend and
// the server's UI->API conversion write them. These helpers find the canvas nodes such an id
// stands for, seeing graphs only through the small interface below.
import type { UiSubgraphDefinition, UiWorkflow } from '../../types/workflow.ts';

/** What the resolver needs of a graph: its nodes by id. */
export interface NodeLookup<N> {
  getNodeById(id: string | number): N | null | undefined;
}

/** The parts of an execution id: `"5:2"` -> `["5", "2"]`. */
export function executionPath(id: string | number): string[] {
  return String(id)
    .split(':')
    .map((part) => part.trim());
}

/**
 * The nodes an execution id passes through, outermost first: for `"5:2"` the subgraph node 5 on
 * the root graph, then node 2 inside its subgraph. `undefined` when any step is missing, or a step
 * before the last is not a subgraph node.
 */
export function resolveExecutionId<N>(root: NodeLookup<N>, id: string | number, innerGraphOf: (node: N) => NodeLookup<N> | undefined): N[] | undefined {
  const parts = executionPath(id);
  if (parts.some((part) => part === '')) return undefined;
  const chain: N[] = [];
  let graph: NodeLookup<N> | undefined = root;
  for (const [i, part] of parts.entries()) {
    if (!graph) return undefined;
    const node: N | null | undefined = graph.getNodeById(numericOr(part)) ?? graph.getNodeById(part);
    if (node === null || node === undefined) return undefined;
    chain.push(node);
    graph = i < parts.length - 1 ? innerGraphOf(node) : undefined;
  }
  return chain;
}

/**
 * The node a control-after-generate change names: root nodes by their id, subgraph nodes as
 * `<subgraph definition id>/<node id>` (server/workflow/control.ts).
 */
export function controlTarget(node: string): { subgraph?: string; node: string } {
  const slash = node.lastIndexOf('/');
  return slash < 0 ? { node } : { subgraph: node.slice(0, slash), node: node.slice(slash + 1) };
}

function numericOr(part: string): string | number {
  return /^-?\d+$/.test(part) ? Number(part) : part;
}

/** Every subgraph definition a file holds (nested `definitions` included). */
export function subgraphDefinitions(workflow: Pick<UiWorkflow, 'definitions'>): UiSubgraphDefinition[] {
  const found: UiSubgraphDefinition[] = [];
  const visit = (definitions: { subgraphs?: UiSubgraphDefinition[] } | undefined, depth: number) => {
    if (depth > 16 || !Array.isArray(definitions?.subgraphs)) return;
    for (const def of definitions.subgraphs) {
      found.push(def);
      visit(def.definitions, depth + 1);
    }
  };
  visit(workflow.definitions, 0);
  return found;
}

/** Node types a file uses that this editor cannot create: neither a server class, a subgraph of the file, nor frontend-only. */
export function missingNodeTypes(workflow: UiWorkflow, known: (type: string) => boolean): string[] {
  const definitions = subgraphDefinitions(workflow);
  const subgraphIds = new Set(definitions.map((def) => def.id));
  const types = [...workflow.nodes, ...definitions.flatMap((def) => (Array.isArray(def.nodes) ? def.nodes : []))].map((node) => String(node.type));
  return [...new Set(types.filter((type) => !subgraphIds.has(type) && !known(type)))];
}

/** The instance path an execution id's node sits under: `"5:3:2"` -> `"5:3"`, `"7"` -> `""` (the root). */
export function parentPath(id: string | number): string {
  return executionPath(id).slice(0, -1).join(':');
}

/** The execution id of an inner node seen through an instance path (`[]` at the root). */
export function executionIdOf(instancePath: readonly (string | number)[], innerId: string | number): string {
  return [...instancePath, innerId].map(String).join(':');
}

/**
 * What a subgraph opened through `instancePath` shows: the entries of `byPath` (kept per
 * execution id) for the nodes directly inside that instance, by inner node id. Another instance
 * of the same definition, or a nested one, has its own ids and is left out.
 */
export function entriesForInstance<T>(byPath: ReadonlyMap<string, T>, instancePath: readonly (string | number)[]): Map<string, T> {
  const prefix = instancePath.map(String).join(':');
  const found = new Map<string, T>();
  for (const [id, value] of byPath) {
    const parts = executionPath(id);
    if (parts.length === instancePath.length + 1 && parentPath(id) === prefix) found.set(parts.at(-1)!, value);
  }
  return found;
}

/** Whether any entry of `byPath` lies inside the instance at `instancePath` (at any depth): its subgraph node shows the mark. */
export function anyInside(byPath: ReadonlyMap<string, unknown>, instancePath: readonly (string | number)[]): boolean {
  const prefix = `${instancePath.map(String).join(':')}:`;
  for (const id of byPath.keys()) if (id.startsWith(prefix)) return true;
  return false;
}
