// What a causal temporal conv sees before the frames it is given. In the whole-sequence graph that
// is zeros (the original's 2 leading zero frames); in the streaming graph it is the tail of the
// previous call's input, carried in and out of the graph as a tensor, so any clip length runs in
// constant memory.
import type { GraphBuilder, Value } from '../../../../server/ml/onnx/graph-builder.ts';

export interface HistoryExtension {
  /** The conv input, possibly with past frames in front. */
  readonly input: Value;
  /** Zero frames the conv must still pad in front (0 when the past was concatenated). */
  readonly zeroFrames: number;
}

export interface TemporalHistory {
  /** `frames` past frames for x, for the cache called `key` (channels and spatial scale describe its shape). */
  extend(g: GraphBuilder, key: string, x: Value, frames: number, channels: number, spatialScale: number): HistoryExtension;
}

export const ZERO_HISTORY: TemporalHistory = {
  extend: (_g, _key, x, frames) => ({ input: x, zeroFrames: frames }),
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

/**
 * Each cache is the last `frames` frames of [previous cache, current input]; fed zeros before the
 * first call, it reproduces the original's per-conv feature cache exactly.
 */
export class CarriedHistory implements TemporalHistory {
  readonly slots: CacheSlot[] = [];

  extend(g: GraphBuilder, key: string, x: Value, frames: number, channels: number, spatialScale: number): HistoryExtension {
    const inputName = `cache_in.${key}`;
    const outputName = `cache_out.${key}`;
    const past = g.input(inputName, x.dtype, [1, channels, frames, `h_${key}`, `w_${key}`]);
    const joined = g.concat([past, x], 2);
    g.output(g.slice(joined, [-frames], [Number.MAX_SAFE_INTEGER], [2]), outputName);
    this.slots.push({ key, inputName, outputName, channels, frames, spatialScale });
    return { input: joined, zeroFrames: 0 };
  }
}
