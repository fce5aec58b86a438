// Files saved when FlashGraph's LoadVideo and SaveVideo carried options ComfyUI's classes of those
// names do not have. Those options now live on FlashGraph_LoadVideo and FlashGraph_SaveVideo; a
// node saved with them is moved onto that class when one of them changes something (a value other
// than the neutral default, a link into it, or a choice the core class lacks such as webm), and
// otherwise keeps its core class with the options dropped. Either way the conversion warns. The
// widget values are read by type in both orders editors saved them in (widgets.ts).
import type { ApiPrompt, NodeInfo, ObjectInfo } from '../../types/api.ts';
import { isLink } from '../../types/api.ts';
import { isPlainObject } from './parse.ts';
import { defaultValue, mapWidgetValues, widgetSlots, type MappedWidget, type WidgetSlot } from './widgets.ts';

/** Core class -> FlashGraph's class that keeps the options the core class used to have. */
export const FORMER_CORE_OPTIONS: Readonly<Record<string, string>> = {
  LoadVideo: 'FlashGraph_LoadVideo',
  SaveVideo: 'FlashGraph_SaveVideo',
};

type ValueSlot = Extract<WidgetSlot, { kind: 'value' }>;

interface Plan {
  core: NodeInfo;
  replacement: NodeInfo;
  /** Value widgets of the replacement that the core class lacks. */
  extras: ValueSlot[];
}

function planFor(type: unknown, objectInfo: ObjectInfo): Plan | undefined {
  if (typeof type !== 'string' || !Object.hasOwn(FORMER_CORE_OPTIONS, type)) return undefined;
  const name = FORMER_CORE_OPTIONS[type]!;
  const core = Object.hasOwn(objectInfo, type) ? objectInfo[type] : undefined;
  const replacement = Object.hasOwn(objectInfo, name) ? objectInfo[name] : undefined;
  if (!core || !replacement) return undefined;
  const coreNames = new Set(valueSlots(core).map((s) => s.name));
  return { core, replacement, extras: valueSlots(replacement).filter((s) => !coreNames.has(s.name)) };
}

function valueSlots(info: NodeInfo): ValueSlot[] {
  return widgetSlots(info).filter((s): s is ValueSlot => s.kind === 'value');
}

/** What the saved values ask for: the reasons the core class cannot do it (empty: it can). */
function reasonsToReplace(plan: Plan, values: Map<string, unknown>, linked: Set<string>): string[] {
  const reasons: string[] = [];
  for (const slot of plan.extras) {
    if (linked.has(slot.name)) reasons.push(`${slot.name} is linked`);
    else if (values.has(slot.name) && values.get(slot.name) !== defaultValue(slot)) reasons.push(`${slot.name} = ${JSON.stringify(values.get(slot.name))}`);
  }
  // A choice only FlashGraph's class offers (SaveVideo's webm and vp9).
  const wider = new Map(valueSlots(plan.replacement).map((s) => [s.name, s.options]));
  for (const slot of valueSlots(plan.core)) {
    const value = values.get(slot.name);
    if (slot.type !== 'COMBO' || typeof value !== 'string' || slot.options?.includes(value) !== false) continue;
    if (wider.get(slot.name)?.includes(value)) reasons.push(`${slot.name} = ${JSON.stringify(value)}`);
  }
  return reasons;
}

function describe(plan: Plan, values: Map<string, unknown>): string {
  return plan.extras.flatMap((s) => (values.has(s.name) ? [`${s.name} = ${JSON.stringify(values.get(s.name))}`] : [])).join(', ');
}

function message(where: string, type: string, plan: Plan, values: Map<string, unknown>, reasons: string[]): string {
  const options = plan.extras.map((s) => s.name).join(', ');
  if (reasons.length > 0) {
    return `${where}: saved with the options FlashGraph's ${type} used to have (${reasons.join(', ')}); it is now ${plan.replacement.name}, which keeps them (${type} has ComfyUI's inputs only)`;
  }
  const dropped = describe(plan, values);
  return `${where}: FlashGraph's former ${type} options (${options}) were dropped${dropped ? `; the file had only values that change nothing (${dropped})` : ''}, as ${type} has ComfyUI's inputs only`;
}

/** Positional `widgets_values` for `info` (the official frontend's order), from values by name. */
function positional(info: NodeInfo, mapped: readonly MappedWidget[]): unknown[] {
  const byName = new Map(mapped.map((m) => [m.slot.name, m]));
  return widgetSlots(info).flatMap((slot): unknown[] => {
    const found = byName.get(slot.name);
    if (slot.kind === 'value') return [found?.present ? found.value : defaultValue(slot)];
    if (slot.kind === 'control') return [found?.control?.mode ?? 'fixed'];
    if (slot.kind === 'filter') return [found?.control?.filter ?? ''];
    return [slot.placeholder];
  });
}

/** Whether a saved node is in the former form: values or sockets the core class does not have. */
function isFormer(plan: Plan, node: Record<string, unknown>): boolean {
  const values = node.widgets_values;
  const extraNames = new Set(plan.extras.map((s) => s.name));
  if (Array.isArray(values) && values.length > widgetSlots(plan.core).length) return true;
  if (isPlainObject(values) && Object.keys(values).some((k) => extraNames.has(k))) return true;
  return Array.isArray(node.inputs) && node.inputs.some((input) => isPlainObject(input) && extraNames.has(socketName(input)));
}

function socketName(input: Record<string, unknown>): string {
  const widget = isPlainObject(input.widget) && typeof input.widget.name === 'string' ? input.widget.name : undefined;
  return widget ?? String(input.name);
}

export interface MigrationResult<T> {
  workflow: T;
  warnings: string[];
}

/**
 * A UI-format workflow with every node saved in a former core form brought to the current one
 * (subgraph definitions included). The input is never modified; unchanged parts are shared.
 */
export function migrateFormerCore(workflow: unknown, objectInfo: ObjectInfo): MigrationResult<unknown> {
  const warnings: string[] = [];
  if (!isPlainObject(workflow)) return { workflow, warnings };
  const root = migrateGraph(workflow, '', objectInfo, warnings);
  const definitions = workflow.definitions;
  let migratedDefinitions: unknown = definitions;
  if (isPlainObject(definitions) && Array.isArray(definitions.subgraphs)) {
    const subgraphs = definitions.subgraphs.map((sg) => (isPlainObject(sg) ? migrateGraph(sg, `subgraph ${typeof sg.name === 'string' ? sg.name : String(sg.id)} `, objectInfo, warnings) : sg));
    if (subgraphs.some((sg, i) => sg !== (definitions.subgraphs as unknown[])[i])) migratedDefinitions = { ...definitions, subgraphs };
  }
  if (root === workflow && migratedDefinitions === definitions) return { workflow, warnings };
  return { workflow: { ...root, ...(migratedDefinitions !== undefined && { definitions: migratedDefinitions }) }, warnings };
}

/** One graph (the root or a subgraph definition): its nodes and the links into removed sockets. */
function migrateGraph(graph: Record<string, unknown>, where: string, objectInfo: ObjectInfo, warnings: string[]): Record<string, unknown> {
  if (!Array.isArray(graph.nodes)) return graph;
  let links = graph.links;
  let changed = false;
  const nodes = graph.nodes.map((node) => {
    if (!isPlainObject(node)) return node;
    const plan = planFor(node.type, objectInfo);
    if (!plan || !isFormer(plan, node)) return node;
    const migrated = migrateNode(node, plan, `${where}node #${String(node.id)} ${String(node.type)}`, warnings);
    if (migrated.slotMap) links = renumberTargets(links, node.id, migrated.slotMap);
    changed = true;
    return migrated.node;
  });
  return changed ? { ...graph, nodes, links } : graph;
}

function migrateNode(node: Record<string, unknown>, plan: Plan, where: string, warnings: string[]): { node: Record<string, unknown>; slotMap?: Map<number, number> } {
  const type = String(node.type);
  const mapped = mapWidgetValues(widgetSlots(plan.replacement), node.widgets_values);
  const values = new Map(mapped.filter((m) => m.present).map((m) => [m.slot.name, m.value]));
  const inputs = Array.isArray(node.inputs) ? node.inputs : [];
  const extraNames = new Set(plan.extras.map((s) => s.name));
  const linked = new Set(inputs.flatMap((input) => (isPlainObject(input) && input.link !== null && input.link !== undefined && extraNames.has(socketName(input)) ? [socketName(input)] : [])));
  const reasons = reasonsToReplace(plan, values, linked);
  warnings.push(message(where, type, plan, values, reasons));
  if (reasons.length > 0) {
    const name = plan.replacement.name;
    const properties = isPlainObject(node.properties) ? { ...node.properties, 'Node name for S&R': name } : node.properties;
    return { node: { ...node, type: name, properties, widgets_values: positional(plan.replacement, mapped) } };
  }
  // Keep the core class: its values, and its sockets without the (unlinked) former option sockets.
  const kept: unknown[] = [];
  const slotMap = new Map<number, number>();
  inputs.forEach((input, i) => {
    if (isPlainObject(input) && extraNames.has(socketName(input))) return;
    slotMap.set(i, kept.length);
    kept.push(input);
  });
  const next: Record<string, unknown> = { ...node, widgets_values: positional(plan.core, mapped) };
  if (Array.isArray(node.inputs)) next.inputs = kept;
  return { node: next, slotMap: kept.length !== inputs.length ? slotMap : undefined };
}

/** Links into node `id` follow its sockets to their new indices (array or object link form). */
function renumberTargets(links: unknown, id: unknown, slotMap: Map<number, number>): unknown {
  if (!Array.isArray(links)) return links;
  return links.map((link) => {
    if (Array.isArray(link) && link[3] === id && typeof link[4] === 'number' && slotMap.has(link[4])) {
      const copy = [...link];
      copy[4] = slotMap.get(link[4]);
      return copy;
    }
    if (isPlainObject(link) && link.target_id === id && typeof link.target_slot === 'number' && slotMap.has(link.target_slot)) {
      return { ...link, target_slot: slotMap.get(link.target_slot) };
    }
    return link;
  });
}

/**
 * An API-format prompt with every node that names a former core option brought to the current
 * form: moved to FlashGraph's class when an option changes something, else the options removed.
 */
export function migrateFormerCoreApi(prompt: ApiPrompt, objectInfo: ObjectInfo): MigrationResult<ApiPrompt> {
  const warnings: string[] = [];
  let result: ApiPrompt | undefined;
  for (const [id, node] of Object.entries(prompt)) {
    if (!isPlainObject(node) || !isPlainObject(node.inputs)) continue;
    const plan = planFor(node.class_type, objectInfo);
    if (!plan) continue;
    const inputs = node.inputs as Record<string, unknown>;
    const present = plan.extras.filter((s) => Object.hasOwn(inputs, s.name));
    const coreCombosOff = reasonsToReplace({ ...plan, extras: [] }, new Map(Object.entries(inputs)), new Set());
    if (present.length === 0 && coreCombosOff.length === 0) continue;
    const values = new Map<string, unknown>();
    const linked = new Set<string>();
    for (const slot of present) {
      const value = inputs[slot.name];
      if (isLink(value)) linked.add(slot.name);
      else values.set(slot.name, value);
    }
    for (const [name, value] of Object.entries(inputs)) if (!values.has(name) && !linked.has(name)) values.set(name, value);
    const reasons = reasonsToReplace(plan, values, linked);
    const type = String(node.class_type);
    warnings.push(message(`node #${id} ${type}`, type, plan, values, reasons));
    result ??= { ...prompt };
    if (reasons.length > 0) result[id] = { ...node, class_type: plan.replacement.name } as ApiPrompt[string];
    else {
      const kept = Object.fromEntries(Object.entries(inputs).filter(([name]) => !present.some((s) => s.name === name)));
      result[id] = { ...node, inputs: kept } as ApiPrompt[string];
    }
  }
  return { workflow: result ?? prompt, warnings };
}
