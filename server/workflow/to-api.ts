// UI format -> API format, as ComfyUI's frontend does when it queues a workflow (spec §5.5):
// widget values mapped by object_info, links resolved through reroutes, primitives, bypassed
// nodes and subgraphs; muted and virtual nodes left out; dangling links removed at the end.
import type { ApiPrompt, LinkRef, ObjectInfo, PromptNode } from '../../types/api.ts';
import { isLink } from '../../types/api.ts';
import { typesCompatible } from '../runtime/schema.ts';
import { UnknownNodeTypesError, WorkflowError, type UnknownNodeType } from './errors.ts';
import { cloneJson, put } from './json.ts';
import { expandGroupNodes } from './group-nodes.ts';
import { packHint } from './known-packs.ts';
import { promotedValues, type PromotedValues } from './promoted.ts';
import {
  isPlainObject,
  parseWorkflow,
  SUBGRAPH_INPUT_ID,
  SUBGRAPH_OUTPUT_ID,
  type GraphModel,
  type NodeModel,
  type WorkflowModel,
} from './parse.ts';
import { applyTextReplacements, FRONTEND_SAVE_TYPES, processDynamicPrompt, type ReplacementNode } from './replacements.ts';
import { UE_TYPES, applyUseEverywhere } from './use-everywhere.ts';
import { migrateFormerCore } from './former-core.ts';
import { readSavedWidgets } from './saved-widgets.ts';
import { widgetSlots } from './widgets.ts';

export const MODE_MUTED = 2;
export const MODE_BYPASS = 4;

/** Frontend-only node types: they shape the graph but never reach the server. */
export const VIRTUAL_TYPES = new Set(['Reroute', 'PrimitiveNode', 'Note', 'MarkdownNote']);

/** ComfyUI-KJNodes' Set/Get pair: a GetNode outputs whatever feeds the SetNode of the same name. */
export const SET_NODE = 'SetNode';
export const GET_NODE = 'GetNode';

const MAX_SUBGRAPH_DEPTH = 16;

export interface ConversionResult {
  prompt: ApiPrompt;
  /** Things the user should know (links to missing nodes...) that did not stop the conversion. */
  warnings: string[];
}

export interface ConvertOptions {
  /** Names the pack providing a node class the registry lacks (e.g. a list of optional packs). */
  packOf?: (type: string) => string | undefined;
  /** The time `%date:...%` in filename prefixes expands to (default: now). */
  now?: Date;
  /** Picks dynamic prompt options (`{a|b}`), like Math.random (the default). */
  random?: () => number;
}

interface Scope {
  graph: GraphModel;
  /** Prepended to node ids: `""` at the root, `"<instance>:"` inside a subgraph. */
  prefix: string;
  parent?: { scope: Scope; instance: NodeModel };
  depth: number;
  /** Values the instance's `proxyWidgets` promotion sets (newer frontends). */
  promoted?: PromotedValues;
}

/** What feeds an input once virtual and bypassed nodes are seen through. */
type Resolution =
  | { kind: 'link'; link: LinkRef }
  | { kind: 'literal'; value: unknown }
  /** Nothing feeds it: the input is removed, as the frontend does. */
  | { kind: 'drop'; warning?: string }
  /** Nothing feeds it but the node's own widget value stands. */
  | { kind: 'keep'; warning?: string };

export function uiToApi(workflow: unknown, objectInfo: ObjectInfo, options: ConvertOptions = {}): ConversionResult {
  const migrated = isModel(workflow) ? { workflow, warnings: [] } : migrateFormerCore(workflow, objectInfo);
  const model = applyUseEverywhere(expandGroupNodes(isModel(workflow) ? workflow : parseWorkflow(migrated.workflow), objectInfo));
  const result = new Converter(model, objectInfo, options).run();
  return { prompt: result.prompt, warnings: [...migrated.warnings, ...result.warnings] };
}

function isModel(value: unknown): value is WorkflowModel {
  return isPlainObject(value) && value.graph !== undefined && value.subgraphs instanceof Map;
}

class Converter {
  readonly prompt: ApiPrompt = {};
  readonly warnings: string[] = [];
  readonly unknown = new Map<string, UnknownNodeType>();
  private replacementNodes?: ReplacementNode[];

  constructor(
    readonly model: WorkflowModel,
    readonly objectInfo: ObjectInfo,
    readonly options: ConvertOptions,
  ) {}

  run(): ConversionResult {
    this.emitScope({ graph: this.model.graph, prefix: '', depth: 0 });
    if (this.unknown.size > 0) throw new UnknownNodeTypesError([...this.unknown.values()]);
    this.dropDanglingLinks();
    return { prompt: this.prompt, warnings: this.warnings };
  }

  emitScope(scope: Scope): void {
    for (const node of scope.graph.nodes.values()) {
      if (VIRTUAL_TYPES.has(node.type) || node.type === SET_NODE || node.type === GET_NODE || UE_TYPES.has(node.type) || node.mode === MODE_MUTED || node.mode === MODE_BYPASS) continue;
      if (this.model.subgraphs.has(node.type)) {
        this.emitScope(this.childScope(scope, node));
        continue;
      }
      this.emitNode(scope, node);
    }
  }

  childScope(scope: Scope, instance: NodeModel): Scope {
    if (scope.depth >= MAX_SUBGRAPH_DEPTH) {
      throw new WorkflowError(`subgraph ${instance.type} at #${scope.prefix}${instance.key} is nested more than ${MAX_SUBGRAPH_DEPTH} levels deep (does it contain itself?)`);
    }
    const graph = this.model.subgraphs.get(instance.type)!;
    const promoted = promotedValues(instance, graph, (node, name) => this.hasWidget(node, name));
    return { graph, prefix: `${scope.prefix}${instance.key}:`, parent: { scope, instance }, depth: scope.depth + 1, ...(promoted && { promoted }) };
  }

  hasWidget(node: NodeModel, name: string): boolean {
    if (node.type === 'PrimitiveNode') return name === 'value' || node.outputs[0]?.widget === name;
    const info = Object.hasOwn(this.objectInfo, node.type) ? this.objectInfo[node.type] : undefined;
    return info !== undefined && widgetSlots(info).some((s) => s.kind === 'value' && s.name === name);
  }

  emitNode(scope: Scope, node: NodeModel): void {
    const id = scope.prefix + node.key;
    const info = Object.hasOwn(this.objectInfo, node.type) ? this.objectInfo[node.type] : undefined;
    if (!info) {
      const known = this.unknown.get(node.type);
      if (known) known.nodes.push(id);
      else {
        const pack = packHint(node.type, node.properties) ?? this.options.packOf?.(node.type);
        this.unknown.set(node.type, { type: node.type, nodes: [id], ...(pack !== undefined && { pack }) });
      }
      return;
    }
    const where = `node #${id} ${node.type}`;
    const inputs: Record<string, unknown> = {};
    const saved = readSavedWidgets(node.type, info, node.widgetsValues, where);
    if (saved.unfit) throw new WorkflowError(saved.unfit);
    if (saved.refit) this.warnings.push(saved.refit);
    const widgets = saved.widgets;
    const promoted = scope.promoted?.widgets.get(node.key);
    for (const widget of widgets) {
      if (promoted?.has(widget.slot.name)) widget.value = promoted.get(widget.slot.name);
      if (!widget.slot.toPrompt || widget.value === undefined) continue;
      let value = widget.value;
      if (widget.slot.type === 'STRING' && widget.slot.spec.dynamicPrompts === true && typeof value === 'string') {
        value = processDynamicPrompt(value, this.options.random ?? Math.random);
      }
      if (widget.slot.name === 'filename_prefix' && typeof value === 'string' && isSaveNode(node.type, info)) {
        value = applyTextReplacements(value, this.nodesForReplacements(), this.options.now ?? new Date(), (message) =>
          this.warnings.push(`${where} widget "filename_prefix": ${message}`),
        );
      }
      put(inputs, widget.slot.name, literal(value, `${where} widget "${widget.slot.name}"`));
    }
    for (const input of node.inputs) {
      if (input.link === null) continue;
      const name = input.widget ?? input.name;
      const resolved = this.resolveLink(scope, input.link, typeName(input.type), new Set());
      if ('warning' in resolved && resolved.warning) this.warnings.push(`${where} input "${name}": ${resolved.warning}`);
      if (resolved.kind === 'link') put(inputs, name, resolved.link);
      else if (resolved.kind === 'literal') {
        // A value a PrimitiveNode (or a promoted input) gives a widget is serialised by that widget.
        const slot = widgets.find((w) => w.slot.name === name)?.slot;
        const value = slot?.type === 'STRING' && slot.spec.dynamicPrompts === true && typeof resolved.value === 'string' ? processDynamicPrompt(resolved.value, this.options.random ?? Math.random) : resolved.value;
        put(inputs, name, literal(value, `${where} input "${name}"`));
      }
      else if (resolved.kind === 'drop') delete inputs[name];
    }
    const entry: PromptNode = { inputs, class_type: node.type, _meta: { title: node.title ?? info.display_name ?? node.type } };
    put(this.prompt, id, entry);
  }

  /** Every node of the workflow, subgraph contents included, as `%Node.widget%` looks them up. */
  nodesForReplacements(): ReplacementNode[] {
    if (this.replacementNodes) return this.replacementNodes;
    const list: ReplacementNode[] = [];
    const visit = (graph: GraphModel, depth: number) => {
      for (const node of graph.nodes.values()) {
        list.push(this.replacementNode(node));
        const inner = this.model.subgraphs.get(node.type);
        if (inner && depth < MAX_SUBGRAPH_DEPTH) visit(inner, depth + 1);
      }
    };
    visit(this.model.graph, 0);
    this.replacementNodes = list;
    return list;
  }

  replacementNode(node: NodeModel): ReplacementNode {
    const info = Object.hasOwn(this.objectInfo, node.type) ? this.objectInfo[node.type] : undefined;
    // The editor gives every node of a server class except the save nodes this property.
    const searchName = Object.hasOwn(node.properties, 'Node name for S&R')
      ? node.properties['Node name for S&R']
      : info && !isSaveNode(node.type, info)
        ? node.type
        : undefined;
    return {
      title: node.title ?? info?.display_name ?? node.type,
      searchName,
      widget: (name) => {
        if (node.type === 'PrimitiveNode') {
          const values = node.widgetsValues;
          return node.outputs[0]?.widget === name && Array.isArray(values) ? { value: values[0] } : undefined;
        }
        if (!info) return undefined;
        const found = readSavedWidgets(node.type, info, node.widgetsValues, node.key).widgets.find((w) => w.slot.name === name);
        return found && { value: found.value };
      },
    };
  }

  resolveLink(scope: Scope, linkId: number, targetType: string, seen: Set<string>): Resolution {
    const link = scope.graph.links.get(linkId);
    if (!link) return { kind: 'keep', warning: `link ${linkId} does not exist in the file` };
    return this.resolveOrigin(scope, link.originId, link.originSlot, targetType, seen, linkId);
  }

  resolveOrigin(scope: Scope, originId: string, slot: number, targetType: string, seen: Set<string>, linkId: number): Resolution {
    const visit = `${scope.prefix}${originId}/${slot}`;
    if (seen.has(visit)) throw new WorkflowError(`links form a cycle through node #${scope.prefix}${originId} (reroutes or bypassed nodes feeding themselves)`);
    seen.add(visit);

    if (originId === SUBGRAPH_INPUT_ID && scope.parent) return this.resolveSubgraphInput(scope, slot, targetType, seen);
    const origin = scope.graph.nodes.get(originId);
    if (!origin) return { kind: 'drop', warning: `link ${linkId} comes from node #${scope.prefix}${originId}, which is not in the workflow` };

    if (origin.mode === MODE_MUTED) return { kind: 'drop' };
    if (origin.mode === MODE_BYPASS) {
      const through = bypassInput(origin, slot, targetType);
      const input = through >= 0 ? origin.inputs[through] : undefined;
      if (!input || input.link === null) return { kind: 'drop' };
      return this.resolveLink(scope, input.link, targetType, seen);
    }
    if (origin.type === 'Reroute') {
      const input = origin.inputs[0];
      if (!input || input.link === null) return { kind: 'drop' };
      return this.resolveLink(scope, input.link, targetType, seen);
    }
    if (origin.type === SET_NODE) {
      // A SetNode's output passes its input on.
      const input = origin.inputs[slot] ?? origin.inputs[0];
      if (!input || input.link === null) return { kind: 'drop' };
      return this.resolveLink(scope, input.link, targetType, seen);
    }
    if (origin.type === GET_NODE) {
      const { scope: setScope, node: setter } = this.findSetter(scope, origin);
      const input = setter.inputs[slot] ?? setter.inputs[0];
      if (!input || input.link === null) {
        return { kind: 'drop', warning: `SetNode #${setScope.prefix}${setter.key} "${constantName(setter)}" has nothing connected` };
      }
      return this.resolveLink(setScope, input.link, targetType, seen);
    }
    if (origin.type === 'PrimitiveNode') {
      const promoted = scope.promoted?.widgets.get(origin.key);
      if (promoted && promoted.size > 0) return { kind: 'literal', value: [...promoted.values()][0] };
      const values = origin.widgetsValues;
      const value = Array.isArray(values) ? values[0] : isPlainObject(values) ? values.value : undefined;
      return value === undefined ? { kind: 'keep' } : { kind: 'literal', value };
    }
    if (VIRTUAL_TYPES.has(origin.type)) return { kind: 'drop' };
    const subgraph = this.model.subgraphs.get(origin.type);
    if (subgraph) {
      const inner = [...subgraph.links.values()].find((l) => l.targetId === SUBGRAPH_OUTPUT_ID && l.targetSlot === slot);
      if (!inner) return { kind: 'drop' };
      return this.resolveOrigin(this.childScope(scope, origin), inner.originId, inner.originSlot, targetType, seen, inner.id);
    }
    return { kind: 'link', link: [scope.prefix + originId, slot] };
  }

  /**
   * The SetNode a GetNode reads, as KJNodes looks it up: in the GetNode's own graph first, then in
   * each graph containing it (a subgraph sees its parents' SetNodes, not its siblings').
   */
  findSetter(scope: Scope, getter: NodeModel): { scope: Scope; node: NodeModel } {
    const where = `GetNode #${scope.prefix}${getter.key}${getter.title !== undefined ? ` "${getter.title}"` : ''}`;
    const name = constantName(getter);
    if (name === '') throw new WorkflowError(`${where} has no constant name selected`);
    const found: { scope: Scope; node: NodeModel }[] = [];
    for (let at: Scope | undefined = scope; at; at = at.parent?.scope) {
      for (const node of at.graph.nodes.values()) {
        if (node.type === SET_NODE && constantName(node) === name) found.push({ scope: at, node });
      }
      // A SetNode in the GetNode's own graph is the one used; only ancestors' names can clash.
      if (at === scope && found.length === 1) return found[0]!;
    }
    if (found.length === 0) throw new WorkflowError(`${where} reads "${name}", but no SetNode is named "${name}" in its graph or a graph containing it`);
    if (found.length > 1) {
      throw new WorkflowError(`${where} reads "${name}", which ${found.length} SetNodes are named (${found.map((f) => `#${f.scope.prefix}${f.node.key}`).join(', ')}): rename all but one`);
    }
    return found[0]!;
  }

  /** A link from a subgraph's input: continue outside at the instance, or use its promoted value. */
  resolveSubgraphInput(scope: Scope, slot: number, targetType: string, seen: Set<string>): Resolution {
    const { scope: outer, instance } = scope.parent!;
    const input = instance.inputs[slot];
    if (input && input.link !== null) return this.resolveLink(outer, input.link, targetType, seen);
    if (input?.widget !== undefined) {
      if (scope.promoted?.inputs.has(input.widget)) return { kind: 'literal', value: scope.promoted.inputs.get(input.widget) };
      const values = instance.widgetsValues;
      if (isPlainObject(values) && Object.hasOwn(values, input.widget)) return { kind: 'literal', value: values[input.widget] };
      if (Array.isArray(values)) {
        const position = instance.inputs.filter((i) => i.widget !== undefined).indexOf(input);
        if (position < values.length) return { kind: 'literal', value: values[position] };
      }
    }
    return { kind: 'drop' };
  }

  /** Step 4 of the frontend's conversion: links to nodes that were not emitted are removed. */
  dropDanglingLinks(): void {
    for (const [id, node] of Object.entries(this.prompt)) {
      for (const [name, value] of Object.entries(node.inputs)) {
        if (isLink(value) && !Object.hasOwn(this.prompt, value[0])) {
          delete node.inputs[name];
          this.warnings.push(`node #${id} ${node.class_type} input "${name}": its source #${value[0]} is not part of the prompt; input removed`);
        }
      }
    }
  }
}

/**
 * Which input of a bypassed node stands in for its output `slot` (spec §5.5): the same index when
 * its type fits, else the first input of exactly the target type, else the first compatible one.
 */
export function bypassInput(node: NodeModel, slot: number, targetType: string): number {
  const inputs = node.inputs;
  if (inputs.length === 0) return -1;
  if (targetType === '*' || targetType === '') return slot < inputs.length ? slot : 0;
  const outputType = typeName(node.outputs[slot]?.type);
  const same = inputs[slot];
  if (same && typesCompatible(typeName(same.type), outputType) && typesCompatible(typeName(same.type), targetType)) return slot;
  const exact = inputs.findIndex((input) => typeName(input.type) === targetType);
  if (exact >= 0) return exact;
  return inputs.findIndex((input) => typesCompatible(typeName(input.type), targetType));
}

/** Nodes whose `filename_prefix` the frontend expands: its list of save nodes, and our output nodes with one. */
function isSaveNode(type: string, info: ObjectInfo[string]): boolean {
  if (FRONTEND_SAVE_TYPES.has(type)) return true;
  return info.output_node === true && widgetSlots(info).some((s) => s.kind === 'value' && s.name === 'filename_prefix' && s.type === 'STRING');
}

/** The constant name a SetNode or GetNode holds in its only widget. */
function constantName(node: NodeModel): string {
  const values = node.widgetsValues;
  const value = Array.isArray(values) ? values[0] : isPlainObject(values) ? values.Constant : undefined;
  return typeof value === 'string' ? value : '';
}

/** Link and slot types in files are strings, but old files hold numbers or arrays: treat as any. */
function typeName(type: unknown): string {
  return typeof type === 'string' && type !== '' ? type : '*';
}

/** A widget value as the API carries it: lists wrapped so they cannot be read as links. */
function literal(value: unknown, where: string): unknown {
  const copy = cloneJson(value, where);
  return Array.isArray(copy) ? { __value__: copy } : copy;
}
