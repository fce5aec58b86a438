// Subgraph widget promotion (`properties.proxyWidgets` on a subgraph instance): a list of
// `[inner node id, widget name]` (a third element disambiguates nested sources; `"-1"` names one
// of the instance's own widget inputs). Frontends that store the promoted values on the instance
// save `widgets_values` in the order of that list, and those values win over the inner nodes'
// (the frontend's migration reads them the same way). Earlier frontends (≈1.28) saved only the
// instance's own input widgets there and kept promoted values in the inner nodes; such files are
// recognised (their list does not cover every widget input of the instance, or the lengths
// differ) and read as before.
import type { NodeModel, SubgraphModel } from './parse.ts';

export interface PromotedValues {
  /** Values for the instance's own widget inputs, by input name. */
  inputs: Map<string, unknown>;
  /** Values for inner nodes' widgets: node key -> widget name -> value. */
  widgets: Map<string, Map<string, unknown>>;
}

/** The entries of `properties.proxyWidgets` (an array, or that array as JSON text). */
export function proxyWidgetEntries(property: unknown): [string, string][] {
  let value = property;
  for (let i = 0; i < 2 && typeof value === 'string'; i++) {
    try {
      value = JSON.parse(value);
    } catch {
      return [];
    }
  }
  if (!Array.isArray(value)) return [];
  const entries: [string, string][] = [];
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length < 2) return [];
    const [node, widget] = entry;
    if ((typeof node !== 'string' && typeof node !== 'number') || typeof widget !== 'string') return [];
    entries.push([String(node), widget]);
  }
  return entries;
}

/**
 * The promoted values an instance holds, or undefined when its file keeps them in the inner nodes
 * (or it promotes nothing). `hasWidget(node, name)` says whether an inner node has that widget.
 */
export function promotedValues(instance: NodeModel, subgraph: SubgraphModel, hasWidget: (node: NodeModel, name: string) => boolean): PromotedValues | undefined {
  const entries = proxyWidgetEntries(instance.properties.proxyWidgets);
  const values = instance.widgetsValues;
  if (entries.length === 0 || !Array.isArray(values) || values.length !== entries.length) return undefined;
  const ownWidgets = instance.inputs.filter((i) => i.widget !== undefined).map((i) => i.widget!);
  const listed = new Set(entries.filter(([node]) => node === '-1').map(([, widget]) => widget));
  if (!ownWidgets.every((name) => listed.has(name))) return undefined;
  const result: PromotedValues = { inputs: new Map(), widgets: new Map() };
  for (const [i, [nodeId, name]] of entries.entries()) {
    if (nodeId === '-1') {
      result.inputs.set(name, values[i]);
      continue;
    }
    const node = subgraph.nodes.get(nodeId);
    if (!node) continue;
    // Older names carry the node id: "12: seed".
    const widget = hasWidget(node, name) ? name : name.replace(/^\s*\d+\s*:\s*/, '');
    if (!hasWidget(node, widget)) continue;
    const map = result.widgets.get(node.key) ?? new Map<string, unknown>();
    map.set(widget, values[i]);
    result.widgets.set(node.key, map);
  }
  return result;
}

