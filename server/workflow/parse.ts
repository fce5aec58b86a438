// Reads a UI-format workflow (schema 0.4 or 1, with subgraph definitions) into a checked model.
// The model keeps the file's own object: nothing is dropped or rewritten, so serialising it gives
// back exactly what was read, unknown fields included.
import type { UiNode, UiSubgraphDefinition, UiWorkflow } from '../../types/workflow.ts';
import { WorkflowError } from './errors.ts';

export interface InputModel {
  name: string;
  type: unknown;
  link: number | null;
  /** The widget this input is the socket of (frontend ≥ 1.16, or a "converted" widget). */
  widget?: string;
}

export interface OutputModel {
  name: string;
  type: unknown;
  /** Set on a PrimitiveNode's output: the widget its targets take the value for. */
  widget?: string;
}

export interface NodeModel {
  /** `String(id)`: the node's key in an API prompt (before any subgraph prefix). */
  key: string;
  type: string;
  mode: number;
  title?: string;
  inputs: InputModel[];
  outputs: OutputModel[];
  widgetsValues?: unknown[] | Record<string, unknown>;
  properties: Record<string, unknown>;
  raw: UiNode;
}

export interface LinkModel {
  id: number;
  originId: string;
  originSlot: number;
  targetId: string;
  targetSlot: number;
  type: unknown;
}

export interface GraphModel {
  nodes: Map<string, NodeModel>;
  links: Map<number, LinkModel>;
}

export interface SubgraphModel extends GraphModel {
  id: string;
  name: string;
  inputs: { name: string; type: unknown }[];
  outputs: { name: string; type: unknown }[];
}

export interface WorkflowModel {
  /** The object that was parsed; `serializeWorkflow` returns it. */
  raw: UiWorkflow;
  version: 0.4 | 1;
  graph: GraphModel;
  subgraphs: Map<string, SubgraphModel>;
}

/** Ids the frontend gives a subgraph's input and output boundary nodes. */
export const SUBGRAPH_INPUT_ID = '-10';
export const SUBGRAPH_OUTPUT_ID = '-20';

const MAX_SUBGRAPH_NESTING = 16;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for `{nodes: [...]}`: what the ComfyUI editor saves. */
export function isUiWorkflow(data: unknown): data is UiWorkflow {
  return isPlainObject(data) && Array.isArray(data.nodes);
}

export function parseWorkflow(data: unknown): WorkflowModel {
  if (!isPlainObject(data)) throw new WorkflowError('a UI workflow must be a JSON object');
  if (!Array.isArray(data.nodes)) throw new WorkflowError('a UI workflow needs a "nodes" array');
  const problems: string[] = [];
  const graph = parseGraph(data as Record<string, unknown>, '', problems);
  const subgraphs = new Map<string, SubgraphModel>();
  collectSubgraphs(data.definitions, subgraphs, problems, 0);
  if (problems.length > 0) throw new WorkflowError('the workflow file is malformed', problems.slice(0, 50));
  const version = data.version === 1 ? 1 : 0.4;
  return { raw: data as unknown as UiWorkflow, version, graph, subgraphs };
}

/** The workflow as a file holds it; a parsed model serialises back to exactly its input. */
export function serializeWorkflow(model: WorkflowModel): UiWorkflow {
  return model.raw;
}

function collectSubgraphs(definitions: unknown, into: Map<string, SubgraphModel>, problems: string[], depth: number): void {
  if (definitions === undefined || definitions === null) return;
  if (!isPlainObject(definitions)) {
    problems.push('"definitions" must be an object');
    return;
  }
  const list = definitions.subgraphs;
  if (list === undefined) return;
  if (!Array.isArray(list)) {
    problems.push('"definitions.subgraphs" must be an array');
    return;
  }
  if (depth > MAX_SUBGRAPH_NESTING) {
    problems.push(`subgraph definitions are nested more than ${MAX_SUBGRAPH_NESTING} levels deep`);
    return;
  }
  for (const [i, def] of list.entries()) {
    const where = `definitions.subgraphs[${i}]`;
    if (!isPlainObject(def) || typeof def.id !== 'string' || def.id === '') {
      problems.push(`${where} needs a string "id"`);
      continue;
    }
    if (!Array.isArray(def.nodes)) {
      problems.push(`${where} (subgraph ${def.id}) needs a "nodes" array`);
      continue;
    }
    if (into.has(def.id)) {
      problems.push(`subgraph ${def.id} is defined twice`);
      continue;
    }
    const graph = parseGraph(def, `subgraph ${def.id}: `, problems);
    into.set(def.id, {
      ...graph,
      id: def.id,
      name: typeof def.name === 'string' ? def.name : def.id,
      inputs: parseIo(def.inputs, `${where}.inputs`, problems),
      outputs: parseIo(def.outputs, `${where}.outputs`, problems),
    });
    collectSubgraphs((def as UiSubgraphDefinition).definitions, into, problems, depth + 1);
  }
}

function parseIo(list: unknown, where: string, problems: string[]): { name: string; type: unknown }[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    problems.push(`${where} must be an array`);
    return [];
  }
  return list.map((io, i) => {
    if (!isPlainObject(io) || typeof io.name !== 'string') {
      problems.push(`${where}[${i}] needs a "name"`);
      return { name: String(i), type: '*' };
    }
    return { name: io.name, type: io.type };
  });
}

function parseGraph(data: Record<string, unknown>, prefix: string, problems: string[]): GraphModel {
  const nodes = new Map<string, NodeModel>();
  for (const [i, raw] of (data.nodes as unknown[]).entries()) {
    const node = parseNode(raw, `${prefix}nodes[${i}]`, problems);
    if (!node) continue;
    if (nodes.has(node.key)) problems.push(`${prefix}node id ${node.key} is used twice`);
    else nodes.set(node.key, node);
  }
  const links = new Map<number, LinkModel>();
  const rawLinks = data.links ?? [];
  if (!Array.isArray(rawLinks)) {
    problems.push(`${prefix}"links" must be an array`);
  } else {
    for (const [i, raw] of rawLinks.entries()) {
      if (raw === null) continue;
      const link = parseLink(raw, `${prefix}links[${i}]`, problems);
      if (!link) continue;
      if (links.has(link.id)) problems.push(`${prefix}link id ${link.id} is used twice`);
      else links.set(link.id, link);
    }
  }
  return { nodes, links };
}

function parseNode(raw: unknown, where: string, problems: string[]): NodeModel | undefined {
  if (!isPlainObject(raw)) {
    problems.push(`${where} must be an object`);
    return undefined;
  }
  const id = nodeKey(raw.id);
  if (id === undefined) {
    problems.push(`${where} needs an "id" (integer or string)`);
    return undefined;
  }
  const at = `${where} (#${id})`;
  if (typeof raw.type !== 'string' || raw.type === '') {
    problems.push(`${at} needs a "type" (the node class)`);
    return undefined;
  }
  let ok = true;
  const fail = (message: string) => {
    problems.push(`${at} ${raw.type}: ${message}`);
    ok = false;
  };
  const mode = raw.mode ?? 0;
  if (typeof mode !== 'number' || !Number.isInteger(mode)) fail('"mode" must be an integer');
  if (raw.title !== undefined && typeof raw.title !== 'string') fail('"title" must be a string');
  const widgetsValues = raw.widgets_values;
  if (widgetsValues !== undefined && widgetsValues !== null && !Array.isArray(widgetsValues) && !isPlainObject(widgetsValues)) {
    fail('"widgets_values" must be an array or an object');
  }
  if (raw.properties !== undefined && raw.properties !== null && !isPlainObject(raw.properties)) fail('"properties" must be an object');
  const inputs: InputModel[] = [];
  if (raw.inputs !== undefined && raw.inputs !== null) {
    if (!Array.isArray(raw.inputs)) fail('"inputs" must be an array');
    else {
      for (const [i, input] of raw.inputs.entries()) {
        if (!isPlainObject(input) || typeof input.name !== 'string') {
          fail(`inputs[${i}] needs a "name"`);
          continue;
        }
        const link = input.link ?? null;
        if (link !== null && !isLinkId(link)) {
          fail(`input "${input.name}" has a bad "link" ${short(link)}`);
          continue;
        }
        const widget = isPlainObject(input.widget) && typeof input.widget.name === 'string' ? input.widget.name : undefined;
        inputs.push({ name: input.name, type: input.type, link: link as number | null, ...(widget !== undefined && { widget }) });
      }
    }
  }
  const outputs: OutputModel[] = [];
  if (raw.outputs !== undefined && raw.outputs !== null) {
    if (!Array.isArray(raw.outputs)) fail('"outputs" must be an array');
    else {
      for (const [i, output] of raw.outputs.entries()) {
        if (!isPlainObject(output)) {
          fail(`outputs[${i}] must be an object`);
          continue;
        }
        const widget = isPlainObject(output.widget) && typeof output.widget.name === 'string' ? output.widget.name : undefined;
        outputs.push({ name: typeof output.name === 'string' ? output.name : String(i), type: output.type, ...(widget !== undefined && { widget }) });
      }
    }
  }
  if (!ok) return undefined;
  return {
    key: id,
    type: raw.type,
    mode: mode as number,
    ...(typeof raw.title === 'string' && { title: raw.title }),
    inputs,
    outputs,
    ...((Array.isArray(widgetsValues) || isPlainObject(widgetsValues)) && { widgetsValues }),
    properties: isPlainObject(raw.properties) ? raw.properties : {},
    raw: raw as unknown as UiNode,
  };
}

function parseLink(raw: unknown, where: string, problems: string[]): LinkModel | undefined {
  let fields: unknown[];
  if (Array.isArray(raw)) fields = raw.slice(0, 6);
  else if (isPlainObject(raw)) fields = [raw.id, raw.origin_id, raw.origin_slot, raw.target_id, raw.target_slot, raw.type];
  else {
    problems.push(`${where} must be an array or an object`);
    return undefined;
  }
  const [id, originId, originSlot, targetId, targetSlot, type] = fields;
  const origin = nodeKey(originId);
  const target = nodeKey(targetId);
  const from = slotIndex(originSlot);
  const to = slotIndex(targetSlot);
  if (!isLinkId(id) || origin === undefined || target === undefined || from === undefined || to === undefined) {
    problems.push(`${where} is not a valid link (id, origin node, origin slot, target node, target slot): ${short(raw)}`);
    return undefined;
  }
  return { id, originId: origin, originSlot: from, targetId: target, targetSlot: to, type };
}

/** Node ids are integers or strings; the API prompt keys them by their string form. */
export function nodeKey(id: unknown): string | undefined {
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  if (typeof id === 'string' && id !== '' && id.length <= 200) return id;
  return undefined;
}

function isLinkId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** Slot indices are integers, or (in some old files) strings of digits. */
function slotIndex(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,9}$/.test(value)) return Number(value);
  return undefined;
}

function short(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
