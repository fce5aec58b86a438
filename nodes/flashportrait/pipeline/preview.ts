// Cheap per-step previews: Wan2.1 latents projected to RGB by a fixed 16->3 linear map (the public
// latent_rgb_factors of ComfyUI's Wan21 latent format), no VAE involved.
import type { LatentVideo } from './latent-video.ts';

export const WAN21_LATENT_RGB_FACTORS: readonly (readonly [number, number, number])[] = [
  [-0.1299, -0.1692, 0.2932],
  [0.0671, 0.0406, 0.0442],
  [0.3568, 0.2548, 0.1747],
  [0.0372, 0.2344, 0.142],
  [0.0313, 0.0189, -0.0328],
  [0.0296, -0.0956, -0.0665],
  [-0.3477, -0.4059, -0.2925],
  [0.0166, 0.1902, 0.1975],
  [-0.0412, 0.0267, -0.1364],
  [-0.1293, 0.074, 0.1636],
  [0.068, 0.3019, 0.1128],
  [0.0032, 0.0581, 0.0639],
  [-0.1251, 0.0927, 0.1699],
  [0.006, -0.0633, 0.0005],
  [0.3477, 0.2275, 0.295],
  [0.1984, 0.0913, 0.1861],
];
export const WAN21_LATENT_RGB_BIAS: readonly [number, number, number] = [-0.1835, -0.0868, -0.336];

export interface LatentPreview {
  readonly step: number;
  /** [frames, height, width, 3] bytes at latent resolution. */
  readonly rgb: Uint8Array;
  readonly frames: number;
  readonly height: number;
  readonly width: number;
}

/** RGB bytes of every latent frame; `out` is reused between steps. Other channel counts cycle the 16 factors. */
export function latentToRgb(latents: LatentVideo, out?: Uint8Array): Uint8Array {
  const { channels, frames, height, width } = latents.shape;
  const plane = height * width;
  const rgb = out && out.length === frames * plane * 3 ? out : new Uint8Array(frames * plane * 3);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < plane; i++) {
      let r = WAN21_LATENT_RGB_BIAS[0];
      let g = WAN21_LATENT_RGB_BIAS[1];
      let b = WAN21_LATENT_RGB_BIAS[2];
      for (let c = 0; c < channels; c++) {
        const v = latents.data[(c * frames + f) * plane + i]!;
        const factors = WAN21_LATENT_RGB_FACTORS[c % WAN21_LATENT_RGB_FACTORS.length]!;
        r += v * factors[0];
        g += v * factors[1];
        b += v * factors[2];
      }
      const o = (f * plane + i) * 3;
      // [-1, 1] -> [0, 255]; Uint8Array assignment would wrap, so clamp first.
      rgb[o] = Math.min(255, Math.max(0, Math.round((r + 1) * 127.5)));
      rgb[o + 1] = Math.min(255, Math.max(0, Math.round((g + 1) * 127.5)));
      rgb[o + 2] = Math.min(255, Math.max(0, Math.round((b + 1) * 127.5)));
    }
  }
  return rgb;
}
