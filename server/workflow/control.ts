// "Control after generate": the mode saved next to seed-like widgets (fixed, increment, decrement,
// randomize) that the editor applies each time a workflow is queued. Headless runs apply it only
// when asked (`graph run --apply-control`); the stored value is otherwise used as it is.
import type { ObjectInfo } from '../../types/api.ts';
import type { UiNode, UiWorkflow } from '../../types/workflow.ts';
import { isPlainObject, parseWorkflow, type GraphModel, type NodeModel } from './parse.ts';
import { mapWidgetValues, widgetSlots, type WidgetSlot } from './widgets.ts';

/** The frontend keeps random seeds within ±2^50 so they survive JSON and float maths. */
export const RANDOMIZE_LIMIT = 2 ** 50;

export interface ControlChange {
  /** Node id in the file (subgraph nodes: `<subgraph id>/<node id>`). */
  node: string;
  type: string;
  widget: string;
  mode: string;
  from: unknown;
  to: unknown;
}

type ValueSlot = Extract<WidgetSlot, { kind: 'value' }>;

/**
 * The workflow with every controlled widget moved on by its mode; `rng` returns [0, 1) like
 * Math.random. The input is not modified; unchanged nodes are shared with it.
 */
export function applyControlAfterGenerate(
  workflow: UiWorkflow,
  objectInfo: ObjectInfo,
  rng: () => number,
  onChange?: (change: ControlChange) => void,
): UiWorkflow {
  const model = parseWorkflow(workflow);
  const rootValues = controlledValues(model.graph, objectInfo, rng, '', onChange);
  let result: UiWorkflow = { ...workflow, nodes: workflow.nodes.map((node) => withValues(node, rootValues)) } as UiWorkflow;
  const definitions = workflow.definitions;
  if (isPlainObject(definitions) && Array.isArray(definitions.subgraphs)) {
    const subgraphs = definitions.subgraphs.map((def) => {
      const graph = model.subgraphs.get(def.id);
      if (!graph) return def;
      const values = controlledValues(graph, objectInfo, rng, `${def.id}/`, onChange);
      return values.size === 0 ? def : { ...def, nodes: def.nodes.map((node) => withValues(node, values)) };
    });
    result = { ...result, definitions: { ...definitions, subgraphs } };
  }
  return result;
}

function withValues(node: UiNode, changed: Map<UiNode, UiNode['widgets_values']>): UiNode {
  const values = changed.get(node);
  return values === undefined ? node : { ...node, widgets_values: values };
}

function controlledValues(
  graph: GraphModel,
  objectInfo: ObjectInfo,
  rng: () => number,
  prefix: string,
  onChange?: (change: ControlChange) => void,
): Map<UiNode, UiNode['widgets_values']> {
  const changed = new Map<UiNode, UiNode['widgets_values']>();
  for (const node of graph.nodes.values()) {
    const values = node.widgetsValues;
    if (values === undefined) continue;
    const copy: Record<string, unknown> | unknown[] = Array.isArray(values) ? [...values] : { ...values };
    let dirty = false;
    const set = (at: number | string, slot: ValueSlot, mode: unknown, filter: unknown, from: unknown) => {
      const to = nextValue(slot, from, mode, filter, rng);
      if (Object.is(to, from)) return;
      (copy as Record<string | number, unknown>)[at] = to;
      dirty = true;
      onChange?.({ node: prefix + node.key, type: node.type, widget: slot.name, mode: String(mode), from, to });
    };
    if (node.type === 'PrimitiveNode') {
      const slot = primitiveTarget(graph, node, objectInfo);
      if (slot && Array.isArray(values) && values.length >= 2) set(0, slot, values[1], values[2], values[0]);
    } else {
      const info = Object.hasOwn(objectInfo, node.type) ? objectInfo[node.type] : undefined;
      if (!info) continue;
      // A widget fed through its socket does not use its own value, so its control is idle.
      const linked = new Set(node.inputs.filter((i) => i.link !== null).map((i) => i.widget ?? i.name));
      for (const widget of mapWidgetValues(widgetSlots(info), values)) {
        if (widget.control && widget.at !== undefined && !linked.has(widget.slot.name)) set(widget.at, widget.slot, widget.control.mode, widget.control.filter, widget.value);
      }
    }
    if (dirty) changed.set(node.raw, copy as UiNode['widgets_values']);
  }
  return changed;
}

/** The widget a PrimitiveNode drives: the one on the node its first link goes to. */
function primitiveTarget(graph: GraphModel, primitive: NodeModel, objectInfo: ObjectInfo): ValueSlot | undefined {
  for (const link of graph.links.values()) {
    if (link.originId !== primitive.key) continue;
    const target = graph.nodes.get(link.targetId);
    const input = target?.inputs[link.targetSlot];
    const info = target && Object.hasOwn(objectInfo, target.type) ? objectInfo[target.type] : undefined;
    if (!input || !info) continue;
    const name = input.widget ?? input.name;
    const slot = widgetSlots(info).find((s): s is ValueSlot => s.kind === 'value' && s.name === name);
    if (slot) return slot;
  }
  return undefined;
}

/** One widget value moved on by its control mode; anything it cannot apply leaves it as it is. */
export function nextValue(slot: ValueSlot, current: unknown, mode: unknown, filter: unknown, rng: () => number): unknown {
  const effective = mode === true ? 'randomize' : mode;
  if (typeof effective !== 'string' || effective === 'fixed') return current;
  if (slot.type === 'COMBO') return nextOption(slot.options ?? [], current, effective, filter, rng);
  if ((slot.type !== 'INT' && slot.type !== 'FLOAT') || typeof current !== 'number') return current;
  const isInt = slot.type === 'INT';
  const { min: rawMin, max: rawMax, step: rawStep } = slot.spec;
  const min = typeof rawMin === 'number' ? rawMin : 0;
  const max = typeof rawMax === 'number' ? rawMax : 2048;
  const step = typeof rawStep === 'number' && rawStep > 0 ? rawStep : isInt ? 1 : 0.5;
  const clamp = (v: number) => Math.min(Math.max(v, min), max);
  const tidy = (v: number) => (isInt ? Math.round(v) : Number(v.toFixed(10)));
  switch (effective) {
    case 'increment':
      return tidy(clamp(current + step));
    case 'increment-wrap':
      return tidy(current + step > max ? min : clamp(current + step));
    case 'decrement':
      return tidy(clamp(current - step));
    case 'randomize': {
      const lo = Math.max(min, -RANDOMIZE_LIMIT);
      const hi = Math.min(max, RANDOMIZE_LIMIT);
      if (!(hi > lo)) return tidy(lo);
      const choices = Math.floor((hi - lo) / step);
      return tidy(clamp(Math.floor(rng() * (choices + 1)) * step + lo));
    }
    default:
      return current;
  }
}

function nextOption(all: readonly string[], current: unknown, mode: string, filter: unknown, rng: () => number): unknown {
  const needle = typeof filter === 'string' ? filter.trim().toLowerCase() : '';
  const filtered = needle === '' ? all : all.filter((o) => o.toLowerCase().includes(needle));
  const options = filtered.length > 0 ? filtered : all;
  if (options.length === 0) return current;
  const index = options.indexOf(String(current));
  switch (mode) {
    case 'increment':
      return options[index < 0 ? 0 : Math.min(index + 1, options.length - 1)];
    case 'increment-wrap':
      return options[(index + 1) % options.length];
    case 'decrement':
      return options[index < 0 ? 0 : Math.max(index - 1, 0)];
    case 'randomize':
      return options[Math.floor(rng() * options.length)];
    default:
      return current;
  }
}
