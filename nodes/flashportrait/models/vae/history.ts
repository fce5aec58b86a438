// What a causal temporal conv sees before the frames it is given. In the whole-sequence graph that
// is zeros (the original's 2 leading zero frames); in the streaming graph it is the tail of the
// previous call's input, carried in and out of the graph as a tensor, so any clip length runs in
// constant memory. The streaming encoder and decoder share this (and `buildStepGraph`).
import { GraphBuilder } from '../../../../server/ml/onnx/graph-builder.ts';
import type { Value } from '../../../../server/ml/onnx/graph-builder.ts';
import type { WeightIndex } from '../../../../server/ml/weights/index.ts';

/**
 * Which graph a layer is built into: the whole sequence at once, the first streaming call (the
 * resamplers' time convs are skipped there, as in the original's first chunk) or a later one.
 */
export type TemporalPass = 'whole' | 'stream-first' | 'stream-next';

export interface HistoryExtension {
  /** The conv input, possibly with past frames in front. */
  readonly input: Value;
  /** Zero frames the conv must still pad in front (0 when the past was concatenated). */
  readonly zeroFrames: number;
}

export interface TemporalHistory {
  /** `frames` past frames for x, for the cache called `key` (channels and spatial scale describe its shape). */
  extend(g: GraphBuilder, key: string, x: Value, frames: number, channels: number, spatialScale: number): HistoryExtension;
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
    g.output(lastFrames(g, joined, frames), slot.outputName);
    return { input: joined, zeroFrames: 0 };
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

export interface StepGraph {
  readonly graph: GraphBuilder;
  /** The caches this graph writes (and, after the first call, reads); zeros before the first call. */
  readonly caches: readonly CacheSlot[];
}

/** A streaming graph: `build` adds the input and outputs, every causal layer's past goes through the carried caches. */
export function buildStepGraph(weights: WeightIndex, name: string, build: (g: GraphBuilder, history: TemporalHistory) => void): StepGraph {
  const g = new GraphBuilder({ weights, computeDtype: 'float32', name });
  const history = new CarriedHistory();
  build(g, history);
  return { graph: g, caches: history.slots };
}
