// API format -> UI format, so a prompt written by a script can be opened and edited in the
// editor. Nodes are laid out left to right by dependency depth; widget values are written in
// widget order with the control and upload positions the editor expects, so converting the
// result back with `uiToApi` gives the original prompt.
import type { ApiPrompt, InputInfo, NodeInfo, ObjectInfo } from '../../types/api.ts';
import { isLink } from '../../types/api.ts';
import type { UiLinkTuple, UiNode, UiNodeId, UiNodeInput, UiNodeOutput, UiWorkflowV04 } from '../../types/workflow.ts';
import { UnknownNodeTypesError, WorkflowError, type UnknownNodeType } from './errors.ts';
import { cloneJson } from './json.ts';
import { migrateFormerCoreApi } from './former-core.ts';
import { packHint } from './known-packs.ts';
import { isPlainObject } from './parse.ts';
import { defaultValue, orderedInputs, widgetSlots } from './widgets.ts';

export interface UiConversionResult {
  workflow: UiWorkflowV04;
  warnings: string[];
}

const COLUMN_WIDTH = 400;
const NODE_WIDTH = 320;
const ROW_HEIGHT = 24;
const GAP = 40;
const ORIGIN = 50;

export function apiToUi(prompt: unknown, objectInfo: ObjectInfo): UiConversionResult {
  const migrated = isPlainObject(prompt) ? migrateFormerCoreApi(prompt as ApiPrompt, objectInfo) : { workflow: prompt, warnings: [] };
  const nodes = checkPrompt(migrated.workflow);
  const unknown: UnknownNodeType[] = [];
  for (const [key, node] of nodes) {
    if (Object.hasOwn(objectInfo, node.class_type)) continue;
    const known = unknown.find((u) => u.type === node.class_type);
    if (known) known.nodes.push(key);
    else {
      const pack = packHint(node.class_type);
      unknown.push({ type: node.class_type, nodes: [key], ...(pack !== undefined && { pack }) });
    }
  }
  if (unknown.length > 0) throw new UnknownNodeTypesError(unknown);

  const warnings: string[] = [...migrated.warnings];
  const depth = dependencyDepth(nodes);
  const uiNodes = new Map<string, UiNode>();
  const columns = new Map<number, number>();
  const order = [...nodes.keys()].sort((a, b) => depth.get(a)! - depth.get(b)!);
  for (const [index, key] of order.entries()) {
    const api = nodes.get(key)!;
    const info = objectInfo[api.class_type]!;
    const node = buildNode(key, api, info, warnings);
    const column = depth.get(key)!;
    const y = columns.get(column) ?? ORIGIN;
    const height = nodeHeight(node);
    node.pos = [ORIGIN + column * COLUMN_WIDTH, y];
    node.size = [NODE_WIDTH, height];
    node.order = index;
    columns.set(column, y + height + GAP);
    uiNodes.set(key, node);
  }

  const links: UiLinkTuple[] = [];
  for (const key of order) {
    const target = uiNodes.get(key)!;
    for (const [slot, input] of (target.inputs ?? []).entries()) {
      const value = nodes.get(key)!.inputs[input.name];
      if (!isLink(value)) continue;
      const [sourceKey, sourceSlot] = value;
      const source = uiNodes.get(sourceKey);
      const output = source?.outputs?.[sourceSlot];
      if (!source || !output) {
        warnings.push(`node #${key} input "${input.name}": source #${sourceKey} output ${sourceSlot} does not exist; link left out`);
        continue;
      }
      const id = links.length + 1;
      links.push([id, source.id, sourceSlot, target.id, slot, output.type]);
      input.link = id;
      (output.links ??= []).push(id);
    }
  }

  const numericIds = [...uiNodes.values()].map((n) => n.id).filter((id): id is number => typeof id === 'number');
  const workflow: UiWorkflowV04 = {
    last_node_id: Math.max(0, ...numericIds),
    last_link_id: links.length,
    nodes: order.map((key) => uiNodes.get(key)!),
    links,
    groups: [],
    config: {},
    extra: { ds: { scale: 1, offset: [0, 0] } },
    version: 0.4,
  };
  return { workflow, warnings };
}

interface ApiNode {
  class_type: string;
  inputs: Record<string, unknown>;
  title?: string;
}

function checkPrompt(prompt: unknown): Map<string, ApiNode> {
  if (!isPlainObject(prompt)) throw new WorkflowError('an API prompt must be a JSON object of nodes');
  const nodes = new Map<string, ApiNode>();
  const problems: string[] = [];
  for (const [key, node] of Object.entries(prompt)) {
    if (!isPlainObject(node) || typeof node.class_type !== 'string' || node.class_type === '') {
      problems.push(`node ${JSON.stringify(key)} needs a "class_type"`);
      continue;
    }
    if (node.inputs !== undefined && !isPlainObject(node.inputs)) {
      problems.push(`node #${key} ${node.class_type}: "inputs" must be an object`);
      continue;
    }
    const title = isPlainObject(node._meta) && typeof node._meta.title === 'string' ? node._meta.title : undefined;
    nodes.set(key, { class_type: node.class_type, inputs: (node.inputs as Record<string, unknown>) ?? {}, ...(title !== undefined && { title }) });
  }
  if (problems.length > 0) throw new WorkflowError('the API prompt is malformed', problems.slice(0, 50));
  return nodes;
}

/** Longest path from a node without inputs; nodes on a cycle keep the depth reached so far. */
function dependencyDepth(nodes: Map<string, ApiNode>): Map<string, number> {
  const depth = new Map<string, number>();
  const pending = new Map<string, number>();
  const successors = new Map<string, string[]>();
  for (const [key, node] of nodes) {
    depth.set(key, 0);
    const sources = new Set(Object.values(node.inputs).filter(isLink).map(([source]) => source).filter((s) => nodes.has(s) && s !== key));
    pending.set(key, sources.size);
    for (const source of sources) {
      if (!successors.has(source)) successors.set(source, []);
      successors.get(source)!.push(key);
    }
  }
  const ready = [...pending].filter(([, count]) => count === 0).map(([key]) => key);
  while (ready.length > 0) {
    const key = ready.pop()!;
    for (const next of successors.get(key) ?? []) {
      depth.set(next, Math.max(depth.get(next)!, depth.get(key)! + 1));
      const left = pending.get(next)! - 1;
      pending.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return depth;
}

function buildNode(key: string, api: ApiNode, info: NodeInfo, warnings: string[]): UiNode {
  const slots = widgetSlots(info);
  const widgetNames = new Set(slots.flatMap((s) => (s.kind === 'value' ? [s.name] : [])));
  const widgetsValues: unknown[] = [];
  for (const slot of slots) {
    if (slot.kind === 'value') {
      const value = Object.hasOwn(api.inputs, slot.name) ? api.inputs[slot.name] : undefined;
      widgetsValues.push(value === undefined || isLink(value) ? defaultValue(slot) : unwrap(cloneJson(value, `node #${key} input "${slot.name}"`)));
    } else if (slot.kind === 'control') widgetsValues.push('fixed');
    else if (slot.kind === 'filter') widgetsValues.push('');
    else widgetsValues.push(slot.placeholder);
  }

  const inputs: UiNodeInput[] = [];
  const declared = new Set<string>();
  for (const [name, spec] of declaredInputs(info)) {
    declared.add(name);
    const value = Object.hasOwn(api.inputs, name) ? api.inputs[name] : undefined;
    const type = typeOf(spec[0]);
    if (!widgetNames.has(name)) {
      inputs.push({ name, type, link: null });
      if (value !== undefined && !isLink(value)) warnings.push(`node #${key} ${api.class_type}: "${name}" is a socket; its literal value is left out`);
    }
    else if (isLink(value)) inputs.push({ name, type, widget: { name }, link: null });
  }
  for (const [name, value] of Object.entries(api.inputs)) {
    if (declared.has(name)) continue;
    if (isLink(value)) inputs.push({ name, type: '*', link: null });
    else warnings.push(`node #${key} ${api.class_type}: input "${name}" is not an input of ${api.class_type}; left out`);
  }

  const outputs: UiNodeOutput[] = info.output.map((type, i) => ({ name: info.output_name[i] ?? typeOf(type), type: typeOf(type), links: [], slot_index: i }));
  const node: UiNode = {
    id: uiId(key),
    type: api.class_type,
    pos: [0, 0],
    size: [NODE_WIDTH, 0],
    flags: {},
    order: 0,
    mode: 0,
    inputs,
    outputs,
    properties: { 'Node name for S&R': api.class_type },
    widgets_values: widgetsValues,
  };
  if (api.title !== undefined && api.title !== info.display_name) node.title = api.title;
  return node;
}

function declaredInputs(info: NodeInfo): [string, InputInfo][] {
  return orderedInputs(info).flatMap((entry) => (entry.kind === 'input' ? [[entry.name, entry.input] as [string, InputInfo]] : []));
}

/** Prompt keys that are plain integers become numeric ids (what the editor makes); others stay strings. */
function uiId(key: string): UiNodeId {
  return /^(0|[1-9]\d{0,14})$/.test(key) ? Number(key) : key;
}

function typeOf(type: string | string[]): string {
  return Array.isArray(type) ? 'COMBO' : type;
}

function unwrap(value: unknown): unknown {
  return isPlainObject(value) && Object.keys(value).length === 1 && Object.hasOwn(value, '__value__') ? value.__value__ : value;
}

function nodeHeight(node: UiNode): number {
  const sockets = Math.max(node.inputs?.length ?? 0, node.outputs?.length ?? 0);
  const widgets = Array.isArray(node.widgets_values) ? node.widgets_values.length : 0;
  return GAP + (sockets + widgets) * ROW_HEIGHT;
}
