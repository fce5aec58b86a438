// Turns a graph into a session with the caller's provider and conversion-cache settings, and
// drives the streaming (first / next) graph pairs with their carried caches.
import type { ProviderChoice, ExecutionProviderRequest } from '../../../../server/ml/device.ts';
import { buildModel } from '../../../../server/ml/onnx/build-model.ts';
import type { GraphBuilder } from '../../../../server/ml/onnx/graph-builder.ts';
import { collectGarbage } from '../../../../server/ml/collect-garbage.ts';
import { createSession } from '../../../../server/ml/session.ts';
import type { ModelSession } from '../../../../server/ml/session.ts';
import { createTensor } from '../../../../server/ml/tensor.ts';
import type { Tensor } from '../../../../server/ml/tensor.ts';
import type { CacheSlot, StepGraph } from './history.ts';

export interface VaeSessionOptions {
  readonly provider?: ProviderChoice | ExecutionProviderRequest;
  /** Where converted weight copies go (needed for fp16/bf16 checkpoints on the CPU). */
  readonly cacheDir?: string;
  readonly intraOpNumThreads?: number;
  /** ORT's CPU arena (SessionConfig.cpuMemArena); default on. */
  readonly cpuMemArena?: boolean;
  readonly log?: (message: string) => void;
}

export function openGraphSession(graph: GraphBuilder, options: VaeSessionOptions): Promise<ModelSession> {
  const model = buildModel(graph, options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir });
  return createSession(model, {
    provider: options.provider ?? 'cpu',
    ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
    ...(options.cpuMemArena === undefined ? {} : { cpuMemArena: options.cpuMemArena }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}

/** A session built on first use and shared by later callers. */
export class LazySession {
  private pending: Promise<ModelSession> | undefined;

  constructor(private readonly make: () => Promise<ModelSession>) {}

  get(): Promise<ModelSession> {
    this.pending ??= this.make();
    return this.pending;
  }

  async release(): Promise<void> {
    const p = this.pending;
    this.pending = undefined;
    if (p) await (await p).release();
  }
}

/**
 * A streaming pair of graphs (first call, later calls) and the loop that drives them: each input
 * goes through one session run, every `cache_out.*` becomes the next call's `cache_in.*` (zeros
 * before the first), so only the caches stay between calls.
 */
export class StepSessions {
  readonly first: LazySession;
  readonly next: LazySession;
  private nextGraph: StepGraph | undefined;

  // Graphs are built on first use: a VAE used only to decode may hold no encoder weights at all.
  constructor(private readonly build: (first: boolean) => StepGraph, options: VaeSessionOptions) {
    this.first = new LazySession(() => openGraphSession(build(true).graph, options));
    this.next = new LazySession(() => openGraphSession(this.laterGraph().graph, options));
  }

  /** The later graph's caches: a superset of what the first graph writes. */
  get caches(): readonly CacheSlot[] {
    return this.laterGraph().caches;
  }

  private laterGraph(): StepGraph {
    this.nextGraph ??= this.build(false);
    return this.nextGraph;
  }

  /**
   * Runs `inputName` = each input in turn and yields every output of each run. `size` checks an
   * input (knowing whether it is the first) and returns its height and width, which the caches'
   * shapes follow and which may not change along the stream.
   */
  async *run(
    inputName: string,
    inputs: Iterable<Tensor> | AsyncIterable<Tensor>,
    size: (input: Tensor, first: boolean) => readonly [number, number],
  ): AsyncGenerator<Record<string, Tensor>> {
    let caches: Record<string, Tensor> | undefined;
    let hw: readonly [number, number] | undefined;
    for await (const input of inputs) {
      const first = caches === undefined;
      hw = keepSize(hw, size(input, first));
      const [h, w] = hw;
      caches ??= zeroCaches(this.caches, h, w);
      const session = await (first ? this.first : this.next).get();
      const feeds: Record<string, Tensor> = { [inputName]: input };
      for (const name of session.inputNames) if (name !== inputName) feeds[name] = caches[name]!;
      const out = await session.run(feeds);
      for (const [name, value] of Object.entries(out)) {
        if (name.startsWith('cache_out.')) caches[`cache_in.${name.slice('cache_out.'.length)}`] = value;
      }
      yield out;
    }
  }

  async release(): Promise<void> {
    await Promise.all([this.first.release(), this.next.release()]);
  }
}

/** Dead output copies worth a full garbage collection (one costs tens of milliseconds). */
const DEAD_COPY_COLLECT_BYTES = 64 * 2 ** 20;

/**
 * One graph for every call of a stream (see StreamedHistory): caches start empty (0 frames), hold
 * `firstFrames` after the first call and `frames` from the second on. Every cache output is computed
 * into a buffer of ours: a new one while the cache grows, then the old cache itself, overwritten in
 * place (the old one is read only by the concat in front of its conv, which runs before the slice
 * that writes the new one). So ORT allocates no cache, and a steady-state call holds one set of
 * caches instead of an input set and an output set.
 */
export class StreamSession {
  readonly session: LazySession;
  private graph: StepGraph | undefined;

  constructor(private readonly build: () => StepGraph, options: VaeSessionOptions) {
    this.session = new LazySession(() => openGraphSession(this.stepGraph().graph, options));
  }

  private stepGraph(): StepGraph {
    this.graph ??= this.build();
    return this.graph;
  }

  /** Like StepSessions.run, one session for every input; yields the outputs other than the caches. */
  async *run(
    inputName: string,
    inputs: Iterable<Tensor> | AsyncIterable<Tensor>,
    size: (input: Tensor, first: boolean) => readonly [number, number],
  ): AsyncGenerator<Record<string, Tensor>> {
    const slots = this.stepGraph().caches;
    const caches = new Map<CacheSlot, Tensor>();
    let hw: readonly [number, number] | undefined;
    for await (const input of inputs) {
      const first = hw === undefined;
      hw = keepSize(hw, size(input, first));
      const [h, w] = hw;
      const session = await this.session.get();
      const feeds: Record<string, Tensor> = { [inputName]: input };
      const into: Record<string, Tensor> = {};
      for (const slot of slots) {
        const shape = (frames: number): number[] => [1, slot.channels, frames, h * slot.spatialScale, w * slot.spatialScale];
        const cache = caches.get(slot) ?? createTensor('float32', shape(0));
        feeds[slot.inputName] = cache;
        const frames = first ? (slot.firstFrames ?? slot.frames) : slot.frames;
        const next = cache.shape[2] === frames ? cache : createTensor('float32', shape(frames));
        into[slot.outputName] = next;
        caches.set(slot, next);
      }
      const out = await session.runInto(feeds, session.outputNames.filter((n) => !(n in into)), into);
      // The binding's copies of the cache outputs are dead already; free them before the next run
      // (of this session or the other decoder half) when they are large enough to matter.
      if (Object.values(into).reduce((sum, t) => sum + t.data.byteLength, 0) >= DEAD_COPY_COLLECT_BYTES) collectGarbage();
      yield out;
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** `next`, once it is the size the stream started with (a stream keeps one size). */
function keepSize(started: readonly [number, number] | undefined, next: readonly [number, number]): readonly [number, number] {
  if (started && (started[0] !== next[0] || started[1] !== next[1])) throw new Error(`a stream keeps one size: ${started[0]}x${started[1]}, then ${next[0]}x${next[1]}`);
  return next;
}

function zeroCaches(slots: readonly CacheSlot[], h: number, w: number): Record<string, Tensor> {
  const caches: Record<string, Tensor> = {};
  for (const s of slots) caches[s.inputName] = createTensor('float32', [1, s.channels, s.frames, h * s.spatialScale, w * s.spatialScale]);
  return caches;
}
