// Legacy group nodes (ComfyUI frontend before subgraphs): a node of type `workflow>Name` (older
// files: `workflow/Name`) stands for the nodes stored in `extra.groupNodes[Name]` ({nodes, links,
// external, config?}). Before queueing, the frontend replaces each instance by its inner nodes,
// with ids `<instance id>:<inner index>`. Here the instance is expanded into those nodes in the
// root graph before conversion, so links, reroutes, primitives and bypassing work as elsewhere.
//
// What the frontend builds from a definition, and what this mirrors:
// - the group's widgets: for each inner node in order, its widgets (a seed's control value after
//   it), then, after all nodes, the widgets that were converted to inputs on the inner nodes and
//   are not fed from inside the group; an internally linked PrimitiveNode adds one widget
//   ("value", with a control value) whose value goes to the widgets it feeds;
// - the group's inputs: each inner node's unlinked (non-widget) inputs, in order, then the
//   unlinked converted widgets;
// - the group's outputs: each inner output not linked inside the group, or listed in `external`
//   (or shown by `config`).
import type { ObjectInfo } from '../../types/api.ts';
import type { UiNode } from '../../types/workflow.ts';
import { WorkflowError } from './errors.ts';
import { isPlainObject, type GraphModel, type InputModel, type LinkModel, type NodeModel, type WorkflowModel } from './parse.ts';
import { mapWidgetValues, orderedInputs, widgetSlots, type WidgetSlot } from './widgets.ts';

const MAX_GROUP_NESTING = 8;

/** The group name of a legacy group node type, or undefined for any other type. */
export function groupNodeName(type: string): string | undefined {
  if (type.startsWith('workflow>')) return type.slice('workflow>'.length);
  if (type.startsWith('workflow/')) return type.slice('workflow/'.length);
  return undefined;
}

interface GroupDefinition {
  name: string;
  nodes: Record<string, unknown>[];
  /** [origin index, origin slot, target index, target slot, ...] */
  links: [number, number, number, number][];
  /** "inner index/output slot" of the outputs the group exposes although linked inside. */
  external: Set<string>;
  config: Record<string, unknown>;
}

type ValueSlot = Extract<WidgetSlot, { kind: 'value' }>;

/** One widget of the group node: which inner node's widget it sets. */
interface GroupWidget {
  inner: number;
  /** The inner widget's name (a PrimitiveNode's: "value"). */
  widget: string;
  /** The name the group node shows (unique within the group). */
  name: string;
}

/** What the frontend derives from a group definition (GroupNodeConfig). */
interface GroupLayout {
  /** The group's widget positions, for mapping its `widgets_values`. */
  slots: WidgetSlot[];
  widgets: GroupWidget[];
  /** The group's inputs in order: inner node and slot index in that node's `inputs`. */
  inputs: { inner: number; slot: number; name: string; widget?: string }[];
  /** The group's outputs in order. */
  outputs: { inner: number; slot: number }[];
}

/**
 * The workflow with every legacy group node of its root graph replaced by its inner nodes (the
 * model itself when it has none). Muted or bypassed group nodes stay as they are: the converter
 * leaves them out, or passes their inputs through, like any other node.
 */
export function expandGroupNodes(model: WorkflowModel, objectInfo: ObjectInfo): WorkflowModel {
  let graph = model.graph;
  for (let round = 0; round <= MAX_GROUP_NESTING; round++) {
    const instances = [...graph.nodes.values()].filter((n) => groupNodeName(n.type) !== undefined && n.mode !== 2 && n.mode !== 4);
    if (instances.length === 0) return graph === model.graph ? model : { ...model, graph };
    graph = { nodes: new Map(graph.nodes), links: new Map(graph.links) };
    const nextLinkId = { value: Math.max(0, ...graph.links.keys()) + 1 };
    const definitions: Definitions = (type) => {
      const name = groupNodeName(type);
      const groups = isPlainObject(model.raw.extra) ? model.raw.extra.groupNodes : undefined;
      if (name === undefined || !isPlainObject(groups) || !Object.hasOwn(groups, name)) return undefined;
      return definition(model, { key: `(inside a group) ${type}`, type } as NodeModel);
    };
    for (const instance of instances) expandInstance(graph, instance, definition(model, instance), objectInfo, definitions, nextLinkId);
  }
  throw new WorkflowError(`legacy group nodes are nested more than ${MAX_GROUP_NESTING} levels deep`);
}

function definition(model: WorkflowModel, instance: NodeModel): GroupDefinition {
  const name = groupNodeName(instance.type)!;
  const where = `legacy group node #${instance.key} ${instance.type}`;
  const extra = model.raw.extra;
  const groups = isPlainObject(extra) ? extra.groupNodes : undefined;
  const def = isPlainObject(groups) && Object.hasOwn(groups, name) ? groups[name] : undefined;
  if (!isPlainObject(def)) throw new WorkflowError(`${where}: the file does not define the group "${name}" (extra.groupNodes)`);
  if (!Array.isArray(def.nodes) || !def.nodes.every(isPlainObject) || !def.nodes.every((n) => typeof n.type === 'string')) {
    throw new WorkflowError(`${where}: extra.groupNodes["${name}"] needs a "nodes" array of nodes with a "type"`);
  }
  const links: GroupDefinition['links'] = [];
  for (const link of Array.isArray(def.links) ? def.links : []) {
    if (!Array.isArray(link)) continue;
    const [a, b, c, d] = link.map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v));
    // Links from outside the copied nodes have no origin index: they do not belong to the group.
    if (![a, b, c, d].every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)) continue;
    if ((a as number) >= def.nodes.length || (c as number) >= def.nodes.length) throw new WorkflowError(`${where}: a link of group "${name}" names a node it does not have: ${JSON.stringify(link)}`);
    links.push([a, b, c, d] as [number, number, number, number]);
  }
  const external = new Set<string>();
  for (const ext of Array.isArray(def.external) ? def.external : []) {
    if (Array.isArray(ext)) external.add(`${ext[0]}/${ext[1]}`);
  }
  return { name, nodes: def.nodes as Record<string, unknown>[], links, external, config: isPlainObject(def.config) ? def.config : {} };
}

/** `config[index].input|output[name|slot]` of a definition: the user's renames and hidden slots. */
function slotConfig(def: GroupDefinition, index: number, kind: 'input' | 'output', key: string | number): Record<string, unknown> | undefined {
  const node = def.config[index];
  const entries = isPlainObject(node) ? node[kind] : undefined;
  const entry = isPlainObject(entries) ? entries[key] : undefined;
  return isPlainObject(entry) ? entry : undefined;
}

function innerInputs(node: Record<string, unknown>): { name: string; type: unknown; widget?: string; label?: unknown }[] {
  if (!Array.isArray(node.inputs)) return [];
  return node.inputs.filter(isPlainObject).map((input) => ({
    name: typeof input.name === 'string' ? input.name : '',
    type: input.type,
    ...(isPlainObject(input.widget) && typeof input.widget.name === 'string' && { widget: input.widget.name }),
    label: input.label,
  }));
}

/** What a node class offers a group: its widget positions, its sockets (by name) and its output count. */
interface ClassShape {
  slots: WidgetSlot[];
  sockets: string[];
  outputs: number;
}

/** Where definitions are found: the workflow's `extra.groupNodes` (for group nodes inside groups). */
type Definitions = (type: string) => GroupDefinition | undefined;

function classShape(type: string, objectInfo: ObjectInfo, definitions: Definitions, depth: number): ClassShape | undefined {
  const info = Object.hasOwn(objectInfo, type) ? objectInfo[type] : undefined;
  if (info) {
    const slots = widgetSlots(info);
    const widgets = new Set(slots.filter((s) => s.kind === 'value').map((s) => s.name));
    const names = orderedInputs(info).flatMap((entry) => (entry.kind === 'input' ? [entry.name] : []));
    return { slots, sockets: names.filter((n) => !widgets.has(n)), outputs: info.output.length };
  }
  const nested = groupNodeName(type) !== undefined ? definitions(type) : undefined;
  if (!nested) return undefined;
  if (depth >= MAX_GROUP_NESTING) throw new WorkflowError(`legacy group nodes are nested more than ${MAX_GROUP_NESTING} levels deep`);
  const inner = layout(nested, objectInfo, definitions, depth + 1);
  return { slots: inner.slots, sockets: inner.inputs.filter((i) => i.widget === undefined).map((i) => i.name), outputs: inner.outputs.length };
}

function layout(def: GroupDefinition, objectInfo: ObjectInfo, definitions: Definitions, depth = 0): GroupLayout {
  const linksFrom = new Map<number, GroupDefinition['links']>();
  const linkTo = new Set<string>();
  for (const link of def.links) {
    linksFrom.set(link[0], [...(linksFrom.get(link[0]) ?? []), link]);
    linkTo.add(`${link[2]}/${link[3]}`);
  }
  const slots: WidgetSlot[] = [];
  const widgets: GroupWidget[] = [];
  const inputs: GroupLayout['inputs'] = [];
  const outputs: GroupLayout['outputs'] = [];
  const converted: (() => void)[] = [];
  const seen = new Map<string, number>();
  // The frontend's naming: a repeated name is prefixed with the node's title (or type).
  const inputName = (index: number, node: Record<string, unknown>, name: string): string => {
    const custom = slotConfig(def, index, 'input', name)?.name;
    const label = innerInputs(node).find((i) => i.name === name)?.label;
    let shown = typeof custom === 'string' ? custom : typeof label === 'string' ? label : name;
    let key = shown;
    const title = typeof node.title === 'string' ? node.title : undefined;
    if ((node.type === 'PrimitiveNode' && title !== undefined) || seen.has(shown)) {
      const prefix = `${title ?? node.type} `;
      key = shown = `${prefix}${name}`;
      if (seen.has(shown)) shown = `${prefix}${seen.get(shown)} ${name}`;
    }
    seen.set(key, (seen.get(key) ?? 1) + 1);
    return shown;
  };
  const addWidget = (index: number, widget: string, name: string, valueSlots: WidgetSlot[]) => {
    for (const slot of valueSlots) slots.push({ ...slot, name });
    widgets.push({ inner: index, widget, name });
  };

  for (const [index, node] of def.nodes.entries()) {
    const type = node.type as string;
    const from = linksFrom.get(index);
    const shape = type === 'PrimitiveNode' || type === 'Reroute' ? undefined : classShape(type, objectInfo, definitions, depth);
    let outputCount = 0;
    if (type === 'PrimitiveNode') {
      // Only a primitive feeding something inside the group takes part.
      const first = from?.[0];
      if (!first) continue;
      const target = def.nodes[first[2]]!;
      const targetInput = innerInputs(target)[first[3]];
      const targetInfo = Object.hasOwn(objectInfo, target.type as string) ? objectInfo[target.type as string] : undefined;
      const targetSlot = targetInfo && widgetSlots(targetInfo).find((s): s is ValueSlot => s.kind === 'value' && s.name === (targetInput?.widget ?? targetInput?.name));
      const name = inputName(index, node, 'value');
      const value: WidgetSlot = targetSlot ? { ...targetSlot, name } : { kind: 'value', name, type: '*', options: undefined, spec: {}, required: true, toPrompt: true };
      // The group asks for a control widget on it, which numbers and combos get.
      const kind = value.kind === 'value' ? value.type : '*';
      const extras: WidgetSlot[] = kind === 'INT' || kind === 'FLOAT' ? [{ kind: 'control', name }] : kind === 'COMBO' ? [{ kind: 'control', name }, { kind: 'filter', name }] : [];
      addWidget(index, 'value', name, [value, ...extras]);
      outputCount = 1;
    } else if (type === 'Reroute') {
      const internal = from !== undefined && linkTo.has(`${index}/0`) && !def.external.has(`${index}/0`);
      if (internal) continue;
      const rerouteInput = innerInputs(node)[0];
      if (!linkTo.has(`${index}/0`)) inputs.push({ inner: index, slot: 0, name: inputName(index, node, String(rerouteInput?.type ?? '*')), ...(rerouteInput?.widget !== undefined && { widget: rerouteInput.widget }) });
      outputCount = 1;
    } else if (shape) {
      const nodeInputs = innerInputs(node);
      const own = shape.slots;
      const valueNames = new Set(own.filter((s) => s.kind === 'value').map((s) => s.name));
      const isConverted = (name: string) => nodeInputs.some((i) => i.name === name && i.widget === name);
      // The node's own widgets, each with its control/filter/upload values.
      let current: { name: string; widget: string; slots: WidgetSlot[] } | undefined;
      const flush = () => {
        if (current) addWidget(index, current.widget, current.name, current.slots);
        current = undefined;
      };
      for (const slot of own) {
        if (slot.kind === 'value') {
          flush();
          if (isConverted(slot.name)) continue;
          current = { name: inputName(index, node, slot.name), widget: slot.name, slots: [slot] };
        } else if (current && slot.name === current.widget) current.slots.push(slot);
      }
      flush();
      // Its sockets: those not fed from inside become the group's inputs.
      let position = 0;
      for (const name of shape.sockets) {
        // By name; a group node's inputs by position among those that are not widgets.
        const at = groupNodeName(type) === undefined ? nodeInputs.findIndex((i) => i.name === name) : nodeInputs.map((_, i) => i).filter((i) => nodeInputs[i]!.widget === undefined)[position] ?? -1;
        const slot = at >= 0 ? at : position;
        position++;
        if (linkTo.has(`${index}/${slot}`)) continue;
        inputName(index, node, name);
        if (slotConfig(def, index, 'input', name)?.visible === false) continue;
        inputs.push({ inner: index, slot, name });
      }
      // Converted widgets come after every node's inputs.
      converted.push(() => {
        const list = nodeInputs.map((input, at) => ({ input, at })).filter(({ input }) => input.widget !== undefined && input.widget === input.name && valueNames.has(input.name))
          // The frontend orders them by their input index sorted as text.
          .sort((a, b) => (String(a.at) < String(b.at) ? -1 : String(a.at) > String(b.at) ? 1 : 0));
        for (const { input, at } of list) {
          if (linkTo.has(`${index}/${at}`)) continue;
          const name = inputName(index, node, input.name);
          addWidget(index, input.name, name, own.filter((s) => s.name === input.name && s.kind !== 'upload'));
          inputs.push({ inner: index, slot: at, name, widget: input.name });
        }
      });
      outputCount = shape.outputs;
    }
    // Notes and other frontend-only nodes, and classes that are not installed, add no slots.
    for (let slot = 0; slot < outputCount; slot++) {
      const linkedInside = linksFrom.get(index)?.some((l) => l[1] === slot) && !def.external.has(`${index}/${slot}`);
      const visible = slotConfig(def, index, 'output', slot)?.visible;
      if (typeof visible === 'boolean' ? visible : !linkedInside) outputs.push({ inner: index, slot });
    }
  }
  for (const add of converted) add();
  return { slots, widgets, inputs, outputs };
}

function expandInstance(graph: GraphModel, instance: NodeModel, def: GroupDefinition, objectInfo: ObjectInfo, definitions: Definitions, nextLinkId: { value: number }): void {
  const { slots, widgets, inputs, outputs } = layout(def, objectInfo, definitions);
  const key = (index: number) => `${instance.key}:${index}`;
  const newLink = (originId: string, originSlot: number, targetId: string, targetSlot: number, type: unknown): number => {
    const id = nextLinkId.value++;
    graph.links.set(id, { id, originId, originSlot, targetId, targetSlot, type });
    return id;
  };

  // The group's widget values, then each inner node's values with the group's put in.
  const values = new Map<string, unknown>();
  for (const mapped of mapWidgetValues(slots, instance.widgetsValues)) {
    if (mapped.present) values.set(mapped.slot.name, mapped.value);
  }
  const inner: NodeModel[] = def.nodes.map((raw, index) => {
    const type = raw.type as string;
    const overrides = new Map(widgets.filter((w) => w.inner === index && values.has(w.name)).map((w) => [w.widget, values.get(w.name)]));
    let widgetsValues = Array.isArray(raw.widgets_values) || isPlainObject(raw.widgets_values) ? (raw.widgets_values as unknown[] | Record<string, unknown>) : undefined;
    const shape = type === 'PrimitiveNode' || type === 'Reroute' ? undefined : classShape(type, objectInfo, definitions, 0);
    if (overrides.size > 0 && type === 'PrimitiveNode') {
      const list = Array.isArray(widgetsValues) ? [...widgetsValues] : [];
      list[0] = overrides.get('value');
      widgetsValues = list;
    } else if (overrides.size > 0 && shape) {
      const byName: Record<string, unknown> = {};
      for (const mapped of mapWidgetValues(shape.slots, widgetsValues)) byName[mapped.slot.name] = overrides.has(mapped.slot.name) ? overrides.get(mapped.slot.name) : mapped.value;
      widgetsValues = byName;
    }
    const rawInputs = innerInputs(raw);
    const rawOutputs = Array.isArray(raw.outputs) ? raw.outputs.filter(isPlainObject) : [];
    const properties = isPlainObject(raw.properties) ? raw.properties : {};
    const node: NodeModel = {
      key: key(index),
      type,
      mode: typeof raw.mode === 'number' ? raw.mode : 0,
      ...(typeof raw.title === 'string' && { title: raw.title }),
      inputs: rawInputs.map((i): InputModel => ({ name: i.name, type: i.type, link: null, ...(i.widget !== undefined && { widget: i.widget }) })),
      outputs: rawOutputs.map((o, i) => ({
        name: typeof o.name === 'string' ? o.name : String(i),
        type: o.type,
        ...(isPlainObject(o.widget) && typeof o.widget.name === 'string' && { widget: o.widget.name }),
      })),
      ...(widgetsValues !== undefined && { widgetsValues }),
      properties,
      raw: { ...raw, id: key(index) } as UiNode,
    };
    return node;
  });

  // Links inside the group.
  for (const [from, fromSlot, to, toSlot] of def.links) {
    const target = inner[to]!;
    while (target.inputs.length <= toSlot) target.inputs.push({ name: String(target.inputs.length), type: '*', link: null });
    target.inputs[toSlot]!.link = newLink(key(from), fromSlot, key(to), toSlot, inner[from]!.outputs[fromSlot]?.type);
  }

  // The instance's inputs: sockets in order, widget sockets by the group widget's name.
  const sockets = inputs.filter((i) => i.widget === undefined);
  let nextSocket = 0;
  for (const input of instance.inputs) {
    const widget = input.widget !== undefined ? widgets.find((w) => w.name === input.widget) : undefined;
    const socket = widget ? undefined : sockets[nextSocket++];
    if (input.link === null) continue;
    const outer = graph.links.get(input.link);
    if (!outer) continue;
    graph.links.delete(input.link);
    if (widget) {
      const target = inner[widget.inner]!;
      if (target.type === 'PrimitiveNode') continue;
      let at = target.inputs.findIndex((i) => (i.widget ?? i.name) === widget.widget);
      if (at < 0) at = target.inputs.push({ name: widget.widget, type: input.type, link: null, widget: widget.widget }) - 1;
      target.inputs[at]!.link = newLink(outer.originId, outer.originSlot, target.key, at, outer.type);
    } else if (socket) {
      const target = inner[socket.inner]!;
      while (target.inputs.length <= socket.slot) target.inputs.push({ name: String(target.inputs.length), type: '*', link: null });
      target.inputs[socket.slot]!.link = newLink(outer.originId, outer.originSlot, target.key, socket.slot, outer.type);
    }
  }

  // Links from the instance's outputs now start at the inner node behind each.
  for (const [id, link] of graph.links) {
    if (link.originId !== instance.key) continue;
    const output = outputs[link.originSlot];
    if (!output) {
      graph.links.delete(id);
      continue;
    }
    const moved: LinkModel = { ...link, originId: key(output.inner), originSlot: output.slot };
    graph.links.set(id, moved);
  }

  graph.nodes.delete(instance.key);
  for (const node of inner) {
    if (graph.nodes.has(node.key)) throw new WorkflowError(`legacy group node #${instance.key}: its inner node id ${node.key} is already used in the workflow`);
    graph.nodes.set(node.key, node);
  }
}
