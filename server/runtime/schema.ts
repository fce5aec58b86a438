// The node contract: a declarative schema plus one async function. Everything a node needs from
// the outside world arrives through NodeContext; the engine itself does no I/O.
import type { ApiPrompt, ExtraData, FolderType, PreviewImage, UiOutput } from '../../types/api.ts';

export const PRIMITIVE_TYPES = ['INT', 'FLOAT', 'STRING', 'BOOLEAN'] as const;
export type PrimitiveType = (typeof PRIMITIVE_TYPES)[number];

interface CommonInputOptions {
  tooltip?: string;
  /** Show as a socket only, never as a widget. */
  forceInput?: boolean;
  display_name?: string;
  advanced?: boolean;
  /** Further ComfyUI options passed through to /object_info unchanged (upload flags etc.). */
  extra?: Record<string, unknown>;
}

export interface IntInput extends CommonInputOptions {
  type: 'INT';
  default?: number;
  min?: number;
  max?: number;
  step?: number;
  control_after_generate?: boolean;
  display?: 'number' | 'slider' | 'knob';
}

export interface FloatInput extends CommonInputOptions {
  type: 'FLOAT';
  default?: number;
  min?: number;
  max?: number;
  step?: number;
  round?: number | false;
  display?: 'number' | 'slider' | 'knob';
}

export interface StringInput extends CommonInputOptions {
  type: 'STRING';
  default?: string;
  multiline?: boolean;
  placeholder?: string;
}

export interface BooleanInput extends CommonInputOptions {
  type: 'BOOLEAN';
  default?: boolean;
  label_on?: string;
  label_off?: string;
}

/** Where a schema is rendered: lets a combo list the files currently in the input folder. */
export interface SchemaEnvironment {
  listFiles(folder: FolderType | string, accept?: (name: string) => boolean): string[];
}

export interface ComboInput extends CommonInputOptions {
  type: 'COMBO';
  options: readonly string[] | ((env: SchemaEnvironment) => readonly string[]);
  default?: string;
  control_after_generate?: boolean;
}

/** A socket of a custom type (IMAGE, VIDEO, LATENT, ...), a union "A,B" or the wildcard "*". */
export interface SocketInput extends CommonInputOptions {
  type: string;
  /** The input's value is not computed until the node asks for it (ComfyUI's `lazy`). */
  lazy?: boolean;
  /**
   * The node receives the link `[sourceId, slot]` itself instead of the value (ComfyUI's
   * `rawLink`); the source still runs first. Loops built by expansion use it to refer to nodes.
   */
  rawLink?: boolean;
}

export type InputSpec = IntInput | FloatInput | StringInput | BooleanInput | ComboInput | SocketInput;

/** DYNPROMPT: the live graph (the prompt plus the nodes expansions added so far), as a LiveGraph. */
export type HiddenInput = 'PROMPT' | 'EXTRA_PNGINFO' | 'UNIQUE_ID' | 'DYNPROMPT';

/** Read access to the running prompt's graph, expansions included (ComfyUI's DynamicPrompt). */
export interface LiveGraph {
  getNode(id: string): { class_type: string; inputs: Record<string, unknown> } | undefined;
  /** The id the UI shows for a node: its own, or the one its expansion chose. */
  displayId(id: string): string | undefined;
  /** Whether the node came from an expansion rather than from the submitted prompt. */
  isEphemeral(id: string): boolean;
}

export interface OutputSpec {
  type: string;
  name?: string;
  /** The node returns a whole list for this slot (ComfyUI's OUTPUT_IS_LIST). */
  isList?: boolean;
  tooltip?: string;
}

export type NodeInputs = Record<string, any>;

/**
 * A subgraph a node runs in its place (ComfyUI's node expansion): new nodes keyed by id (ids
 * must be new to the prompt), and `result` values that may be links `[childId, slot]` into it.
 */
export type Expansion = Record<string, { class_type: string; inputs: Record<string, unknown>; override_display_id?: string }>;

export type NodeResult = readonly unknown[] | { result?: readonly unknown[]; ui?: UiOutput; expand?: Expansion } | void;

/**
 * Returned in place of an output value: every node fed by it is skipped for that list element and
 * passes the blocker on; output nodes produce nothing for it. A message is reported to the client
 * as a non-fatal error.
 */
export class ExecutionBlocker {
  constructor(readonly message: string | null = null) {}
}

/** Folder access granted to nodes; every path it hands out stays inside the allowed folders. */
export interface NodeStorage {
  directory(folder: FolderType | 'models'): string;
  /** Absolute path of `relativePath` inside `folder`; throws when it would leave the folder. */
  resolve(folder: FolderType, relativePath: string): string;
  listFiles(folder: FolderType | string, accept?: (name: string) => boolean): string[];
  /**
   * Next free file for a save node, ComfyUI-style: `<prefix>_<counter:05>_.<ext>`, the counter
   * continuing from the files already there.
   */
  saveTarget(folder: 'output' | 'temp', filenamePrefix: string, extension: string, size?: { width: number; height: number }): SaveTarget;
}

export interface SaveTarget {
  fullPath: string;
  filename: string;
  subfolder: string;
  type: 'output' | 'temp';
}

export interface NodeContext {
  readonly nodeId: string;
  readonly promptId: string;
  /**
   * `<nodeId>.<callIndex>.`, different for every call of every node: prefix the ids of an
   * expansion with it so that they are new to the prompt (ComfyUI's GraphBuilder does the same).
   */
  readonly expansionPrefix: string;
  readonly prompt: ApiPrompt;
  readonly extraData: ExtraData;
  /** Aborted when the user interrupts the prompt. Long nodes pass it on or poll it. */
  readonly signal: AbortSignal;
  /** Throws the interrupt error when the prompt was interrupted. Call it inside long loops. */
  throwIfInterrupted(): void;
  /** Reports progress (shown as a bar per node), optionally with a preview image. */
  progress(value: number, max: number, preview?: PreviewImage): void;
  readonly storage: NodeStorage;
  /** Host services a node pack may need (model manager, device...), keyed by name. */
  readonly services: Readonly<Record<string, unknown>>;
}

export interface NodeDefinition {
  /** Class name, as in ComfyUI's `class_type` (workflow files refer to it). */
  type: string;
  displayName?: string;
  description?: string;
  category?: string;
  inputs?: {
    required?: Record<string, InputSpec>;
    optional?: Record<string, InputSpec>;
    hidden?: Record<string, HiddenInput>;
  };
  outputs?: readonly OutputSpec[];
  outputNode?: boolean;
  /** Receive whole lists instead of being called once per element (ComfyUI's INPUT_IS_LIST). */
  inputIsList?: boolean;
  /** Results depend on more than the inputs: the node id becomes part of its cache key. */
  notIdempotent?: boolean;
  /**
   * I/O-bound node (API call, sleep): runs alongside other nodes instead of one at a time, like
   * ComfyUI's async nodes.
   */
  concurrent?: boolean;
  /** The node fails with a timeout error when one call takes longer than this. */
  timeoutMs?: number;
  /**
   * The node loads models chosen by its literal inputs: with several workers, prompts go to the
   * worker that last ran the same class with the same inputs (it still holds those models).
   */
  loadsModels?: boolean;
  /**
   * Names the lazy inputs the node needs, given what is available so far (unevaluated lazy
   * inputs are null). Called before each run attempt until it asks for nothing new.
   */
  checkLazyStatus?(inputs: NodeInputs, ctx: NodeContext): readonly string[] | Promise<readonly string[]>;
  deprecated?: boolean;
  experimental?: boolean;
  /**
   * Fingerprint of external state (a file's hash...), computed before each run from literal inputs
   * only (linked inputs are null). A different value re-runs the node; NaN re-runs it always.
   */
  isChanged?(inputs: NodeInputs, ctx: Pick<NodeContext, 'storage' | 'services'>): unknown;
  /**
   * Extra validation of literal inputs (linked ones are null): return true, or a message. The
   * inputs named in `validatedInputs` skip the built-in range and combo checks.
   */
  validateInputs?(
    inputs: NodeInputs,
    ctx: Pick<NodeContext, 'storage' | 'services'>,
    inputTypes: Record<string, string>,
  ): true | string | Promise<true | string>;
  /** Inputs whose range/combo checks `validateInputs` replaces; '*' for all of them. */
  validatedInputs?: readonly string[] | '*';
  /**
   * The validator checks link types itself: it receives `inputTypes` (linked input -> source
   * output type) and the built-in link type check is skipped (ComfyUI's `input_types` argument).
   */
  validatesLinkTypes?: boolean;
  execute(inputs: NodeInputs, ctx: NodeContext): NodeResult | Promise<NodeResult>;
}

export function isPrimitiveType(type: string): type is PrimitiveType {
  return (PRIMITIVE_TYPES as readonly string[]).includes(type);
}

/** All declared inputs of a node, required first, in declaration order. */
export function declaredInputs(def: NodeDefinition): [string, InputSpec, boolean][] {
  const out: [string, InputSpec, boolean][] = [];
  for (const [name, spec] of Object.entries(def.inputs?.required ?? {})) out.push([name, spec, true]);
  for (const [name, spec] of Object.entries(def.inputs?.optional ?? {})) out.push([name, spec, false]);
  return out;
}

export function findInput(def: NodeDefinition, name: string): InputSpec | undefined {
  return def.inputs?.required?.[name] ?? def.inputs?.optional?.[name];
}

export function comboOptions(spec: ComboInput, env: SchemaEnvironment): readonly string[] {
  return typeof spec.options === 'function' ? spec.options(env) : spec.options;
}

/**
 * ComfyUI's link type rule (`validate_node_input`): equal, or either side "*", or the
 * comma-separated unions (order and surrounding spaces ignored) intersect; `strict` demands that
 * every received type is accepted.
 */
export function typesCompatible(outputType: string, inputType: string, strict = false): boolean {
  if (outputType === inputType) return true;
  if (outputType === '*' || inputType === '*') return true;
  if (outputType === '' || inputType === '') return false;
  const received = outputType.split(',').map((t) => t.trim());
  const accepted = new Set(inputType.split(',').map((t) => t.trim()));
  return strict ? received.every((t) => accepted.has(t)) : received.some((t) => accepted.has(t));
}
