// Prompt validation with ComfyUI's observable results: the same error types, messages and
// node_errors layout, so clients that read them (the ComfyUI frontend, scripts) work unchanged.
import { isLink, type ApiPrompt, type NodeErrors, type PromptNode, type ValidationError } from '../../types/api.ts';
import { MAX_JSON_DEPTH, nestingDepthExceeds, tooDeepMessage } from './json-depth.ts';
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
 * The most nodes a prompt may have (400 past it), ten times the largest workflows in use.
 * Validation and ordering are iterative, so this is not the stack's limit: it bounds the work one
 * prompt causes, which grows with the square of its size (every progress_state message lists
 * every node started so far, as ComfyUI's does).
 */
export const MAX_PROMPT_NODES = 5_000;

/** A node table without a prototype: ids such as "constructor" or "__proto__" are plain keys. */
export function promptTable(entries: Iterable<readonly [string, PromptNode]> = []): ApiPrompt {
  const table: ApiPrompt = Object.create(null);
  for (const [id, node] of entries) table[id] = node;
  return table;
}

/** extra_data is kept in the queue file and in history: refuse what could not be stored. */
export function extraDataError(extraData: unknown): Extract<ValidationResult, { ok: false }> | undefined {
  if (!nestingDepthExceeds(extraData, MAX_JSON_DEPTH)) return undefined;
  return { ok: false, error: topLevelError('invalid_prompt', `Cannot execute because ${tooDeepMessage('extra_data')}`), nodeErrors: {} };
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
  const ids = Object.keys(input);
  if (ids.length > MAX_PROMPT_NODES) {
    return {
      error: topLevelError('invalid_prompt', `Cannot execute because the prompt has ${ids.length} nodes; the limit is ${MAX_PROMPT_NODES}.`),
      nodeErrors: {},
    };
  }
  const prompt = promptTable();
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
    // Checked before anything recursive (structuredClone, JSON.stringify) walks the values.
    const deep = Object.keys(inputs).find((name) => nestingDepthExceeds(inputs[name], MAX_JSON_DEPTH));
    if (deep !== undefined) {
      return {
        error: topLevelError('invalid_prompt', `Cannot execute because ${tooDeepMessage(`input "${deep}" of node ${id}`)}`, `Node ID '#${id}'`),
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

/** A node being validated: where its input checks stand (an explicit stack frame). */
interface Frame {
  id: string;
  node: PromptNode;
  def: NodeDefinition;
  inputs: [string, InputSpec, boolean][];
  /** Index of the next declared input to check. */
  next: number;
  valid: boolean;
  literals: NodeInputs;
  inputTypes: Record<string, string>;
  /** The source node validated before this frame goes on (its verdict counts for this node). */
  waitingFor?: string;
}

/** Cycle members whose ids an error lists in full; longer cycles are shortened. */
const CYCLE_SHOWN = 20;

class Validator {
  readonly errors = new Map<string, { classType: string; errors: ValidationError[]; outputs: Set<string> }>();
  readonly #verdicts = new Map<string, boolean>();
  /** The chain of nodes being validated, outermost first (each waits for the next). */
  readonly #path: Frame[] = [];
  readonly #onPath = new Set<string>();
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

  /**
   * Whether `id` and everything it depends on is valid; errors are recorded per node. Depth-first
   * through links like ComfyUI's recursive validate_inputs, but on an explicit stack, so a chain
   * of any length fits (the prompt's size is bounded by MAX_PROMPT_NODES instead).
   */
  async validate(id: string): Promise<boolean> {
    const known = this.#verdicts.get(id);
    if (known !== undefined) return known;
    this.#enter(id);
    while (this.#path.length > 0) {
      const frame = this.#path.at(-1)!;
      if (frame.waitingFor !== undefined) {
        if (!this.#verdicts.get(frame.waitingFor)) frame.valid = false;
        frame.waitingFor = undefined;
      }
      if (frame.next < frame.inputs.length) {
        const source = this.#checkInput(frame, frame.inputs[frame.next++]!);
        if (source !== undefined) {
          frame.waitingFor = source;
          this.#enter(source);
        }
        continue;
      }
      await this.#customValidation(frame);
      this.#path.pop();
      this.#onPath.delete(frame.id);
      this.#verdicts.set(frame.id, frame.valid && !this.#inCycle.has(frame.id));
    }
    return this.#verdicts.get(id)!;
  }

  #enter(id: string): void {
    const node = this.prompt[id]!;
    const def = this.registry.get(node.class_type)!;
    this.#path.push({ id, node, def, inputs: [...declaredInputs(def)], next: 0, valid: true, literals: {}, inputTypes: {} });
    this.#onPath.add(id);
  }

  /** Every node on the current path from the repeated node back to itself is in the cycle. */
  #markCycle(id: string): void {
    const path = this.#path.map((frame) => frame.id);
    const cycle = path.slice(path.indexOf(id));
    const shown = cycle.length <= CYCLE_SHOWN ? [...cycle, id] : [...cycle.slice(0, CYCLE_SHOWN / 2), `... (${cycle.length - CYCLE_SHOWN} more)`, ...cycle.slice(-CYCLE_SHOWN / 2), id];
    const extraInfo = cycle.length <= CYCLE_SHOWN ? { cycle } : { cycle: cycle.slice(0, CYCLE_SHOWN), cycle_length: cycle.length };
    for (const member of cycle) {
      if (this.#inCycle.has(member)) continue;
      this.#inCycle.add(member);
      this.#add(member, {
        type: 'dependency_cycle',
        message: 'Dependency cycle detected',
        details: `node ${member} is part of the cycle ${shown.join(' -> ')}`,
        extra_info: extraInfo,
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

  #fail(frame: Frame, error: ValidationError): void {
    frame.valid = false;
    this.#add(frame.id, error);
  }

  /** Checks one declared input; gives the linked node when it must be validated first. */
  #checkInput(frame: Frame, [name, spec, required]: [string, InputSpec, boolean]): string | undefined {
    const { node, def } = frame;
    const fail = (error: ValidationError) => this.#fail(frame, error);
    // Rendered only for error reports: a dynamic combo lists files to render.
    const config = () => inputInfo(spec, this.env.storage);
    if (!Object.hasOwn(node.inputs, name)) {
      if (required) fail({ type: 'required_input_missing', message: 'Required input is missing', details: name, extra_info: { input_name: name } });
      return undefined;
    }
    const value = node.inputs[name];
    if (Array.isArray(value)) {
      frame.literals[name] = null;
      const linked = isLink(value) ? this.prompt[value[0]] : undefined;
      const sourceType = linked && this.registry.get(linked.class_type)?.outputs?.[value[1] as number]?.type;
      if (sourceType) frame.inputTypes[name] = sourceType;
      const source = this.#checkLink(name, spec, config, value, fail, def.validatesLinkTypes === true);
      if (source === undefined) return undefined;
      if (this.#onPath.has(source)) {
        this.#markCycle(source);
        frame.valid = false;
        return undefined;
      }
      const verdict = this.#verdicts.get(source);
      if (verdict === undefined) return source;
      if (!verdict) frame.valid = false;
      return undefined;
    }
    const literal = this.#checkLiteral(def, name, spec, config, value, fail);
    if (literal.ok) {
      node.inputs[name] = literal.value as never;
      frame.literals[name] = literal.value;
    }
    return undefined;
  }

  async #customValidation(frame: Frame): Promise<void> {
    const { def } = frame;
    if (!def.validateInputs) return;
    try {
      const verdict = await def.validateInputs(frame.literals, this.env, frame.inputTypes);
      if (verdict === true) return;
      // A validator that names no input still fails the node (with an empty input name).
      const names = def.validatedInputs === undefined || def.validatedInputs === '*' || def.validatedInputs.length === 0 ? [''] : def.validatedInputs;
      for (const name of names) {
        const details = typeof verdict === 'string' ? (name ? `${name} - ${verdict}` : verdict) : name;
        this.#fail(frame, { type: 'custom_validation_failed', message: 'Custom validation failed for node', details, extra_info: { input_name: name } });
      }
    } catch (error) {
      this.#fail(frame, {
        type: 'exception_during_validation',
        message: 'Exception when validating node',
        details: errorMessage(error),
        extra_info: { exception_type: errorType(error), traceback: stackLines(error) },
      });
    }
  }

  /** The structural checks of a link; gives the source node id when they pass. */
  #checkLink(name: string, spec: InputSpec, config: () => unknown, value: unknown[], fail: (e: ValidationError) => void, nodeChecksTypes: boolean): string | undefined {
    if (!isLink(value)) {
      fail({
        type: 'bad_linked_input',
        message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
        details: name,
        extra_info: { input_name: name, input_config: config(), received_value: value },
      });
      return undefined;
    }
    const [sourceId, slot] = value;
    const source = this.prompt[sourceId];
    if (!source) {
      fail(innerError(name, config, sourceId, `Input "${name}" is linked to node '${sourceId}', which is not in the prompt`));
      return undefined;
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
      return undefined;
    }
    if (!nodeChecksTypes && !typesCompatible(output.type, spec.type) && !(spec.type === 'COMBO' && output.type === 'COMBO')) {
      fail({
        type: 'return_type_mismatch',
        message: 'Return type mismatch between linked nodes',
        details: `${name}, received_type(${output.type}) mismatch input_type(${spec.type})`,
        extra_info: { input_name: name, input_config: config(), received_type: output.type, linked_node: value },
      });
      return undefined;
    }
    return sourceId;
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
