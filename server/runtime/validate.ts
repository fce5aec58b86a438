// Prompt validation with ComfyUI's observable results: the same error types, messages and
// node_errors layout, so clients that read them (the ComfyUI frontend, scripts) work unchanged.
import { isLink, type ApiPrompt, type NodeErrors, type PromptNode, type ValidationError } from '../../types/api.ts';
import { inputInfo, type NodeRegistry } from './registry.ts';
import {
  comboOptions,
  declaredInputs,
  isPrimitiveType,
  typesCompatible,
  type InputSpec,
  type NodeDefinition,
  type NodeInputs,
  type NodeStorage,
} from './schema.ts';

export interface HostEnvironment {
  storage: NodeStorage;
  services: Readonly<Record<string, unknown>>;
}

export type ValidationResult =
  | { ok: true; prompt: ApiPrompt; outputs: string[]; nodeErrors: NodeErrors }
  | { ok: false; error: ValidationError; nodeErrors: NodeErrors };

export function topLevelError(type: string, message: string, details = ''): ValidationError {
  return { type, message, details, extra_info: {} };
}

/**
 * Validates an API-format prompt. Returns a coerced copy (literals converted to their declared
 * types, `{__value__}` wrappers removed, numeric link ids stringified) and the outputs to run.
 * Like ComfyUI, outputs that fail are dropped while valid ones still run; the prompt fails only
 * when no output is valid.
 */
export async function validatePrompt(
  input: unknown,
  registry: NodeRegistry,
  env: HostEnvironment,
  partialTargets?: readonly string[],
): Promise<ValidationResult> {
  const shaped = normalizePrompt(input);
  if ('error' in shaped) return { ok: false, error: shaped.error, nodeErrors: shaped.nodeErrors };
  const prompt = shaped.prompt;
  const unknown = unknownClassErrors(prompt, registry);
  if (unknown) return unknown;

  let outputs = Object.keys(prompt).filter((id) => registry.get(prompt[id]!.class_type)?.outputNode === true);
  if (partialTargets !== undefined) {
    const wanted = new Set(partialTargets.map(String));
    outputs = outputs.filter((id) => wanted.has(id));
  }
  if (outputs.length === 0) {
    return { ok: false, error: topLevelError('prompt_no_outputs', 'Prompt has no outputs'), nodeErrors: {} };
  }

  const validator = new Validator(prompt, registry, env);
  const good: string[] = [];
  const outputReasons: string[] = [];
  for (const outputId of outputs) {
    const valid = await validator.validate(outputId);
    validator.noteDependentOutput(outputId);
    if (valid) {
      good.push(outputId);
    } else {
      const own = validator.errors.get(outputId)?.errors ?? [];
      const reasons = own.length > 0 ? own : [{ message: 'Required input failed validation', details: 'an upstream node is invalid' }];
      for (const r of reasons) outputReasons.push(`${r.message}: ${r.details}`);
    }
  }
  const nodeErrors = validator.nodeErrors();
  if (good.length === 0) {
    return {
      ok: false,
      error: topLevelError('prompt_outputs_failed_validation', 'Prompt outputs failed validation', outputReasons.join('\n')),
      nodeErrors,
    };
  }
  return { ok: true, prompt, outputs: good, nodeErrors };
}

type Shaped = { prompt: ApiPrompt } | { error: ValidationError; nodeErrors: NodeErrors };

/** Structure checks done on every node, connected or not. */
function normalizePrompt(input: unknown): Shaped {
  if (!isPlainObject(input)) {
    return { error: topLevelError('invalid_prompt', 'Cannot execute because the prompt is not an object of nodes.'), nodeErrors: {} };
  }
  const prompt: ApiPrompt = {};
  for (const [id, raw] of Object.entries(input)) {
    if (!isPlainObject(raw) || typeof raw.class_type !== 'string' || raw.class_type === '') {
      return {
        error: topLevelError('invalid_prompt', 'Cannot execute because a node is missing the class_type property.', `Node ID '#${id}'`),
        nodeErrors: {},
      };
    }
    const inputs = raw.inputs === undefined ? {} : raw.inputs;
    if (!isPlainObject(inputs)) {
      return {
        error: topLevelError('invalid_prompt', `Cannot execute because node ${id} has inputs that are not an object.`, `Node ID '#${id}'`),
        nodeErrors: {},
      };
    }
    const node: PromptNode = { ...(raw as object), class_type: raw.class_type, inputs: structuredClone(inputs) };
    prompt[id] = node;
  }
  // Lenient like ComfyUI's newer servers: `[3, 0]` is a link when node "3" exists.
  for (const node of Object.values(prompt)) {
    for (const [name, value] of Object.entries(node.inputs)) {
      if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && Number.isInteger(value[1]) && String(value[0]) in prompt) {
        node.inputs[name] = [String(value[0]), value[1]];
      }
    }
  }
  return { prompt };
}

/** Unknown classes fail the whole prompt (as in ComfyUI); every one of them is listed. */
function unknownClassErrors(prompt: ApiPrompt, registry: NodeRegistry): ValidationResult | undefined {
  const nodeErrors: NodeErrors = {};
  let first: ValidationError | undefined;
  for (const [id, node] of Object.entries(prompt)) {
    if (registry.has(node.class_type)) continue;
    const error = topLevelError('invalid_prompt', `Cannot execute because node ${node.class_type} does not exist.`, `Node ID '#${id}'`);
    first ??= error;
    nodeErrors[id] = { errors: [error], dependent_outputs: [], class_type: node.class_type };
  }
  return first ? { ok: false, error: first, nodeErrors } : undefined;
}

class Validator {
  readonly errors = new Map<string, { classType: string; errors: ValidationError[]; outputs: Set<string> }>();
  readonly #done = new Map<string, Promise<boolean>>();
  readonly #visiting = new Set<string>();
  readonly #inCycle = new Set<string>();

  constructor(
    readonly prompt: ApiPrompt,
    readonly registry: NodeRegistry,
    readonly env: HostEnvironment,
  ) {}

  nodeErrors(): NodeErrors {
    const out: NodeErrors = {};
    for (const [id, entry] of this.errors) {
      if (entry.errors.length === 0) continue;
      out[id] = { errors: entry.errors, dependent_outputs: [...entry.outputs], class_type: entry.classType };
    }
    return out;
  }

  /** Whether `id` and everything it depends on is valid; errors are recorded per node. */
  validate(id: string): Promise<boolean> {
    if (this.#visiting.has(id)) {
      this.#markCycle(id);
      return Promise.resolve(false);
    }
    let done = this.#done.get(id);
    if (!done) {
      this.#visiting.add(id);
      done = this.#validateNode(id).finally(() => this.#visiting.delete(id));
      this.#done.set(id, done);
    }
    return done;
  }

  /** Every node on the current path from the repeated node back to itself is in the cycle. */
  #markCycle(id: string): void {
    const path = [...this.#visiting];
    const cycle = path.slice(path.indexOf(id));
    for (const member of cycle) {
      if (this.#inCycle.has(member)) continue;
      this.#inCycle.add(member);
      this.#add(member, {
        type: 'dependency_cycle',
        message: 'Dependency cycle detected',
        details: `node ${member} is part of the cycle ${[...cycle, id].join(' -> ')}`,
        extra_info: { cycle },
      });
    }
  }

  /** Adds `outputId` to `dependent_outputs` of every failing node it depends on. */
  noteDependentOutput(outputId: string): void {
    if (this.errors.size === 0) return;
    const seen = new Set<string>();
    const stack = [outputId];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      this.errors.get(id)?.outputs.add(outputId);
      for (const value of Object.values(this.prompt[id]?.inputs ?? {})) {
        if (isLink(value) && value[0] in this.prompt) stack.push(value[0]);
      }
    }
  }

  #add(id: string, error: ValidationError): void {
    let entry = this.errors.get(id);
    if (!entry) {
      entry = { classType: this.prompt[id]?.class_type ?? '', errors: [], outputs: new Set() };
      this.errors.set(id, entry);
    }
    entry.errors.push(error);
  }

  async #validateNode(id: string): Promise<boolean> {
    const node = this.prompt[id]!;
    const def = this.registry.get(node.class_type)!;
    let valid = true;
    const fail = (error: ValidationError) => {
      valid = false;
      this.#add(id, error);
    };
    const literals: NodeInputs = {};
    const inputTypes: Record<string, string> = {};

    for (const [name, spec, required] of declaredInputs(def)) {
      // Rendered only for error reports: a dynamic combo lists files to render.
      const config = () => inputInfo(spec, this.env.storage);
      if (!(name in node.inputs)) {
        if (required) {
          fail({ type: 'required_input_missing', message: 'Required input is missing', details: name, extra_info: { input_name: name } });
        }
        continue;
      }
      const value = node.inputs[name];
      if (Array.isArray(value)) {
        if (!(await this.#validateLink(name, spec, config, value, fail, def.validatesLinkTypes === true))) valid = false;
        const source = isLink(value) ? this.prompt[value[0]] : undefined;
        const sourceType = source && this.registry.get(source.class_type)?.outputs?.[value[1] as number]?.type;
        if (sourceType) inputTypes[name] = sourceType;
        literals[name] = null;
        continue;
      }
      const literal = this.#checkLiteral(def, name, spec, config, value, fail);
      if (literal.ok) {
        node.inputs[name] = literal.value;
        literals[name] = literal.value;
      }
    }

    if (def.validateInputs) {
      try {
        const verdict = await def.validateInputs(literals, this.env, inputTypes);
        if (verdict !== true) {
          // A validator that names no input still fails the node (with an empty input name).
          const names = def.validatedInputs === undefined || def.validatedInputs === '*' || def.validatedInputs.length === 0 ? [''] : def.validatedInputs;
          for (const name of names) {
            const details = typeof verdict === 'string' ? (name ? `${name} - ${verdict}` : verdict) : name;
            fail({ type: 'custom_validation_failed', message: 'Custom validation failed for node', details, extra_info: { input_name: name } });
          }
        }
      } catch (error) {
        fail({
          type: 'exception_during_validation',
          message: 'Exception when validating node',
          details: errorMessage(error),
          extra_info: { exception_type: errorType(error), traceback: stackLines(error) },
        });
      }
    }
    return valid && !this.#inCycle.has(id);
  }

  async #validateLink(
    name: string,
    spec: InputSpec,
    config: () => unknown,
    value: unknown[],
    fail: (e: ValidationError) => void,
    nodeChecksTypes: boolean,
  ): Promise<boolean> {
    if (!isLink(value)) {
      fail({
        type: 'bad_linked_input',
        message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
        details: name,
        extra_info: { input_name: name, input_config: config(), received_value: value },
      });
      return false;
    }
    const [sourceId, slot] = value;
    const source = this.prompt[sourceId];
    if (!source) {
      fail(innerError(name, config, sourceId, `Input "${name}" is linked to node '${sourceId}', which is not in the prompt`));
      return false;
    }
    const sourceDef = this.registry.get(source.class_type)!;
    const sourceOutputs = sourceDef.outputs ?? [];
    const output = sourceOutputs[slot];
    if (!output) {
      fail(
        innerError(
          name,
          config,
          sourceId,
          `Input "${name}" is linked to output slot ${slot} of node '${sourceId}' (${source.class_type}), which has ${sourceOutputs.length} output(s)`,
        ),
      );
      return false;
    }
    if (!nodeChecksTypes && !typesCompatible(output.type, spec.type) && !(spec.type === 'COMBO' && output.type === 'COMBO')) {
      fail({
        type: 'return_type_mismatch',
        message: 'Return type mismatch between linked nodes',
        details: `${name}, received_type(${output.type}) mismatch input_type(${spec.type})`,
        extra_info: { input_name: name, input_config: config(), received_type: output.type, linked_node: value },
      });
      return false;
    }
    return this.validate(sourceId);
  }

  #checkLiteral(
    def: NodeDefinition,
    name: string,
    spec: InputSpec,
    config: () => unknown,
    raw: unknown,
    fail: (e: ValidationError) => void,
  ): { ok: true; value: unknown } | { ok: false } {
    const value = isPlainObject(raw) && '__value__' in raw ? raw.__value__ : raw;
    const checkedByNode = def.validateInputs !== undefined && (def.validatedInputs === '*' || (def.validatedInputs ?? []).includes(name));
    if (spec.type === 'COMBO') {
      if (!checkedByNode) {
        const options = comboOptions(spec as Extract<InputSpec, { type: 'COMBO' }>, this.env.storage);
        if (!options.includes(value as string)) {
          const listed = options.length > 20 ? `(list of length ${options.length})` : JSON.stringify(options);
          fail({
            type: 'value_not_in_list',
            message: 'Value not in list',
            details: `${name}: '${String(value)}' not in ${listed}`,
            extra_info: { input_name: name, input_config: options.length > 20 ? null : config(), received_value: value },
          });
          return { ok: false };
        }
      }
      return { ok: true, value };
    }
    if (!isPrimitiveType(spec.type)) {
      // The node's validator judges the raw literal itself (ComfyUI passes literals of socket
      // types through unchanged, e.g. 5.0 into an "IMAGE,FLOAT" input).
      if (spec.type === '*' || checkedByNode) return { ok: true, value };
      // A union naming a primitive type ("IMAGE,FLOAT") takes a literal of that type.
      for (const member of spec.type.split(',').map((t) => t.trim())) {
        if (!isPrimitiveType(member)) continue;
        const converted = coerce(member, value);
        if (converted.ok) return converted;
      }
      fail({
        type: 'invalid_input_type',
        message: `Input expects a link from a ${spec.type} output`,
        details: `${name}, ${JSON.stringify(value)}, a literal cannot stand in for ${spec.type}`,
        extra_info: { input_name: name, input_config: config(), received_value: value, exception_message: 'literal given for a socket input' },
      });
      return { ok: false };
    }
    const coerced = coerce(spec.type, value);
    if (!coerced.ok) {
      fail({
        type: 'invalid_input_type',
        message: `Failed to convert an input value to a ${spec.type} value`,
        details: `${name}, ${JSON.stringify(value)}, ${coerced.reason}`,
        extra_info: { input_name: name, input_config: config(), received_value: value, exception_message: coerced.reason },
      });
      return { ok: false };
    }
    if (!checkedByNode && (spec.type === 'INT' || spec.type === 'FLOAT')) {
      const v = coerced.value as number;
      const { min, max } = spec as { min?: number; max?: number };
      if (min !== undefined && v < min) {
        fail({
          type: 'value_smaller_than_min',
          message: `Value ${v} smaller than min of ${min}`,
          details: name,
          extra_info: { input_name: name, input_config: config(), received_value: v },
        });
        return { ok: false };
      }
      if (max !== undefined && v > max) {
        fail({
          type: 'value_bigger_than_max',
          message: `Value ${v} bigger than max of ${max}`,
          details: name,
          extra_info: { input_name: name, input_config: config(), received_value: v },
        });
        return { ok: false };
      }
    }
    return coerced;
  }
}

function innerError(name: string, config: () => unknown, linkedNode: string, message: string): ValidationError {
  return {
    type: 'exception_during_inner_validation',
    message: 'Exception when validating inner node',
    details: message,
    extra_info: {
      input_name: name,
      input_config: config(),
      exception_message: message,
      exception_type: 'KeyError',
      traceback: [],
      linked_node: linkedNode,
    },
  };
}

const INTEGER_TEXT = /^\s*[+-]?\d+(_\d+)*\s*$/;
const FLOAT_TEXT = /^\s*[+-]?((\d+(_\d+)*)?\.?\d*([eE][+-]?\d+)?|inf(inity)?|nan)\s*$/i;

/** Literal coercion with Python's int()/float()/str()/bool() semantics, as ComfyUI applies. */
export function coerce(type: string, value: unknown): { ok: true; value: unknown } | { ok: false; reason: string } {
  switch (type) {
    case 'INT': {
      if (typeof value === 'boolean') return { ok: true, value: value ? 1 : 0 };
      if (typeof value === 'number') {
        return Number.isFinite(value) ? { ok: true, value: Math.trunc(value) } : { ok: false, reason: `cannot convert ${value} to integer` };
      }
      if (typeof value === 'string' && INTEGER_TEXT.test(value)) return { ok: true, value: Number(value.trim().replaceAll('_', '')) };
      return { ok: false, reason: `invalid literal for int(): ${JSON.stringify(value)}` };
    }
    case 'FLOAT': {
      if (typeof value === 'boolean') return { ok: true, value: value ? 1 : 0 };
      if (typeof value === 'number') return { ok: true, value };
      if (typeof value === 'string' && value.trim() !== '' && FLOAT_TEXT.test(value)) {
        const text = value.trim().toLowerCase().replaceAll('_', '');
        const parsed = text.endsWith('nan') ? NaN : text.includes('inf') ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text);
        if (!Number.isNaN(parsed) || text.endsWith('nan')) return { ok: true, value: parsed };
      }
      return { ok: false, reason: `could not convert ${JSON.stringify(value)} to float` };
    }
    case 'STRING':
      if (typeof value === 'string') return { ok: true, value };
      if (value === null || value === undefined) return { ok: false, reason: 'no value' };
      return { ok: true, value: typeof value === 'object' ? JSON.stringify(value) : String(value) };
    case 'BOOLEAN':
      return { ok: true, value: truthy(value) };
    default:
      return { ok: true, value };
  }
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function errorType(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

export function stackLines(error: unknown): string[] {
  return error instanceof Error && error.stack ? error.stack.split('\n').map((l) => `${l}\n`) : [];
}
