// The node's decode, chunk by chunk (the original's one-latent-frame loop) or whole: same frames,
// first frame dropped, interrupts between chunks, wrong decoder output refused.
import { describe, expect, it } from 'vitest';
import type { PixelVideo } from '../../../nodes/flashportrait/pipeline/conditioning.ts';
import { LatentFrames } from '../../../nodes/flashportrait/pipeline/latent-frames.ts';
import { memoryRecords } from '../../../nodes/flashportrait/pipeline/record-store.ts';
import type { FlashPortraitNetworks } from '../../../nodes/flashportrait/pipeline/networks.ts';
import { decodeNodeFrames, nodeOutputSize } from '../../../nodes/flashportrait/pipeline/node.ts';
import { syntheticNetworks } from './synthetic.ts';

const shape = { channels: 4, frames: 3, height: 2, width: 3 };
const latents = await LatentFrames.fromNoise(shape, Float32Array.from({ length: 4 * 3 * 2 * 3 }, (_, k) => Math.sin(k)), memoryRecords, 'latents');

/** A decoder whose frame f, channel c, pixel i is a distinct value in about [-1.2, 1.2]. */
function video(frames: number, first = 0): PixelVideo {
  const height = 16;
  const width = 24;
  const plane = height * width;
  const data = new Float32Array(3 * frames * plane);
  for (let c = 0; c < 3; c++) for (let f = 0; f < frames; f++) for (let i = 0; i < plane; i++) data[(c * frames + f) * plane + i] = 1.2 * Math.sin(0.1 * i + c + 7 * (f + first));
  return { frames, height, width, data };
}

function networks(chunked: boolean): FlashPortraitNetworks {
  const base = syntheticNetworks({ channels: 4 });
  return {
    ...base,
    vaeDecode: async () => video(9),
    ...(chunked ? {
      async vaeDecodeChunks(l: LatentFrames, onChunk: (c: PixelVideo) => Promise<void> | void) {
        for (let t = 0; t < l.shape.frames; t++) await onChunk(t === 0 ? video(1) : video(4, 1 + 4 * (t - 1)));
      },
    } : {}),
  };
}

async function collect(net: FlashPortraitNetworks, signal?: AbortSignal): Promise<{ data: number[]; chunks: number[] }> {
  const data: number[] = [];
  const chunks: number[] = [];
  await decodeNodeFrames(latents, net, (frames, count) => {
    data.push(...frames);
    chunks.push(count);
  }, signal);
  return { data, chunks };
}

describe('node decode', () => {
  it('streamed chunks give the whole decode, first frame dropped, in ComfyUI layout and range', async () => {
    expect(nodeOutputSize(shape)).toEqual({ frames: 8, height: 16, width: 24 });
    const whole = await collect(networks(false));
    const streamed = await collect(networks(true));
    expect(whole.chunks).toEqual([8]);
    expect(streamed.chunks).toEqual([4, 4]);
    expect(streamed.data).toEqual(whole.data);
    expect(whole.data).toHaveLength(8 * 16 * 24 * 3);
    // Output frame 0 is decoded frame 1; HWC layout; x / 2 + 0.5 clamped to [0, 1].
    const v = video(9).data;
    const plane = 16 * 24;
    const expected = (f: number, i: number, c: number) => Math.min(1, Math.max(0, Math.fround(Math.fround(v[(c * 9 + f + 1) * plane + i]! / 2) + 0.5)));
    expect(whole.data[(0 * plane + 5) * 3 + 2]).toBe(expected(0, 5, 2));
    expect(whole.data[(7 * plane + 100) * 3 + 1]).toBe(expected(7, 100, 1));
    expect(Math.min(...whole.data)).toBe(0);
    expect(Math.max(...whole.data)).toBe(1);
  });

  it('an interrupt stops between chunks; a decoder with the wrong size or frame count is an error', async () => {
    const controller = new AbortController();
    let seen = 0;
    const net = networks(true);
    await expect(decodeNodeFrames(latents, net, () => { if (++seen === 1) controller.abort(new Error('stop')); }, controller.signal)).rejects.toThrow('stop');
    expect(seen).toBe(1);
    await expect(collect({ ...networks(false), vaeDecode: async () => video(5) })).rejects.toThrow(/returned 5 frames, expected 9/);
    await expect(collect({ ...networks(false), vaeDecode: async () => ({ ...video(9), width: 32, data: new Float32Array(3 * 9 * 16 * 32) }) })).rejects.toThrow(/32x16 frames, expected 24x16/);
  });
});
