// Deterministic synthetic networks (no goldens needed): a smooth velocity field towards a fixed
// clean latent, so trajectories are well-behaved and ALP has something smooth to forecast.
import type { FlashPortraitNetworks } from '../../../nodes/flashportrait/pipeline/networks.ts';
import type { SamplingRequest } from '../../../nodes/flashportrait/pipeline/sampler.ts';
import type { SchedulerName } from '../../../nodes/flashportrait/pipeline/schedulers/index.ts';

export function syntheticNetworks(options: { channels: number; costMs?: number } = { channels: 4 }): FlashPortraitNetworks & { calls: number } {
  const net = {
    calls: 0,
    async transformer(call: Parameters<FlashPortraitNetworks['transformer']>[0]) {
      net.calls++;
      if (options.costMs) await new Promise((r) => setTimeout(r, options.costMs));
      const sigma = Math.max(call.timestep / 1000, 1e-3);
      const out = new Float32Array(call.x.length);
      const guidance = call.ipScale * 0.05 + (call.prompt === 'negative' ? -0.03 : 0);
      for (let k = 0; k < out.length; k++) {
        const target = 0.5 * Math.sin(k * 0.37) + guidance;
        out[k] = (call.x[k]! - target) / sigma;
      }
      return out;
    },
    async vaeEncode(video: Parameters<FlashPortraitNetworks['vaeEncode']>[0]) {
      const t = (video.frames - 1) / 4 + 1;
      return new Float32Array(options.channels * t * (video.height / 8) * (video.width / 8)).fill(0.25);
    },
    async vaeDecode(latents: Float32Array, shape: { frames: number; height: number; width: number }) {
      const frames = (shape.frames - 1) * 4 + 1;
      return { frames, height: shape.height * 8, width: shape.width * 8, data: new Float32Array(3 * frames * shape.height * 8 * shape.width * 8).fill(latents[0] ?? 0) };
    },
    async portraitEncoder({ frameStart, frameEnd }: { frameStart: number; frameEnd: number }) {
      return { tokens: new Float32Array((frameEnd - frameStart) * 24 * 2).fill(1), width: 2 };
    },
    async clipImage() { return 'clip'; },
    async textEncoder(prompt: string) { return prompt; },
  };
  return net;
}

export function syntheticRequest(overrides: Partial<SamplingRequest> & { drivingFrames: number; scheduler?: SchedulerName }): SamplingRequest {
  const channels = overrides.latentChannels ?? 4;
  const latentFrames = Math.floor((overrides.drivingFrames - 1) / 4) + 1;
  const size = channels * latentFrames * 2 * 2;
  const noise = Float32Array.from({ length: size }, (_, k) => Math.sin(k * 12.9898) * 1.3);
  return {
    reference: { width: 16, height: 16, data: new Uint8Array(16 * 16 * 3).fill(128) },
    headEmotionFeatures: new Float32Array(overrides.drivingFrames * 554),
    prompt: 'p', negativePrompt: 'n', latentChannels: channels, noise,
    steps: 10, scheduler: 'euler', shift: 5, emoCfgScale: 4, textCfgScale: 1,
    contextSize: 5, contextOverlap: 2,
    ...overrides,
  };
}
