// Recording stand-in networks for the golden pipeline cases (sampler README, "Stand-ins").
import { expect } from 'vitest';
import type { FlashPortraitNetworks, TransformerCall } from '../../../nodes/flashportrait/pipeline/networks.ts';
import type { RgbImage } from '../../../nodes/flashportrait/pipeline/conditioning.ts';
import { GoldenCase, expectClose, slab } from './golden-case.ts';

export interface RecordedCall {
  step: number;
  window?: number;
  branch: string;
  context: string;
  ip_scale: number;
  t: number;
  seq_len: number;
}

export interface GoldenStandIns {
  readonly networks: FlashPortraitNetworks;
  readonly transformerCalls: () => number;
  readonly maxError: () => number;
}

/** The reference image, recovered from the recorded CLIP input (u8/255*2-1 is invertible). */
export function referenceFromClipInput(golden: GoldenCase): RgbImage {
  const clip = golden.f32('out.clip_input');
  const [, , height, width] = clip.shape as [number, number, number, number];
  const plane = height * width;
  const data = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.round(((clip.data[c * plane + i]! + 1) / 2) * 255);
  return { width, height, data };
}

export function goldenStandIns(golden: GoldenCase, options: { windowed: boolean }): GoldenStandIns {
  const calls = golden.json.calls as RecordedCall[];
  const transformerOut = golden.f32('in.transformer_out');
  const windowX = golden.f32('out.window_x');
  const y = golden.f32('out.y');
  const emoProj = golden.has('out.emo_proj') ? golden.f32('out.emo_proj') : undefined;
  const emoLens = golden.i64('out.emo_context_lens');
  const adapter = golden.f32('in.adapter_proj_full');
  const adapterWidth = adapter.shape[2]!;
  let count = 0;
  let worst = 0;
  const windowIndex = (call: TransformerCall): number[] => (options.windowed ? [call.step, call.window] : [call.step]);
  const networks: FlashPortraitNetworks = {
    async transformer(call) {
      const expected = calls[count];
      expect(expected, `transformer call ${count} was not expected`).toBeDefined();
      expect({
        step: call.step, branch: call.branch, context: call.prompt === 'positive' ? 'pos' : 'neg',
        ip_scale: call.ipScale, t: call.timestep, seq_len: call.seqLen, ...(options.windowed ? { window: call.window } : {}),
      }).toEqual({
        step: expected!.step, branch: expected!.branch, context: expected!.context, ip_scale: expected!.ip_scale,
        t: expected!.t, seq_len: expected!.seq_len, ...(options.windowed ? { window: expected!.window } : {}),
      });
      expect((call.text as { prompt: string }).prompt).toBe(call.prompt === 'positive' ? 'a portrait' : 'blurry');
      worst = Math.max(worst, expectClose(call.x, slab(windowX, ...windowIndex(call)), `x of call ${count}`));
      expectClose(call.y, y.data, 'y');
      const lens = options.windowed ? emoLens.slice(call.window * call.shape.frames, (call.window + 1) * call.shape.frames) : emoLens;
      expect(Array.from(call.emotion.lengths)).toEqual(lens);
      if (emoProj) expectClose(call.emotion.tokens, options.windowed ? slab(emoProj, call.window) : emoProj.data, 'emo_proj');
      return slab(transformerOut, count++);
    },
    async vaeEncode(video) {
      const frame0 = golden.f32('out.masked_video_frame0').data;
      const plane = video.height * video.width;
      for (let c = 0; c < 3; c++) {
        const channel = video.data.subarray(c * video.frames * plane, (c + 1) * video.frames * plane);
        expectClose(channel.subarray(0, plane), frame0.subarray(c * plane, (c + 1) * plane), 'masked video frame 0');
        expect(channel.subarray(plane).every((v) => v === 0)).toBe(true);
      }
      return golden.f32('in.masked_video_latents').data;
    },
    async vaeDecode(latents) {
      expectClose(latents, golden.f32('out.final_latents').data, 'final latents');
      const decoded = golden.f32('in.decoded_video');
      const [, , frames, height, width] = decoded.shape as number[];
      return { frames: frames!, height: height!, width: width!, data: decoded.data };
    },
    async portraitEncoder({ frameStart, frameEnd }) {
      return { tokens: adapter.data.subarray(24 * frameStart * adapterWidth, 24 * frameEnd * adapterWidth), width: adapterWidth };
    },
    async clipImage(pixels) {
      expectClose(pixels, golden.f32('out.clip_input').data, 'clip input');
      return { clip: true };
    },
    async textEncoder(prompt) {
      return { prompt };
    },
  };
  return { networks, transformerCalls: () => count, maxError: () => worst };
}
