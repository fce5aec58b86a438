// cg-use-everywhere ("Anything Everywhere" and its variants): a UE node broadcasts what feeds it to
// matching unconnected inputs elsewhere. Its matching rules (types, title/input/group regexes,
// group and colour restrictions, priorities, settings) live in the extension; but each time it
// analyses a graph it records the connections it chose in that graph's `extra.ue_links`
// ({downstream, downstream_slot, upstream, upstream_slot, controller, type}), and that list is what
// it turns into real links before queueing. So the saved list is applied here as it is, rather than
// the rules re-implemented. The UE nodes themselves are sinks with no outputs: they are left out.
import { WorkflowError } from './errors.ts';
import { isPlainObject, nodeKey, type GraphModel, type WorkflowModel } from './parse.ts';

/** The broadcasting UE node classes (pure sinks). "Seed Everywhere" is a real node and not among them. */
export const UE_TYPES = new Set(['Anything Everywhere', 'Anything Everywhere?', 'Anything Everywhere3', 'Prompts Everywhere']);

const MUTED = 2;
const BYPASS = 4;

/** The workflow with every graph's `extra.ue_links` added as links (the model itself when none apply). */
export function applyUseEverywhere(model: WorkflowModel): WorkflowModel {
  const graph = applyToGraph(model.graph, model.raw.extra, 'the workflow');
  let subgraphs = model.subgraphs;
  for (const def of subgraphDefinitions(model.raw.definitions)) {
    const sub = model.subgraphs.get(def.id);
    if (!sub) continue;
    const applied = applyToGraph(sub, def.extra, `subgraph ${def.id}`);
    if (applied === sub) continue;
    if (subgraphs === model.subgraphs) subgraphs = new Map(subgraphs);
    subgraphs.set(def.id, { ...sub, ...applied });
  }
  return graph === model.graph && subgraphs === model.subgraphs ? model : { ...model, graph, subgraphs };
}

function subgraphDefinitions(definitions: unknown, depth = 0): { id: string; extra: unknown }[] {
  if (!isPlainObject(definitions) || !Array.isArray(definitions.subgraphs) || depth > 16) return [];
  return definitions.subgraphs.flatMap((def) =>
    isPlainObject(def) && typeof def.id === 'string' ? [{ id: def.id, extra: def.extra }, ...subgraphDefinitions(def.definitions, depth + 1)] : [],
  );
}

function applyToGraph(graph: GraphModel, extra: unknown, where: string): GraphModel {
  const broadcasters = [...graph.nodes.values()].filter((n) => UE_TYPES.has(n.type) && n.mode !== MUTED && n.mode !== BYPASS);
  if (broadcasters.length === 0) return graph;
  const list = isPlainObject(extra) ? extra.ue_links : undefined;
  if (!Array.isArray(list)) {
    throw new WorkflowError(
      `${where}: ${broadcasters.map((n) => `#${n.key} ${n.type}`).join(', ')} broadcast${broadcasters.length === 1 ? 's' : ''} to inputs, but the file does not hold the connections cg-use-everywhere chose (extra.ue_links): save it again with the extension installed, or connect the nodes directly`,
    );
  }
  const nodes = new Map(graph.nodes);
  const links = new Map(graph.links);
  let nextId = Math.max(0, ...links.keys()) + 1;
  for (const entry of list) {
    if (!isPlainObject(entry)) continue;
    const target = nodeKey(entry.downstream);
    const origin = nodeKey(entry.upstream);
    const controller = nodeKey(entry.controller);
    const slot = entry.downstream_slot;
    const originSlot = entry.upstream_slot;
    if (target === undefined || origin === undefined || typeof slot !== 'number' || typeof originSlot !== 'number') continue;
    // A broadcast from a UE node that is gone, muted or bypassed no longer applies.
    const ue = controller === undefined ? undefined : nodes.get(controller);
    if (!ue || ue.mode === MUTED || ue.mode === BYPASS) continue;
    const node = nodes.get(target);
    const input = node?.inputs[slot];
    if (!node || !input || input.link !== null) continue;
    const id = nextId++;
    links.set(id, { id, originId: origin, originSlot, targetId: target, targetSlot: slot, type: entry.type });
    nodes.set(target, { ...node, inputs: node.inputs.map((i, at) => (at === slot ? { ...i, link: id } : i)) });
  }
  return { nodes, links };
}
