// Sizes of the vae golden fixture, read from its own files (config.json and each case's case.json),
// so the tests hold no literal tied to one fixture: a fixture regenerated at another width, frame
// count, size or tile setting (see tests/golden-regen/) runs the same tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GoldenCase } from '../../helpers/golden-io.ts';

interface VaeConfigJson {
  wan_vae: { tiny: { dim: number; z_dim: number; dim_mult: number[]; num_res_blocks: number } };
  tiny_vae: { tiny: { encoder_width: number; decoder_n_f: number[] } };
}

/** The fixture's config.json: the widths its checkpoints were made with. */
export function vaeGoldenConfig(dir: string): VaeConfigJson {
  return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as VaeConfigJson;
}

/** The tile settings a tiled case was made with (case.json `tiles`), in WanVae's terms. */
export function caseTiling(c: GoldenCase): { tileHeight: number; tileWidth: number; strideHeight: number; strideWidth: number } {
  const t = c.caseJson.tiles as Record<string, number>;
  return { tileHeight: t.tile_sample_min_height!, tileWidth: t.tile_sample_min_width!, strideHeight: t.tile_sample_stride_height!, strideWidth: t.tile_sample_stride_width! };
}

/** Frames, height and width of a case's video (`in.video` or `out.video`), [B, C, T, H, W]. */
export function videoSize(video: { shape: readonly number[] }): { frames: number; height: number; width: number } {
  const [, , frames, height, width] = video.shape as [number, number, number, number, number];
  return { frames, height, width };
}
