import type { InputInfo, NodeInfo, ObjectInfo } from '../../types/api.ts';
import {
  comboOptions,
  isPrimitiveType,
  type InputSpec,
  type NodeDefinition,
  type SchemaEnvironment,
} from './schema.ts';

/** Where a node class came from: the built-in pack or a third-party one. */
export interface PackOrigin {
  name: string;
  /** ComfyUI's `python_module`: "nodes" for built-ins, "custom_nodes.<pack>" for packs. */
  module: string;
  builtin: boolean;
}

export const CORE_PACK: PackOrigin = { name: 'core', module: 'nodes', builtin: true };

export class SchemaError extends Error {
  override name = 'SchemaError';
}

export class DuplicateNodeError extends Error {
  override name = 'DuplicateNodeError';
}

interface Entry {
  def: NodeDefinition;
  pack: PackOrigin;
}

const EMPTY_ENV: SchemaEnvironment = { listFiles: () => [] };

export class NodeRegistry {
  readonly #entries = new Map<string, Entry>();

  register(def: NodeDefinition, pack: PackOrigin = CORE_PACK): void {
    const problems = schemaProblems(def);
    if (problems.length > 0) {
      throw new SchemaError(`node ${JSON.stringify(def?.type)} has an invalid schema: ${problems.join('; ')}`);
    }
    const existing = this.#entries.get(def.type);
    if (existing) {
      throw new DuplicateNodeError(
        `node class "${def.type}" from pack "${pack.name}" is already defined by pack "${existing.pack.name}"; keeping the first`,
      );
    }
    this.#entries.set(def.type, { def, pack });
  }

  get(type: string): NodeDefinition | undefined {
    return this.#entries.get(type)?.def;
  }

  packOf(type: string): PackOrigin | undefined {
    return this.#entries.get(type)?.pack;
  }

  has(type: string): boolean {
    return this.#entries.has(type);
  }

  types(): string[] {
    return [...this.#entries.keys()];
  }

  objectInfo(env: SchemaEnvironment = EMPTY_ENV): ObjectInfo {
    const info: ObjectInfo = {};
    for (const type of this.#entries.keys()) {
      const one = this.nodeInfo(type, env);
      if (one) info[type] = one;
    }
    return info;
  }

  nodeInfo(type: string, env: SchemaEnvironment = EMPTY_ENV): NodeInfo | undefined {
    const entry = this.#entries.get(type);
    if (!entry) return undefined;
    const { def, pack } = entry;
    const required: Record<string, InputInfo> = {};
    const optional: Record<string, InputInfo> = {};
    for (const [name, spec] of Object.entries(def.inputs?.required ?? {})) required[name] = inputInfo(spec, env);
    for (const [name, spec] of Object.entries(def.inputs?.optional ?? {})) optional[name] = inputInfo(spec, env);
    const hidden = { ...(def.inputs?.hidden ?? {}) };
    const outputs = def.outputs ?? [];
    const info: NodeInfo = {
      input: { required },
      input_order: { required: Object.keys(required) },
      output: outputs.map((o) => o.type),
      output_is_list: outputs.map((o) => o.isList ?? false),
      output_name: outputs.map((o) => o.name ?? o.type),
      output_tooltips: outputs.map((o) => o.tooltip ?? null),
      name: def.type,
      display_name: def.displayName ?? def.type,
      description: def.description ?? '',
      python_module: pack.module,
      category: def.category ?? 'utils',
      output_node: def.outputNode ?? false,
    };
    if (Object.keys(optional).length > 0) {
      info.input.optional = optional;
      info.input_order.optional = Object.keys(optional);
    }
    if (Object.keys(hidden).length > 0) {
      info.input.hidden = hidden;
      info.input_order.hidden = Object.keys(hidden);
    }
    if (def.deprecated) info.deprecated = true;
    if (def.experimental) info.experimental = true;
    return info;
  }
}

/** One input as `/object_info` renders it: `[TYPE, options]`. */
export function inputInfo(spec: InputSpec, env: SchemaEnvironment): InputInfo {
  const { type, extra, ...rest } = spec as InputSpec & { options?: unknown };
  const options: Record<string, unknown> = { ...extra };
  for (const [key, value] of Object.entries(rest)) {
    if (key !== 'options' && value !== undefined) options[key] = value;
  }
  if (spec.type === 'COMBO') {
    const choices = [...comboOptions(spec as Extract<InputSpec, { type: 'COMBO' }>, env)];
    // The legacy form (the options list in the type slot) is what every client understands.
    return [choices, options];
  }
  return Object.keys(options).length > 0 ? [type, options] : [type];
}

const HIDDEN_KINDS = new Set(['PROMPT', 'EXTRA_PNGINFO', 'UNIQUE_ID', 'DYNPROMPT']);
const NAME_PATTERN = /^[A-Za-z_][\w.+\- ]*$/;

/** Everything wrong with a definition, so a pack author sees all problems at once. */
export function schemaProblems(def: NodeDefinition): string[] {
  const problems: string[] = [];
  if (!def || typeof def !== 'object') return ['definition is not an object'];
  if (typeof def.type !== 'string' || !NAME_PATTERN.test(def.type)) problems.push('`type` must be a class name');
  if (typeof def.execute !== 'function') problems.push('`execute` must be a function');
  const seen = new Set<string>();
  for (const group of ['required', 'optional'] as const) {
    const inputs = def.inputs?.[group];
    if (inputs === undefined) continue;
    if (typeof inputs !== 'object' || inputs === null) {
      problems.push(`inputs.${group} must be an object`);
      continue;
    }
    for (const [name, spec] of Object.entries(inputs)) {
      if (seen.has(name)) problems.push(`input "${name}" is declared twice`);
      seen.add(name);
      problems.push(...inputProblems(name, spec));
    }
  }
  for (const [name, kind] of Object.entries(def.inputs?.hidden ?? {})) {
    if (!HIDDEN_KINDS.has(kind)) problems.push(`hidden input "${name}" has unknown kind ${JSON.stringify(kind)}`);
  }
  if (def.outputs !== undefined && !Array.isArray(def.outputs)) problems.push('`outputs` must be an array');
  for (const [i, out] of (Array.isArray(def.outputs) ? def.outputs : []).entries()) {
    if (!out || typeof out.type !== 'string' || out.type === '') problems.push(`output ${i} needs a type`);
  }
  if ((def.outputs ?? []).length === 0 && !def.outputNode) problems.push('a node without outputs must be an output node');
  return problems;
}

function inputProblems(name: string, spec: InputSpec): string[] {
  if (!spec || typeof spec !== 'object' || typeof spec.type !== 'string' || spec.type === '') {
    return [`input "${name}" needs a type`];
  }
  const problems: string[] = [];
  if (spec.type === 'COMBO') {
    const options = (spec as { options?: unknown }).options;
    if (!Array.isArray(options) && typeof options !== 'function') problems.push(`combo "${name}" needs options`);
  }
  if (isPrimitiveType(spec.type) && (spec.type === 'INT' || spec.type === 'FLOAT')) {
    const { min, max } = spec as { min?: number; max?: number };
    if (min !== undefined && max !== undefined && min > max) problems.push(`input "${name}" has min > max`);
  }
  return problems;
}
