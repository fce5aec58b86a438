// Sizes of the dit golden fixture, read from its own files (config.json, the weight files, the
// window/ and pe/ cases) so the tests hold no literal tied to one fixture: a fixture regenerated at
// another width, head count, rope split, layer count, window or prompt length (see
// tests/golden-regen/) runs the same tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openWeights, shapeSize } from '../../../server/ml/index.ts';
import { parseDitConfig } from '../../../nodes/flashportrait/models/dit/config.ts';
import type { DitConfig } from '../../../nodes/flashportrait/models/dit/config.ts';
import type { GoldenCase } from '../../helpers/golden-io.ts';

/** dit/README.md: "heads has to be configured: use 20 for the real file, 2 for this one" (the
 *  weights show only heads x dim_head). A regenerated pe/case.json records it as resampler.heads. */
const SHIPPED_RESAMPLER_HEADS = 2;

export interface DitGoldenFacts {
  readonly config: DitConfig;
  /** Tensors in FlashPortrait/transformer.pt (the full fine-tuned state dict). */
  readonly weightKeys: number;
  /** Parameters in FlashPortrait/transformer.pt. */
  readonly parameters: number;
  /** Base shard files, in the order the index names them. */
  readonly shardFiles: readonly string[];
  /** Token grid of the window after patching: latent frames, rows, columns. */
  readonly grid: readonly [number, number, number];
  readonly tokens: number;
  readonly seqLen: number;
  readonly latentFrames: number;
  /** Valid emotion rows per latent frame (in.emo_context_lens). */
  readonly emotionLengths: readonly number[];
  /** Driving video frames [start, end) the window's emotion tokens come from. */
  readonly emotionFrames: readonly [number, number];
  readonly resamplerHeads: number;
}

function json(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

export function ditGoldenFacts(dir: string, window: GoldenCase): DitGoldenFacts {
  const config = parseDitConfig(json(join(dir, 'Wan2.1-I2V-14B-720P/config.json')));
  const overlay = openWeights(join(dir, 'FlashPortrait/transformer.pt'));
  let parameters = 0;
  for (const entry of overlay.tensors.values()) parameters += shapeSize(entry.shape);
  const index = json(join(dir, 'Wan2.1-I2V-14B-720P/diffusion_pytorch_model.safetensors.index.json'));
  const shardFiles = [...new Set(Object.values(index.weight_map as Record<string, string>))].sort();
  const [, , frames, height, width] = window.inputs.x!.shape as number[];
  const [pf, ph, pw] = config.patchSize;
  const grid = [frames! / pf, height! / ph, width! / pw] as const;
  const pe = json(join(dir, 'pe/case.json'));
  const resampler = pe.resampler as { heads?: number } | undefined;
  return {
    config,
    weightKeys: overlay.tensors.size,
    parameters,
    shardFiles,
    grid,
    tokens: grid[0] * grid[1] * grid[2],
    seqLen: window.caseJson.seq_len as number,
    latentFrames: window.caseJson.latents_num_frames as number,
    emotionLengths: Array.from(window.inputs.emo_context_lens!.data as BigInt64Array, Number),
    emotionFrames: window.caseJson.emo_video_frames as [number, number],
    resamplerHeads: resampler?.heads ?? SHIPPED_RESAMPLER_HEADS,
  };
}

/** The emo_k/v keys a base-only load leaves at zero, one pair per block. */
export function emotionProjectionKeys(config: DitConfig): string[] {
  return Array.from({ length: config.numLayers }, (_, n) => [`blocks.${n}.cross_attn.emo_k_proj.weight`, `blocks.${n}.cross_attn.emo_v_proj.weight`]).flat();
}

/** A query-tile size that does not divide the token count (so the last tile is partial). */
export function partialTileChunk(tokens: number): number {
  let chunk = 4;
  while (tokens % chunk === 0) chunk++;
  return chunk;
}
