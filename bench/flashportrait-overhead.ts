// FlashGraph's own work around the networks at the released shapes (480x832 and 720x1280, 81 driving
// frames, 30 steps, emotion CFG = 2 DiT calls per step), measured on this machine with networks
// that cost nothing, against the least time the real DiT can take: its FLOPs at the H100's
// measured bf16 matmul ceiling. Both choices make the share an upper bound: the real networks
// (VAE, T5, CLIP, face models) only add ONNX time, and no GPU runs the DiT at its matmul ceiling.
import { demoDrivingFrames } from '../nodes/flashportrait/demo/demo-frames.ts';
import { extractHeadEmoFeatures } from '../nodes/flashportrait/features/extract.ts';
import type { HeadEmoModels } from '../nodes/flashportrait/features/extract.ts';
import { parseDitConfig } from '../nodes/flashportrait/models/dit/config.ts';
import { ditFlops } from '../nodes/flashportrait/models/dit/flops.ts';
import { nodeReferenceSize } from '../nodes/flashportrait/pipeline/frame-arithmetic.ts';
import type { FlashPortraitNetworks } from '../nodes/flashportrait/pipeline/networks.ts';
import { runFlashPortraitNode } from '../nodes/flashportrait/pipeline/node.ts';
import { sessionRunTotals } from '../server/ml/session.ts';
import { imageFromFloat32 } from '../types/data.ts';

/** 8192^3 bf16 matmul on the lent H100, KINDS.md of the device tool (2026-11-13). */
export const H100_BF16_MATMUL_FLOPS = 798e12;
const REAL_DIT = parseDitConfig({ dim: 5120, eps: 1e-6, ffn_dim: 13824, freq_dim: 256, in_dim: 36, model_type: 'i2v', num_heads: 40, num_layers: 40, out_dim: 16, text_len: 512 });
const DRIVING_FRAMES = 81;
const STEPS = 30;
const DIT_CALLS_PER_STEP = 2;
const EMOTION_WIDTH = 2048;

/** Networks that return correctly shaped outputs at once; their own time is measured and excluded. */
function freeNetworks(): FlashPortraitNetworks & { ms: number } {
  const net = {
    ms: 0,
    async transformer(call: Parameters<FlashPortraitNetworks['transformer']>[0]) {
      const t = performance.now();
      const out = new Float32Array(call.x.length).fill(0.01);
      net.ms += performance.now() - t;
      return out;
    },
    async vaeEncode(video: Parameters<FlashPortraitNetworks['vaeEncode']>[0]) {
      const t = performance.now();
      const out = new Float32Array(16 * ((video.frames - 1) / 4 + 1) * (video.height / 8) * (video.width / 8));
      net.ms += performance.now() - t;
      return out;
    },
    async vaeDecode(latents: Float32Array, shape: { frames: number; height: number; width: number }) {
      const t = performance.now();
      const frames = (shape.frames - 1) * 4 + 1;
      const out = { frames, height: shape.height * 8, width: shape.width * 8, data: new Float32Array(3 * frames * shape.height * 64 * shape.width).fill(0.2) };
      net.ms += performance.now() - t;
      return out;
    },
    async portraitEncoder({ frameStart, frameEnd }: { frameStart: number; frameEnd: number }) {
      const t = performance.now();
      const out = { tokens: new Float32Array((frameEnd - frameStart) * 24 * EMOTION_WIDTH), width: EMOTION_WIDTH };
      net.ms += performance.now() - t;
      return out;
    },
    async clipImage() { return 'clip'; },
    async textEncoder(prompt: string) { return prompt; },
  };
  return net;
}

export interface RealShapeRow {
  readonly label: string;
  readonly extractorHostMs: number;
  readonly samplerHostMs: number;
  readonly ditFloorMs: number;
}

/** Host ms of the feature extractor (ONNX runs of the stand-in face models excluded) on 81 frames of `size`. */
async function extractorHostMs(models: HeadEmoModels, size: { width: number; height: number }): Promise<number> {
  const frames = demoDrivingFrames(DRIVING_FRAMES, 25, size);
  const onnx = sessionRunTotals.milliseconds;
  const t = performance.now();
  await extractHeadEmoFeatures(frames, models, { contextSize: 51, contextOverlap: 30 });
  return performance.now() - t - (sessionRunTotals.milliseconds - onnx);
}

/** Host ms of the Sampler node's work: resize, conditioning, 30 steps of CFG/solver/blend, postprocess, IMAGE. */
async function samplerHostMs(size: { width: number; height: number }): Promise<number> {
  const net = freeNetworks();
  const reference = { width: size.width, height: size.height, data: new Float32Array(size.width * size.height * 3).fill(0.5) };
  const t = performance.now();
  const out = await runFlashPortraitNode({
    image: reference, headEmotionFeatures: new Float32Array(DRIVING_FRAMES * 554), prompt: 'p', negativePrompt: 'n',
    noise: (s) => new Float32Array(s.channels * s.frames * s.height * s.width).fill(0.3),
    steps: STEPS, scheduler: 'euler', shift: 5, emoCfgScale: 4, textCfgScale: 1,
    maxSize: Math.max(size.width, size.height), contextSize: 51, contextOverlap: 30,
  }, net);
  imageFromFloat32({ shape: [out.frames, out.height, out.width, 3], data: out.images });
  return performance.now() - t - net.ms;
}

export async function realShapeOverhead(models: HeadEmoModels): Promise<RealShapeRow[]> {
  const rows: RealShapeRow[] = [];
  for (const [label, width, height] of [['480x832', 480, 832], ['720x1280', 720, 1280]] as const) {
    const size = nodeReferenceSize(width, height, Math.max(width, height));
    const latentFrames = (DRIVING_FRAMES - 1) / 4 + 1;
    const flops = ditFlops(REAL_DIT, { frames: latentFrames, height: size.height / 8, width: size.width / 8 });
    rows.push({
      label,
      extractorHostMs: await extractorHostMs(models, size),
      samplerHostMs: await samplerHostMs(size),
      ditFloorMs: (1000 * flops * STEPS * DIT_CALLS_PER_STEP) / H100_BF16_MATMUL_FLOPS,
    });
  }
  return rows;
}
