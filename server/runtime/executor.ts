// Runs a validated prompt: only output nodes and their ancestors, in dependency order, reusing
// cached results, mapping nodes over lists, evaluating lazy inputs on demand, running node
// expansions and concurrent nodes, and reporting everything as ComfyUI's event stream.
import {
  isLink,
  type ApiPrompt,
  type ExecutionErrorData,
  type ExecutionEvent,
  type ExtraData,
  type HistoryEntry,
  type NodeProgressState,
  type PreviewImage,
  type PromptNode,
  type StatusMessage,
  type UiOutput,
} from '../../types/api.ts';
import { OutputCache, type CachePolicy, type CachedResult } from './cache.ts';
import { InterruptedError } from './errors.ts';
import type { NodeRegistry } from './registry.ts';
import {
  ExecutionBlocker,
  findInput,
  type Expansion,
  type LiveGraph,
  type NodeContext,
  type NodeDefinition,
  type NodeInputs,
  type NodeResult,
} from './schema.ts';
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

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

export class DependencyCycleError extends Error {
  override name = 'graph.DependencyCycleError';
  constructor() {
    super('Dependency cycle detected');
  }
}

/** A node that did not start because the run is stopping after another node's failure. */
class StoppedError extends Error {
  override name = 'StoppedError';
}

/** A failure inside one node, carried up to the run with the node it happened in. */
class NodeFailure extends Error {
  constructor(
    readonly nodeId: string,
    readonly failure: unknown,
  ) {
    super(errorMessage(failure));
  }
}

/** One node of the live graph: the prompt's nodes plus those added by expansions. */
interface LiveNode {
  node: PromptNode;
  def: NodeDefinition;
  displayId: string;
  parentId: string | null;
}

const NEVER_ABORTED = new AbortController().signal;

/** Serialises the nodes that must not overlap (all but `concurrent` ones). */
class ExclusiveLock {
  #tail: Promise<void> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

class PromptRun {
  readonly prompt: ApiPrompt;
  readonly promptId: string;
  readonly signal: AbortSignal;
  /** Aborted on interrupt or on the first failure: stops every node still running. */
  readonly stop = new AbortController();
  readonly messages: StatusMessage[] = [];
  readonly executed: string[] = [];
  readonly results = new Map<string, CachedResult>();
  readonly ui: Record<string, UiOutput> = {};
  readonly meta: HistoryEntry['meta'] = {};
  readonly states: Record<string, NodeProgressState> = {};
  readonly live = new Map<string, LiveNode>();
  readonly signatures = new Map<string, string>();
  readonly running = new Map<string, Promise<void>>();
  readonly bySignature = new Map<string, string>();
  readonly lock = new ExclusiveLock();
  readonly reportedBlockers = new Set<ExecutionBlocker>();
  /** Which nodes each expansion-made node is waiting for (to catch cycles expansions create). */
  readonly waitsFor = new Map<string, Set<string>>();
  readonly liveGraph: LiveGraph;
  failure: NodeFailure | undefined;

  constructor(
    readonly executor: Executor,
    readonly request: RunRequest,
  ) {
    this.prompt = request.prompt;
    this.promptId = request.promptId;
    this.signal = request.signal ?? NEVER_ABORTED;
    this.liveGraph = {
      getNode: (id) => this.live.get(id)?.node ?? this.prompt[id],
      displayId: (id) => this.live.get(id)?.displayId ?? (id in this.prompt ? id : undefined),
      isEphemeral: (id) => (this.live.get(id)?.parentId ?? null) !== null,
    };
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

  get cache(): OutputCache {
    return this.executor.cache;
  }

  async run(): Promise<RunResult> {
    const { registry } = this.executor.options;
    const onAbort = () => this.stop.abort();
    this.signal.addEventListener('abort', onAbort);
    try {
      this.lifecycle('execution_start', {});
      const order = this.dependencyOrder(this.request.outputs, this.prompt, true);
      for (const id of order) this.live.set(id, { node: this.prompt[id]!, def: registry.get(this.prompt[id]!.class_type)!, displayId: id, parentId: null });
      await this.computeSignatures(order);
      this.cache.beginPrompt(this.signatures.values());
      const cachedAtStart = order.filter((id) => this.cache.has(this.signatures.get(id)!));
      this.lifecycle('execution_cached', { nodes: cachedAtStart });

      // Start every needed node in dependency order (so waits are shallow), then wait for all.
      const started = this.neededOrder(this.request.outputs).map((id) => this.ensure(id));
      await Promise.allSettled(started);
      if (this.failure) throw this.failure;
      if (this.signal.aborted) throw new NodeFailure(this.request.outputs[0] ?? '', new InterruptedError());
      this.lifecycle('execution_success', {});
      return this.finish('success');
    } catch (error) {
      const failure = error instanceof NodeFailure ? error : new NodeFailure(this.request.outputs[0] ?? '', error);
      return this.reportFailure(failure);
    } finally {
      this.signal.removeEventListener('abort', onAbort);
      this.cache.endPrompt();
    }
  }

  /** The first real failure in time is the one reported; nodes merely stopped never are. */
  noteFailure(reason: unknown): void {
    const failure = reason instanceof NodeFailure ? reason : new NodeFailure(this.request.outputs[0] ?? '', reason);
    if (!(failure.failure instanceof StoppedError)) this.failure ??= failure;
    this.stop.abort();
  }

  reportFailure(failure: NodeFailure): RunResult {
    const id = failure.nodeId;
    if (this.states[id]) this.states[id].state = 'error';
    this.sendProgressState();
    const classType = this.live.get(id)?.node.class_type ?? this.prompt[id]?.class_type ?? '';
    if (failure.failure instanceof InterruptedError || this.signal.aborted) {
      this.lifecycle('execution_interrupted', { node_id: id, node_type: classType, executed: [...this.executed] });
      return this.finish('interrupted');
    }
    const error = failure.failure;
    const cycle = error instanceof DependencyCycleError;
    this.lifecycle('execution_error', {
      node_id: id,
      node_type: classType,
      executed: [...this.executed],
      exception_message: errorMessage(error),
      exception_type: errorType(error),
      traceback: cycle ? [] : stackLines(error),
      current_inputs: cycle ? {} : this.describeInputs(id),
      current_outputs: [...this.results.keys()],
    });
    return this.finish('error', this.messages.at(-1)![1] as unknown as ExecutionErrorData);
  }

  finish(status: RunStatus, error?: ExecutionErrorData): RunResult {
    const cached = (this.messages.find(([type]) => type === 'execution_cached')?.[1].nodes as string[]) ?? [];
    return { status, outputs: this.ui, meta: this.meta, messages: this.messages, executed: this.executed, cached, error };
  }

  /**
   * Ancestors of `roots` in dependency order (depth-first post-order, root by root). With
   * `throughLazy` false, lazy inputs are not followed: their sources run only when requested.
   */
  dependencyOrder(roots: readonly string[], graph: ApiPrompt, throughLazy: boolean, stopAt?: (id: string) => boolean): string[] {
    const order: string[] = [];
    const seen = new Set<string>();
    for (const root of roots) {
      const stack: [string, boolean][] = [[root, false]];
      while (stack.length > 0) {
        const [id, expanded] = stack.pop()!;
        if (expanded) {
          order.push(id);
          continue;
        }
        if (seen.has(id)) continue;
        seen.add(id);
        stack.push([id, true]);
        if (stopAt?.(id)) continue;
        const node = graph[id]!;
        const names = Object.keys(node.inputs);
        for (let i = names.length - 1; i >= 0; i--) {
          const value = node.inputs[names[i]!];
          if (!isLink(value) || seen.has(value[0]) || !(value[0] in graph)) continue;
          if (!throughLazy && this.isLazy(id, names[i]!)) continue;
          stack.push([value[0], false]);
        }
      }
    }
    return order;
  }

  isLazy(id: string, input: string): boolean {
    const spec = this.live.get(id) && findInput(this.live.get(id)!.def, input);
    return spec !== undefined && 'lazy' in spec && spec.lazy === true;
  }

  /** Nodes to start: the outputs' non-lazy ancestors, not looking past cached nodes. */
  neededOrder(roots: readonly string[]): string[] {
    const graph = Object.fromEntries([...this.live].map(([id, live]) => [id, live.node]));
    return this.dependencyOrder(roots, graph, false, (id) => this.cache.has(this.signatures.get(id)!));
  }

  async computeSignatures(order: readonly string[], namespace = ''): Promise<void> {
    const fingerprints = new Map<string, string>();
    const { env } = this.executor.options;
    for (const id of order) {
      const { def, node } = this.live.get(id)!;
      if (!def.isChanged) continue;
      const literals: NodeInputs = {};
      for (const [name, value] of Object.entries(node.inputs)) literals[name] = isLink(value) ? null : value;
      let value: unknown;
      try {
        value = await def.isChanged(literals, env);
      } catch {
        value = NaN;
      }
      fingerprints.set(id, fingerprintToken(value));
    }
    const graph: ApiPrompt = {};
    const definitions = new Map<string, NodeDefinition>();
    for (const [id, live] of this.live) {
      graph[id] = live.node;
      definitions.set(id, live.def);
    }
    const known = new Map([...this.signatures].map(([id, sig]) => [id, sig]));
    for (const [id, sig] of computeSignatures(graph, order, definitions, fingerprints, known, namespace)) this.signatures.set(id, sig);
  }

  /** Runs `id` once its dependencies are done; one shared promise per node. */
  ensure(id: string): Promise<void> {
    let pending = this.running.get(id);
    if (!pending) {
      pending = this.produce(id);
      pending.catch((reason) => this.noteFailure(reason));
      this.running.set(id, pending);
    }
    return pending;
  }

  async produce(id: string): Promise<void> {
    const live = this.live.get(id)!;
    const signature = this.signatures.get(id)!;
    // Structurally identical nodes in one prompt compute once and share the result.
    const twin = this.bySignature.get(signature);
    if (twin && twin !== id) {
      await this.ensure(twin);
      const shared = this.results.get(twin)!;
      this.results.set(id, shared);
      if (live.def.outputNode) this.showCachedOutput(id, live, shared);
      return;
    }
    this.bySignature.set(signature, id);
    const hit = this.cache.get(signature);
    if (hit) {
      this.results.set(id, hit);
      if (live.def.outputNode) this.showCachedOutput(id, live, hit);
      return;
    }
    const strong = Object.entries(live.node.inputs).filter(([name, value]) => isLink(value) && !this.isLazy(id, name));
    await this.awaitNodes(id, live, strong.map(([, value]) => (value as [string, number])[0]));
    this.throwIfStopped(id);

    if (live.def.checkLazyStatus) await this.resolveLazyInputs(id, live);

    const result = await this.execute(id, live);
    this.cache.set(this.signatures.get(id)!, result);
    this.results.set(id, result);
  }

  /**
   * Waits for `sources` to be produced. The prompt's own graph was checked for cycles before the
   * run, but an expansion can add nodes that wait for each other (directly or through lazy
   * inputs); such a wait would never end, so it is refused as a dependency cycle. Only nodes
   * added by expansions can be part of such a cycle (prompt nodes never link to them), so only
   * their waits are tracked.
   */
  async awaitNodes(id: string, live: LiveNode, sources: readonly string[]): Promise<void> {
    if (sources.length === 0) return;
    if (live.parentId === null) {
      await Promise.all(sources.map((source) => this.ensure(source)));
      return;
    }
    for (const source of sources) {
      const cycle = this.waitCycle(source, id);
      if (cycle) throw new NodeFailure(this.blameForCycle([id, ...cycle]), new DependencyCycleError());
    }
    const waits = this.waitsFor.get(id) ?? new Set<string>();
    this.waitsFor.set(id, waits);
    for (const source of sources) waits.add(source);
    try {
      await Promise.all(sources.map((source) => this.ensure(source)));
    } finally {
      for (const source of sources) waits.delete(source);
    }
  }

  /** The chain of waits leading from `from` back to `to`, if there is one. */
  waitCycle(from: string, to: string): string[] | undefined {
    const stack: [string, string[]][] = [[from, [from]]];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const [node, path] = stack.pop()!;
      if (node === to) return path;
      if (seen.has(node)) continue;
      seen.add(node);
      for (const next of this.waitsFor.get(node) ?? []) stack.push([next, [...path, next]]);
    }
    return undefined;
  }

  /**
   * Like ComfyUI: the error goes to the first node of the cycle that the UI shows under another
   * id, i.e. to the node whose expansion created the cycle.
   */
  blameForCycle(cycle: readonly string[]): string {
    for (const id of cycle) {
      const displayId = this.live.get(id)?.displayId;
      if (displayId !== undefined && displayId !== id) return displayId;
    }
    return cycle[0]!;
  }

  throwIfStopped(id: string): void {
    if (this.signal.aborted) throw new NodeFailure(id, new InterruptedError());
    if (this.stop.signal.aborted) throw new NodeFailure(id, new StoppedError('stopped: another node failed'));
  }

  /** Asks the node which lazy inputs it needs until it needs nothing new, evaluating them. */
  async resolveLazyInputs(id: string, live: LiveNode): Promise<void> {
    for (;;) {
      const inputs = this.gatherInputs(id, live.def, true);
      const calls = live.def.inputIsList ? [inputs] : sliceLists(inputs);
      const ctx = this.context(id, live, this.stop.signal);
      const wanted = new Set<string>();
      try {
        for (const call of calls) for (const name of await live.def.checkLazyStatus!(call, ctx)) wanted.add(name);
      } catch (error) {
        throw new NodeFailure(id, error);
      }
      const missing: string[] = [];
      for (const name of wanted) {
        if (!(name in live.node.inputs) && !findInput(live.def, name)) {
          throw new NodeFailure(id, new Error(`checkLazyStatus asked for "${name}", which is not an input of ${live.node.class_type}`));
        }
        const value = live.node.inputs[name];
        if (isLink(value) && !this.results.has(value[0])) missing.push(value[0]);
      }
      if (missing.length === 0) return;
      await this.awaitNodes(id, live, missing);
      this.throwIfStopped(id);
    }
  }

  showCachedOutput(id: string, live: LiveNode, hit: CachedResult): void {
    this.recordUi(id, live, hit.ui);
    this.emit({ type: 'executed', data: { node: id, display_node: live.displayId, output: hit.ui ?? null, prompt_id: this.promptId } });
    this.setState(id, live, 'finished', 1, 1);
  }

  /** History keeps `outputs` and `meta` only for nodes that showed something (ComfyUI: `len(output_ui) > 0`). */
  recordUi(id: string, live: LiveNode, ui: UiOutput | undefined): void {
    if (!ui || Object.keys(ui).length === 0) return;
    this.meta[id] = { node_id: id, display_node: live.displayId, parent_node: live.parentId, real_node_id: live.displayId };
    this.ui[id] = ui;
  }

  setState(id: string, live: LiveNode, state: NodeProgressState['state'], value: number, max: number): void {
    if (!this.request.progressState) return;
    this.states[id] = {
      value,
      max,
      state,
      node_id: id,
      prompt_id: this.promptId,
      display_node_id: live.displayId,
      parent_node_id: live.parentId,
      real_node_id: live.displayId,
    };
    this.sendProgressState();
  }

  sendProgressState(): void {
    if (!this.request.progressState) return;
    this.emit({ type: 'progress_state', data: { prompt_id: this.promptId, nodes: { ...this.states } } });
  }

  async execute(id: string, live: LiveNode): Promise<CachedResult> {
    const { def } = live;
    const outputSpecs = def.outputs ?? [];
    const outputs: unknown[][] = outputSpecs.map(() => []);
    // Per call, in order: a plain result, or the index of an expansion whose result comes later.
    const callResults: (readonly unknown[] | number)[] = [];
    const expansions: { result: readonly unknown[]; expand: Expansion }[] = [];
    let ui: UiOutput | undefined;

    const callNode = async () => {
      this.throwIfStopped(id);
      const inputs = this.gatherInputs(id, def, false);
      // Only nodes with a timeout need a signal of their own (combining signals has a cost).
      const nodeAbort = def.timeoutMs ? new AbortController() : undefined;
      const signal = nodeAbort ? AbortSignal.any([this.stop.signal, nodeAbort.signal]) : this.stop.signal;
      const ctx = this.context(id, live, signal);

      this.setState(id, live, 'running', 0, 1);
      this.emit({ type: 'executing', data: { node: id, display_node: live.displayId, prompt_id: this.promptId } });
      try {
        const calls = def.inputIsList ? [inputs] : sliceLists(inputs);
        for (let index = 0; index < calls.length; index++) {
          const callInputs = calls[index]!;
          ctx.throwIfInterrupted();
          const blocker = findBlocker(callInputs);
          if (blocker) {
            this.reportBlocker(id, live, blocker);
            callResults.push(outputSpecs.map(() => blocker));
            continue;
          }
          const callCtx = index === 0 ? ctx : { ...ctx, expansionPrefix: `${id}.${index}.` };
          const returned = await withTimeout(def, () => def.execute(callInputs, callCtx), nodeAbort);
          const { result, ui: callUi, expand } = normalizeResult(returned);
          if (expand) {
            callResults.push(expansions.length);
            expansions.push({ result, expand });
          } else {
            callResults.push(result);
          }
          if (callUi) ui = mergeUi(ui, callUi);
        }
        ctx.throwIfInterrupted();
      } catch (error) {
        throw new NodeFailure(id, this.signal.aborted ? new InterruptedError() : error);
      }
    };
    // Only the node's own calls are exclusive: the nodes of its expansions need the lock too.
    await (def.concurrent ? callNode() : this.lock.run(callNode));

    const expanded = expansions.length > 0 ? await this.runExpansions(id, live, expansions) : [];
    try {
      for (const result of callResults) collectOutputs(def, typeof result === 'number' ? expanded[result]! : result, outputs);
    } catch (error) {
      throw new NodeFailure(id, error);
    }

    this.executed.push(id);
    this.recordUi(id, live, ui);
    if (ui) this.emit({ type: 'executed', data: { node: id, display_node: live.displayId, output: ui, prompt_id: this.promptId } });
    this.setState(id, live, 'finished', 1, 1);
    return ui ? { outputs, ui } : { outputs };
  }

  /** Adds each expansion's nodes to the live graph, runs what its result needs, resolves links. */
  async runExpansions(parentId: string, parent: LiveNode, expansions: { result: readonly unknown[]; expand: Expansion }[]): Promise<unknown[][]> {
    const { registry } = this.executor.options;
    const added: string[] = [];
    for (const { expand } of expansions) {
      for (const [childId, child] of Object.entries(expand)) {
        if (this.live.has(childId) || childId in this.prompt) {
          throw new NodeFailure(parentId, new Error(`expansion node id "${childId}" already exists in the prompt`));
        }
        const def = registry.get(child?.class_type);
        if (!def) throw new NodeFailure(parentId, new Error(`expansion uses unknown node class ${JSON.stringify(child?.class_type)}`));
        this.live.set(childId, {
          node: { class_type: child.class_type, inputs: { ...child.inputs } },
          def,
          displayId: child.override_display_id ?? parent.displayId,
          parentId,
        });
        added.push(childId);
      }
    }
    // A child that depends on the expanding node (or on anything waiting for it) can never run.
    const graph = Object.fromEntries([...this.live].map(([id, live]) => [id, live.node]));
    const waiting = this.dependentsOf(parentId, graph);
    const roots = [
      ...expansions.flatMap(({ result }) => result.filter(isLink).map((link) => link[0])),
      ...added.filter((id) => this.live.get(id)!.def.outputNode),
    ];
    for (const root of roots) {
      if (!this.live.has(root)) throw new NodeFailure(parentId, new Error(`expansion result links to unknown node "${root}"`));
    }
    const childOrder = this.dependencyOrder(roots, graph, true);
    if (childOrder.some((id) => waiting.has(id))) throw new NodeFailure(parentId, new DependencyCycleError());
    await this.computeSignatures(
      childOrder.filter((id) => added.includes(id)),
      this.signatures.get(parentId)!,
    );
    await Promise.all(this.neededOrder(roots).map((id) => this.ensure(id)));
    return expansions.map(({ result }) =>
      result.map((value, slot) => {
        if (!isLink(value)) return value;
        const values = this.results.get(value[0])?.outputs[value[1]] ?? [];
        // A child's stored list is one value of the parent, unless the parent's slot is a list.
        if (parent.def.outputs?.[slot]?.isList) return values;
        return values.length === 1 ? values[0] : values;
      }),
    );
  }

  /** The node itself and every node that (transitively) takes one of its outputs. */
  dependentsOf(id: string, graph: ApiPrompt): Set<string> {
    const consumers = new Map<string, string[]>();
    for (const [nodeId, node] of Object.entries(graph)) {
      for (const value of Object.values(node.inputs)) {
        if (isLink(value)) consumers.set(value[0], [...(consumers.get(value[0]) ?? []), nodeId]);
      }
    }
    const found = new Set([id]);
    const stack = [id];
    while (stack.length > 0) {
      for (const next of consumers.get(stack.pop()!) ?? []) {
        if (!found.has(next)) {
          found.add(next);
          stack.push(next);
        }
      }
    }
    return found;
  }

  reportBlocker(id: string, live: LiveNode, blocker: ExecutionBlocker): void {
    if (blocker.message === null || this.reportedBlockers.has(blocker)) return;
    this.reportedBlockers.add(blocker);
    // Non-fatal: clients show it, the run goes on (ComfyUI sends it without a timestamp).
    this.emit({
      type: 'execution_error',
      data: {
        prompt_id: this.promptId,
        node_id: id,
        node_type: live.node.class_type,
        executed: [...this.executed],
        exception_message: `Execution Blocked: ${blocker.message}`,
        exception_type: 'ExecutionBlocked',
        traceback: [],
        current_inputs: {},
        current_outputs: [],
      } as unknown as ExecutionErrorData,
    });
  }

  /** Every input as a list: literals become one-element lists, links the source's whole list. */
  gatherInputs(id: string, def: NodeDefinition, allowMissing: boolean): Record<string, unknown[]> {
    const node = this.live.get(id)?.node ?? this.prompt[id]!;
    const inputs: Record<string, unknown[]> = {};
    for (const [name, value] of Object.entries(node.inputs)) {
      if (isLink(value)) {
        const spec = findInput(def, name);
        if (spec && 'rawLink' in spec && spec.rawLink) {
          inputs[name] = [value];
          continue;
        }
        const source = this.results.get(value[0]);
        if (!source && allowMissing) inputs[name] = [null];
        else inputs[name] = source?.outputs[value[1]] ?? [null];
      } else if (findInput(def, name)) {
        inputs[name] = [value];
      }
    }
    for (const [name, kind] of Object.entries(def.inputs?.hidden ?? {})) {
      if (kind === 'PROMPT') inputs[name] = [this.prompt];
      else if (kind === 'EXTRA_PNGINFO') inputs[name] = [this.request.extraData?.extra_pnginfo ?? null];
      else if (kind === 'UNIQUE_ID') inputs[name] = [id];
      else if (kind === 'DYNPROMPT') inputs[name] = [this.liveGraph];
    }
    return inputs;
  }

  context(id: string, live: LiveNode, signal: AbortSignal): NodeContext {
    const { env } = this.executor.options;
    const throwIfInterrupted = () => {
      if (this.signal.aborted) throw new InterruptedError();
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError('stopped');
    };
    return {
      nodeId: id,
      promptId: this.promptId,
      expansionPrefix: `${id}.0.`,
      prompt: this.prompt,
      extraData: this.request.extraData ?? {},
      signal,
      throwIfInterrupted,
      progress: (value, max, preview) => {
        throwIfInterrupted();
        this.emit({ type: 'progress', data: { value, max, prompt_id: this.promptId, node: id } });
        this.setState(id, live, 'running', value, max);
        if (preview) this.request.onPreview?.(id, preview);
      },
      storage: env.storage,
      services: env.services,
    };
  }

  describeInputs(id: string): Record<string, unknown[]> {
    const live = this.live.get(id);
    if (!live) return {};
    const out: Record<string, unknown[]> = {};
    for (const [name, values] of Object.entries(this.gatherInputs(id, live.def, true))) {
      if (live.def.inputs?.hidden?.[name]) continue;
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

function findBlocker(inputs: NodeInputs): ExecutionBlocker | undefined {
  for (const value of Object.values(inputs)) {
    if (value instanceof ExecutionBlocker) return value;
    if (Array.isArray(value)) {
      const inner = value.find((v) => v instanceof ExecutionBlocker);
      if (inner) return inner as ExecutionBlocker;
    }
  }
  return undefined;
}

function collectOutputs(def: NodeDefinition, result: readonly unknown[], outputs: unknown[][]): void {
  (def.outputs ?? []).forEach((spec, slot) => {
    const value = result[slot];
    if (spec.isList) {
      if (value instanceof ExecutionBlocker) outputs[slot]!.push(value);
      else if (Array.isArray(value)) outputs[slot]!.push(...value);
      else throw new TypeError(`output ${slot} (${spec.name ?? spec.type}) is a list output but the node returned ${String(describe(value))}`);
    } else {
      outputs[slot]!.push(value);
    }
  });
}

async function withTimeout(def: NodeDefinition, call: () => NodeResult | Promise<NodeResult>, abort: AbortController | undefined): Promise<NodeResult> {
  if (!def.timeoutMs || !abort) return call();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TimeoutError(`${def.type} timed out after ${def.timeoutMs} ms (timeout)`);
      abort.abort(error);
      reject(error);
    }, def.timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(call), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function normalizeResult(value: NodeResult): { result: readonly unknown[]; ui?: UiOutput; expand?: Expansion } {
  if (value === undefined || value === null) return { result: [] };
  if (Array.isArray(value)) return { result: value };
  const { result, ui, expand } = value as { result?: readonly unknown[]; ui?: UiOutput; expand?: Expansion };
  if (result !== undefined && !Array.isArray(result)) throw new TypeError('a node returned `result` that is not an array');
  const normalized: { result: readonly unknown[]; ui?: UiOutput; expand?: Expansion } = { result: result ?? [] };
  if (ui) normalized.ui = ui;
  if (expand) normalized.expand = expand;
  return normalized;
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
  if (value instanceof ExecutionBlocker) return `ExecutionBlocker(${value.message ?? ''})`;
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
