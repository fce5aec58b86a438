// Runs a validated prompt: only output nodes and their ancestors, in dependency order, reusing
// cached results, mapping nodes over lists, and reporting everything as ComfyUI's event stream.
import {
  isLink,
  type ApiPrompt,
  type ExecutionErrorData,
  type ExecutionEvent,
  type ExtraData,
  type HistoryEntry,
  type NodeProgressState,
  type PreviewImage,
  type StatusMessage,
  type UiOutput,
} from '../../types/api.ts';
import { OutputCache, type CachePolicy, type CachedResult } from './cache.ts';
import { InterruptedError } from './errors.ts';
import type { NodeRegistry } from './registry.ts';
import { findInput, type NodeContext, type NodeDefinition, type NodeInputs, type NodeResult } from './schema.ts';
import { computeSignatures, fingerprintToken } from './signature.ts';
import { errorMessage, errorType, stackLines, type HostEnvironment } from './validate.ts';

export interface RunRequest {
  promptId: string;
  /** A prompt that passed validatePrompt (coerced), and the outputs it selected. */
  prompt: ApiPrompt;
  outputs: readonly string[];
  extraData?: ExtraData;
  signal?: AbortSignal;
  emit?: (event: ExecutionEvent) => void;
  onPreview?: (nodeId: string, preview: PreviewImage) => void;
  /** Emit `progress_state` snapshots (the server wants them; they cost a copy per event). */
  progressState?: boolean;
}

export type RunStatus = 'success' | 'error' | 'interrupted';

export interface RunResult {
  status: RunStatus;
  /** UI outputs of this prompt's nodes, executed or cached (history `outputs`). */
  outputs: Record<string, UiOutput>;
  meta: HistoryEntry['meta'];
  /** The lifecycle messages, as stored in history `status.messages`. */
  messages: StatusMessage[];
  executed: string[];
  cached: string[];
  error?: ExecutionErrorData;
}

export interface ExecutorOptions {
  registry: NodeRegistry;
  env: HostEnvironment;
  cache?: CachePolicy;
}

export class Executor {
  readonly cache: OutputCache;

  constructor(readonly options: ExecutorOptions) {
    this.cache = new OutputCache(options.cache);
  }

  async run(request: RunRequest): Promise<RunResult> {
    return new PromptRun(this, request).run();
  }

  /** Drops every cached result (ComfyUI's /free with free_memory). */
  reset(): void {
    this.cache.clear();
  }
}

const NEVER_ABORTED = new AbortController().signal;

class PromptRun {
  readonly prompt: ApiPrompt;
  readonly promptId: string;
  readonly signal: AbortSignal;
  readonly messages: StatusMessage[] = [];
  readonly executed: string[] = [];
  readonly results = new Map<string, CachedResult>();
  readonly ui: Record<string, UiOutput> = {};
  readonly meta: HistoryEntry['meta'] = {};
  readonly states: Record<string, NodeProgressState> = {};
  readonly definitions = new Map<string, NodeDefinition>();

  constructor(
    readonly executor: Executor,
    readonly request: RunRequest,
  ) {
    this.prompt = request.prompt;
    this.promptId = request.promptId;
    this.signal = request.signal ?? NEVER_ABORTED;
  }

  emit(event: ExecutionEvent): void {
    this.request.emit?.(event);
  }

  lifecycle<K extends 'execution_start' | 'execution_cached' | 'execution_success' | 'execution_error' | 'execution_interrupted'>(
    type: K,
    data: Omit<Extract<ExecutionEvent, { type: K }>['data'], 'timestamp' | 'prompt_id'>,
  ): void {
    const full = { ...data, prompt_id: this.promptId, timestamp: Date.now() } as unknown as Extract<ExecutionEvent, { type: K }>['data'];
    this.messages.push([type, full as unknown as Record<string, unknown>]);
    this.emit({ type, data: full } as ExecutionEvent);
  }

  async run(): Promise<RunResult> {
    const { registry } = this.executor.options;
    const cache = this.executor.cache;
    this.lifecycle('execution_start', {});

    const order = this.orderFrom(this.request.outputs);
    for (const id of order) this.definitions.set(id, registry.get(this.prompt[id]!.class_type)!);
    const fingerprints = await this.fingerprints(order);
    const signatures = computeSignatures(this.prompt, order, this.definitions, fingerprints);
    cache.beginPrompt(signatures.values());

    const cachedAtStart = order.filter((id) => cache.has(signatures.get(id)!));
    this.lifecycle('execution_cached', { nodes: cachedAtStart });

    // Walk ancestors from the outputs, stopping at nodes whose results are cached.
    const needed = new Set<string>();
    const stack = [...this.request.outputs];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (needed.has(id)) continue;
      needed.add(id);
      if (cache.has(signatures.get(id)!)) continue;
      for (const value of Object.values(this.prompt[id]!.inputs)) if (isLink(value)) stack.push(value[0]);
    }

    let current: string | undefined;
    try {
      for (const id of order) {
        if (!needed.has(id)) continue;
        current = id;
        const key = signatures.get(id)!;
        const hit = cache.get(key);
        if (hit) {
          this.results.set(id, hit);
          if (this.definitions.get(id)!.outputNode) this.showCachedOutput(id, hit);
          continue;
        }
        if (this.signal.aborted) throw new InterruptedError();
        const result = await this.execute(id);
        cache.set(key, result);
        this.results.set(id, result);
      }
      this.lifecycle('execution_success', {});
      return this.finish('success');
    } catch (error) {
      const id = current ?? this.request.outputs[0] ?? '';
      if (this.states[id]) this.states[id].state = 'error';
      this.sendProgressState();
      const classType = this.prompt[id]?.class_type ?? '';
      if (error instanceof InterruptedError || this.signal.aborted) {
        this.lifecycle('execution_interrupted', { node_id: id, node_type: classType, executed: [...this.executed] });
        return this.finish('interrupted');
      }
      const data: Omit<ExecutionErrorData, 'prompt_id' | 'timestamp'> = {
        node_id: id,
        node_type: classType,
        executed: [...this.executed],
        exception_message: errorMessage(error),
        exception_type: errorType(error),
        traceback: stackLines(error),
        current_inputs: this.describeInputs(id),
        current_outputs: [...this.results.keys()],
      };
      this.lifecycle('execution_error', data);
      return this.finish('error', this.messages.at(-1)![1] as unknown as ExecutionErrorData);
    } finally {
      cache.endPrompt();
    }
  }

  finish(status: RunStatus, error?: ExecutionErrorData): RunResult {
    const cached = (this.messages.find(([type]) => type === 'execution_cached')?.[1].nodes as string[]) ?? [];
    return { status, outputs: this.ui, meta: this.meta, messages: this.messages, executed: this.executed, cached, error };
  }

  /** Dependency order over the outputs' ancestors: depth-first post-order, output by output. */
  orderFrom(outputs: readonly string[]): string[] {
    const order: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    for (const root of outputs) {
      const stack: [string, boolean][] = [[root, false]];
      while (stack.length > 0) {
        const [id, expanded] = stack.pop()!;
        if (expanded) {
          state.set(id, 'done');
          order.push(id);
          continue;
        }
        if (state.has(id)) continue;
        state.set(id, 'open');
        stack.push([id, true]);
        const inputs = this.prompt[id]!.inputs;
        const names = Object.keys(inputs);
        for (let i = names.length - 1; i >= 0; i--) {
          const value = inputs[names[i]!];
          if (isLink(value) && !state.has(value[0]) && value[0] in this.prompt) stack.push([value[0], false]);
        }
      }
    }
    return order;
  }

  async fingerprints(order: readonly string[]): Promise<Map<string, string>> {
    const tokens = new Map<string, string>();
    const { env } = this.executor.options;
    for (const id of order) {
      const def = this.definitions.get(id)!;
      if (!def.isChanged) continue;
      const literals: NodeInputs = {};
      for (const [name, value] of Object.entries(this.prompt[id]!.inputs)) literals[name] = isLink(value) ? null : value;
      let value: unknown;
      try {
        value = await def.isChanged(literals, env);
      } catch {
        value = NaN;
      }
      tokens.set(id, fingerprintToken(value));
    }
    return tokens;
  }

  showCachedOutput(id: string, hit: CachedResult): void {
    this.recordUi(id, hit.ui);
    this.emit({ type: 'executed', data: { node: id, display_node: id, output: hit.ui ?? null, prompt_id: this.promptId } });
    this.setState(id, 'finished', 1, 1);
  }

  recordUi(id: string, ui: UiOutput | undefined): void {
    this.meta[id] = { node_id: id, display_node: id, parent_node: null, real_node_id: id };
    if (ui) this.ui[id] = ui;
  }

  setState(id: string, state: NodeProgressState['state'], value: number, max: number): void {
    if (!this.request.progressState) return;
    this.states[id] = {
      value,
      max,
      state,
      node_id: id,
      prompt_id: this.promptId,
      display_node_id: id,
      parent_node_id: null,
      real_node_id: id,
    };
    this.sendProgressState();
  }

  sendProgressState(): void {
    if (!this.request.progressState) return;
    this.emit({ type: 'progress_state', data: { prompt_id: this.promptId, nodes: { ...this.states } } });
  }

  async execute(id: string): Promise<CachedResult> {
    const def = this.definitions.get(id)!;
    const inputs = this.gatherInputs(id, def);
    const ctx = this.context(id);

    this.setState(id, 'running', 0, 1);
    this.emit({ type: 'executing', data: { node: id, display_node: id, prompt_id: this.promptId } });

    const outputSpecs = def.outputs ?? [];
    const outputs: unknown[][] = outputSpecs.map(() => []);
    let ui: UiOutput | undefined;
    const calls = def.inputIsList ? [inputs] : sliceLists(inputs);
    for (const callInputs of calls) {
      ctx.throwIfInterrupted();
      const { result, ui: callUi } = normalizeResult(await def.execute(callInputs, ctx));
      outputSpecs.forEach((spec, slot) => {
        const value = result[slot];
        if (spec.isList) {
          if (!Array.isArray(value)) throw new TypeError(`output ${slot} (${spec.name ?? spec.type}) is a list output but the node returned ${describe(value)}`);
          outputs[slot]!.push(...value);
        } else {
          outputs[slot]!.push(value);
        }
      });
      if (callUi) ui = mergeUi(ui, callUi);
    }
    ctx.throwIfInterrupted();

    this.executed.push(id);
    this.recordUi(id, ui);
    if (ui) this.emit({ type: 'executed', data: { node: id, display_node: id, output: ui, prompt_id: this.promptId } });
    this.setState(id, 'finished', 1, 1);
    return ui ? { outputs, ui } : { outputs };
  }

  /** Every input as a list: literals become one-element lists, links the source's whole list. */
  gatherInputs(id: string, def: NodeDefinition): Record<string, unknown[]> {
    const node = this.prompt[id]!;
    const inputs: Record<string, unknown[]> = {};
    for (const [name, value] of Object.entries(node.inputs)) {
      if (isLink(value)) {
        const source = this.results.get(value[0]);
        inputs[name] = source?.outputs[value[1]] ?? [null];
      } else if (findInput(def, name)) {
        inputs[name] = [value];
      }
    }
    for (const [name, kind] of Object.entries(def.inputs?.hidden ?? {})) {
      if (kind === 'PROMPT') inputs[name] = [this.prompt];
      else if (kind === 'EXTRA_PNGINFO') inputs[name] = [this.request.extraData?.extra_pnginfo ?? null];
      else if (kind === 'UNIQUE_ID') inputs[name] = [id];
    }
    return inputs;
  }

  context(id: string): NodeContext {
    const { env } = this.executor.options;
    const signal = this.signal;
    const throwIfInterrupted = () => {
      if (signal.aborted) throw new InterruptedError();
    };
    return {
      nodeId: id,
      promptId: this.promptId,
      prompt: this.prompt,
      extraData: this.request.extraData ?? {},
      signal,
      throwIfInterrupted,
      progress: (value, max, preview) => {
        throwIfInterrupted();
        this.emit({ type: 'progress', data: { value, max, prompt_id: this.promptId, node: id } });
        this.setState(id, 'running', value, max);
        if (preview) this.request.onPreview?.(id, preview);
      },
      storage: env.storage,
      services: env.services,
    };
  }

  describeInputs(id: string): Record<string, unknown[]> {
    const def = this.definitions.get(id);
    if (!def || !this.prompt[id]) return {};
    const out: Record<string, unknown[]> = {};
    for (const [name, values] of Object.entries(this.gatherInputs(id, def))) {
      if (def.inputs?.hidden?.[name]) continue;
      out[name] = values.map(describe);
    }
    return out;
  }
}

/** ComfyUI's list mapping: call i gets element i of every list, or its last element if shorter. */
function sliceLists(inputs: Record<string, unknown[]>): NodeInputs[] {
  const lists = Object.values(inputs);
  const length = lists.length === 0 ? 1 : Math.max(1, ...lists.map((l) => l.length));
  const calls: NodeInputs[] = [];
  for (let i = 0; i < length; i++) {
    const call: NodeInputs = {};
    for (const [name, list] of Object.entries(inputs)) call[name] = list.length === 0 ? null : list[Math.min(i, list.length - 1)];
    calls.push(call);
  }
  return calls;
}

function normalizeResult(value: NodeResult): { result: readonly unknown[]; ui?: UiOutput } {
  if (value === undefined || value === null) return { result: [] };
  if (Array.isArray(value)) return { result: value };
  const { result, ui } = value as { result?: readonly unknown[]; ui?: UiOutput };
  if (result !== undefined && !Array.isArray(result)) throw new TypeError('a node returned `result` that is not an array');
  return ui ? { result: result ?? [], ui } : { result: result ?? [] };
}

function mergeUi(into: UiOutput | undefined, next: UiOutput): UiOutput {
  if (!into) return { ...next };
  for (const [key, values] of Object.entries(next)) {
    if (key in into) into[key] = [...into[key]!, ...values];
  }
  return into;
}

/** A short, JSON-safe description of a value for error reports. */
function describe(value: unknown): unknown {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value;
  if (value === undefined) return null;
  if (typeof value === 'object') {
    const describable = value as { describe?: () => string; shape?: unknown };
    if (typeof describable.describe === 'function') return describable.describe();
    const name = (value as object).constructor?.name ?? 'Object';
    if (Array.isArray(value)) return `Array(${value.length})`;
    if (describable.shape !== undefined) return `${name} shape=${JSON.stringify(describable.shape)}`;
    return name;
  }
  return String(value);
}
