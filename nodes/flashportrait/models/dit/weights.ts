// Loads the transformer's weights the way FlashPortrait's node does: the Wan base checkpoint (a
// folder of safetensors shards), then FlashPortrait's transformer.pt laid over it with
// strict=False semantics. Nothing is read here: the result is an index into the original files.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeWeightIndexes, openWeights } from '../../../../server/ml/index.ts';
import type { TensorEntry, WeightIndex } from '../../../../server/ml/index.ts';
import { parseDitConfig } from './config.ts';
import type { DitConfig } from './config.ts';
import { ditParameterShapes, isEmotionProjection } from './parameter-shapes.ts';

/** The base folder's shards: the safetensors index when there is one, else every *.safetensors. */
export function openBaseWeights(baseDir: string): WeightIndex {
  const indexFile = readdirSync(baseDir).find((f) => f.endsWith('.safetensors.index.json'));
  if (indexFile) return openWeights(join(baseDir, indexFile));
  const shards = readdirSync(baseDir).filter((f) => f.endsWith('.safetensors')).sort();
  if (shards.length === 0) throw new Error(`${baseDir} holds no .safetensors weights`);
  return mergeWeightIndexes(shards.map((f) => openWeights(join(baseDir, f))));
}

/**
 * load_state_dict(strict=False) over the base: overlay keys replace base keys, new keys are added,
 * keys the overlay lacks keep the base tensor. A shape mismatch is an error, as in torch.
 */
export function overlayWeights(base: WeightIndex, overlay: WeightIndex): WeightIndex {
  const tensors = new Map<string, TensorEntry>(base.tensors);
  for (const [key, entry] of overlay.tensors) {
    const prior = tensors.get(key);
    if (prior && (prior.shape.length !== entry.shape.length || prior.shape.some((d, i) => d !== entry.shape[i]))) {
      throw new Error(`${overlay.source}: ${key} has shape [${entry.shape}] but the base has [${prior.shape}]`);
    }
    tensors.set(key, entry);
  }
  return { format: base.format, source: overlay.source, files: [...base.files, ...overlay.files], tensors, metadata: { ...base.metadata } };
}

export interface DitWeights {
  readonly config: DitConfig;
  readonly weights: WeightIndex;
  /** Parameters in neither file; the graph uses zeros for them (only the emotion projections may be missing). */
  readonly missing: readonly string[];
}

/**
 * `baseDir`: the Wan2.1-I2V folder (config.json + shards). `overlayPath`: FlashPortrait's
 * transformer.pt, or undefined for the bare Wan model (emotion projections then stay zero).
 */
export function loadDitWeights(baseDir: string, overlayPath: string | undefined): DitWeights {
  const configPath = join(baseDir, 'config.json');
  if (!existsSync(configPath)) throw new Error(`${baseDir} has no config.json`);
  const base = openBaseWeights(baseDir);
  const weights = overlayPath === undefined ? base : overlayWeights(base, openWeights(overlayPath));
  const config = parseDitConfig(JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>, weights);
  const missing: string[] = [];
  for (const [key, shape] of ditParameterShapes(config)) {
    const entry = weights.tensors.get(key);
    if (!entry) {
      missing.push(key);
      continue;
    }
    if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${entry.file}: ${key} has shape [${entry.shape}], the config implies [${shape}]`);
    }
  }
  const required = missing.filter((k) => !isEmotionProjection(k));
  if (required.length) throw new Error(`DiT weights lack ${required.length} parameters, e.g. ${required.slice(0, 3).join(', ')}`);
  return { config, weights, missing };
}
