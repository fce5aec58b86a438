// What a causal temporal conv sees before the frames it is given. In the whole-sequence graph that
// is zeros (the original's 2 leading zero frames); in the streaming graph it is the tail of the
// previous call's input, carried in and out of the graph as a tensor, so any clip length runs in
// constant memory. The streaming encoder and decoder share this (and `buildStepGraph`).
import { GraphBuilder } from '../../../../server/ml/onnx/graph-builder.ts';
import type { Value } from '../../../../server/ml/onnx/graph-builder.ts';
import { createTensor } from '../../../../server/ml/tensor.ts';
import type { WeightIndex } from '../../../../server/ml/weights/index.ts';

/**
 * Which graph a layer is built into: the whole sequence at once, the first streaming call (the
 * resamplers' time convs are skipped there, as in the original's first chunk), a later one, or
 * `stream`: one graph for every call, which tells the first call from the others by the length of
 * the caches it is fed (see `StreamedHistory`).
 */
export type TemporalPass = 'whole' | 'stream-first' | 'stream-next' | 'stream';

export interface HistoryExtension {
  /** The conv input, possibly with past frames in front. */
  readonly input: Value;
  /** Zero frames the conv must still pad in front (0 when the past was concatenated). */
  readonly zeroFrames: number;
  /** The cache this extension keeps (a graph output), if any: see `after`. */
  readonly kept?: Value;
}

/**
 * x, made to depend on `dep` at no cost (a Reshape to x's own shape, computed from both shapes).
 * ORT orders nodes by a depth-first walk back from the graph's leaves, the final output first, so a
 * cache output nothing reads runs only after the whole main chain, keeping the [past, input]
 * tensor it slices alive until then: for the decoder at 480x832 that is every full-resolution conv
 * input of the call at once. Passing the conv's output through `after(conv, cache)` puts the cache
 * slice right after the conv, which frees the conv input when the conv is done.
 */
export function after(g: GraphBuilder, x: Value, dep: Value): Value {
  const shape = int64(g, 'Add', [int64(g, 'Shape', [x]), int64(g, 'Mul', [int64(g, 'Shape', [dep]), g.ints([0])])]);
  return g.op('Reshape', [x, shape])[0]!;
}

/** A causal conv over `input`, padding `zeroFrames` zero frames in front. */
export type CausalConv = (g: GraphBuilder, input: Value, zeroFrames: number) => Value;

export interface TemporalHistory {
  /** `frames` past frames for x, for the cache called `key` (channels and spatial scale describe its shape). */
  extend(g: GraphBuilder, key: string, x: Value, frames: number, channels: number, spatialScale: number): HistoryExtension;
  /** When present, the history runs the conv itself (the one-graph stream picks the padding per call). */
  convolve?(g: GraphBuilder, key: string, x: Value, frames: number, channels: number, spatialScale: number, conv: CausalConv): Value;
  /** Start the cache called `key` from x's last `frames` frames without reading a past (a first call that skips the conv). */
  keep(g: GraphBuilder, key: string, x: Value, frames: number, channels: number, spatialScale: number): void;
}

export const ZERO_HISTORY: TemporalHistory = {
  extend: (_g, _key, x, frames) => ({ input: x, zeroFrames: frames }),
  keep: () => {},
};

export interface CacheSlot {
  readonly key: string;
  readonly inputName: string;
  readonly outputName: string;
  readonly channels: number;
  readonly frames: number;
  /** Cache height and width = the graph input's height and width times this. */
  readonly spatialScale: number;
  /** Frames the first call keeps, where that differs from `frames` (the one-graph stream only). */
  readonly firstFrames?: number;
}

function lastFrames(g: GraphBuilder, x: Value, frames: number): Value {
  return g.slice(x, [-frames], [Number.MAX_SAFE_INTEGER], [2]);
}

/**
 * Each cache is the last `frames` frames of [previous cache, current input]; fed zeros before the
 * first call, it reproduces the original's per-conv feature cache exactly.
 */
export class CarriedHistory implements TemporalHistory {
  readonly slots: CacheSlot[] = [];

  extend(g: GraphBuilder, key: string, x: Value, frames: number, channels: number, spatialScale: number): HistoryExtension {
    const slot = this.slot(key, channels, frames, spatialScale);
    const past = g.input(slot.inputName, x.dtype, [1, channels, frames, `h_${key}`, `w_${key}`]);
    const joined = g.concat([past, x], 2);
    const kept = g.output(lastFrames(g, joined, frames), slot.outputName);
    return { input: joined, zeroFrames: 0, kept };
  }

  keep(g: GraphBuilder, key: string, x: Value, frames: number, channels: number, spatialScale: number): void {
    g.output(lastFrames(g, x, frames), this.slot(key, channels, frames, spatialScale).outputName);
  }

  private slot(key: string, channels: number, frames: number, spatialScale: number): CacheSlot {
    const slot = { key, inputName: `cache_in.${key}`, outputName: `cache_out.${key}`, channels, frames, spatialScale };
    this.slots.push(slot);
    return slot;
  }
}

function int64(g: GraphBuilder, op: string, inputs: Value[]): Value {
  return g.op(op, inputs, {}, { dtype: 'int64' })[0]!;
}

/** x's frame count as an int64 [1] tensor. */
export function frameCount(g: GraphBuilder, x: Value): Value {
  return g.slice(int64(g, 'Shape', [x]), [2], [3]);
}

/** `count` (int64 [1]) zero frames with x's other dims but `channels` channels. */
export function zeroFramesLike(g: GraphBuilder, x: Value, count: Value, channels: number): Value {
  const spatial = g.slice(int64(g, 'Shape', [x]), [3], [5]);
  const shape = g.concat([g.ints([1, channels]), count, spatial], 0);
  return g.op('ConstantOfShape', [shape], { value: { tensor: createTensor(x.dtype, [1], [0]) } }, { dtype: x.dtype })[0]!;
}

/**
 * The caches of the one-graph streaming decoder. Each `cache_in.*` has a dynamic frame count p:
 * 0 before the first call, then whatever the previous call kept, which is the last
 * min(frames, p + its input's frames) of [cache, input] -- exactly the original's feature cache,
 * which holds 1 frame after a 1-frame first chunk and 2 afterwards. So the first call holds half
 * the cache memory of a 2-frame layout, and first and later calls share one session (one mapping of
 * the weights).
 */
export class StreamedHistory implements TemporalHistory {
  readonly slots: CacheSlot[] = [];

  /** `firstCallFrames`: the frame count every layer sees on the first call (1 for the decoder). */
  constructor(private readonly root: GraphBuilder, private readonly firstCallFrames: number) {}

  /**
   * The cache input called `key`, [1, channels, p, h*scale, w*scale], declared on the root graph.
   * `firstFrames`: what the first call keeps (by default as many as it sees, up to `frames`).
   */
  past(key: string, channels: number, frames: number, spatialScale: number, firstFrames = Math.min(frames, this.firstCallFrames)): Value {
    const slot = { key, inputName: `cache_in.${key}`, outputName: `cache_out.${key}`, channels, frames, spatialScale, firstFrames };
    this.slots.push(slot);
    return this.root.input(slot.inputName, 'float32', [1, channels, `past_${key}`, `h_${key}`, `w_${key}`]);
  }

  /** Declares the root graph's `cache_out.*` for the slot opened by `past`. */
  keepAs(key: string, cache: Value): Value {
    return this.root.output(cache, `cache_out.${key}`);
  }

  /**
   * An If on the cache's length. Empty (the first call): the conv pads its own zero frames and
   * reads x as it is, so no zero frames or [zeros, x] copy are made at full resolution. Otherwise
   * it reads [frames - p zeros, cache, x]. Either way the branch also returns the new cache; the
   * [cache, x] tensor lives only inside the branch, so it is freed as soon as the conv is done.
   */
  convolve(g: GraphBuilder, key: string, x: Value, frames: number, channels: number, spatialScale: number, conv: CausalConv): Value {
    const past = this.past(key, channels, frames, spatialScale);
    const held = frameCount(g, past);
    const lastOf = (b: GraphBuilder, t: Value, count: Value): Value => b.op('Slice', [t, int64(b, 'Neg', [count]), b.ints([Number.MAX_SAFE_INTEGER]), b.ints([2])])[0]!;
    const fresh = g.subgraph(`${key}_first`, [], (b) => {
      const keep = int64(b, 'Min', [b.ints([frames]), frameCount(b, x)]);
      return [conv(b, x, frames), lastOf(b, x, keep)];
    });
    const carried = g.subgraph(`${key}_next`, [], (b) => {
      const zeros = zeroFramesLike(b, x, int64(b, 'Sub', [b.ints([frames]), held]), channels);
      const joined = b.concat([zeros, past, x], 2);
      const keep = int64(b, 'Min', [b.ints([frames]), int64(b, 'Add', [held, frameCount(b, x)])]);
      return [conv(b, joined, 0), lastOf(b, joined, keep)];
    });
    const empty = g.op('Equal', [held, g.ints([0])], {}, { dtype: 'bool' })[0]!;
    const [y, cache] = g.op('If', [empty], { then_branch: { graph: fresh }, else_branch: { graph: carried } }, { outputs: 2, dtype: x.dtype });
    this.keepAs(key, cache!);
    return y!;
  }

  extend(): HistoryExtension {
    throw new Error('the one-graph streaming history runs its convs itself (convolve)');
  }

  keep(): void {
    throw new Error('the one-graph streaming history serves the decoder, which never keeps a frame without its conv');
  }
}

/** A history with a fixed, full past (a subgraph's view of an outer cache); `cache` is what it keeps. */
export class FixedPastHistory implements TemporalHistory {
  cache: Value | undefined;

  constructor(private readonly past: Value) {}

  extend(g: GraphBuilder, _key: string, x: Value, frames: number): HistoryExtension {
    const joined = g.concat([this.past, x], 2);
    this.cache = lastFrames(g, joined, frames);
    return { input: joined, zeroFrames: 0, kept: this.cache };
  }

  keep(): void {
    throw new Error('a fixed past keeps nothing on its own');
  }
}

export interface StepGraph {
  readonly graph: GraphBuilder;
  /** The caches this graph writes (and, after the first call, reads); zeros before the first call. */
  readonly caches: readonly CacheSlot[];
}

/** The one-graph streaming variant of `buildStepGraph`: every cache's frame count is dynamic. */
export function buildStreamGraph(weights: WeightIndex, name: string, firstCallFrames: number, build: (g: GraphBuilder, history: StreamedHistory) => void): StepGraph {
  const g = new GraphBuilder({ weights, computeDtype: 'float32', name });
  const history = new StreamedHistory(g, firstCallFrames);
  build(g, history);
  return { graph: g, caches: history.slots };
}

/** A streaming graph: `build` adds the input and outputs, every causal layer's past goes through the carried caches. */
export function buildStepGraph(weights: WeightIndex, name: string, build: (g: GraphBuilder, history: TemporalHistory) => void): StepGraph {
  const g = new GraphBuilder({ weights, computeDtype: 'float32', name });
  const history = new CarriedHistory();
  build(g, history);
  return { graph: g, caches: history.slots };
}
