// Where FlashPortrait's released files live under the models folder (the layout of the
// ComfyUI-FlashPortrait pack: models/flash_portrait/<repo folder>/...), which of them each network
// needs, and whether a folder holds a complete set.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface ModelRepository {
  /** Hugging Face repository id. */
  repo: string;
  /** Folder under models/flash_portrait/. */
  folder: string;
  /** Files the pipeline reads, relative to the folder. */
  files: readonly string[];
}

export const MODELS_SUBFOLDER = 'flash_portrait';

/** Sharded base transformer weights: the index names the shards. */
export const WAN_SHARD_INDEX = 'diffusion_pytorch_model.safetensors.index.json';

export const WAN_REPOSITORY: ModelRepository = {
  repo: 'Wan-AI/Wan2.1-I2V-14B-720P',
  folder: 'Wan2.1-I2V-14B-720P',
  files: [
    'config.json',
    WAN_SHARD_INDEX,
    'Wan2.1_VAE.pth',
    'models_t5_umt5-xxl-enc-bf16.pth',
    'models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth',
    'google/umt5-xxl/tokenizer.json',
  ],
};

export const FLASH_PORTRAIT_REPOSITORY: ModelRepository = {
  repo: 'FrancisRing/FlashPortrait',
  folder: 'FlashPortrait',
  files: ['transformer.pt', 'portrait_encoder.pt', 'face_det.onnx', 'face_landmark.onnx', 'pd_fpg.pth'],
};

export const REPOSITORIES = [WAN_REPOSITORY, FLASH_PORTRAIT_REPOSITORY] as const;

/**
 * Optional files of the FlashPortrait repo for fast mode (acceleration distill4): the 4-step distill
 * LoRA and the tiny TAEHV decoder. The Loader never requires them; the Sampler uses them when present.
 */
export const FAST_LORA_FILE = 'fast_lora_rank64.safetensors';
export const FAST_VAE_FILE = 'fast_vae.pth';
export const OPTIONAL_FLASH_PORTRAIT_FILES = [FAST_LORA_FILE, FAST_VAE_FILE] as const;

/** Absolute paths of every file the networks load. */
export interface FlashPortraitModelFiles {
  wanDirectory: string;
  flashPortraitDirectory: string;
  transformerConfig: string;
  transformerShardIndex: string;
  transformerShards: string[];
  transformerOverlay: string;
  portraitEncoder: string;
  vae: string;
  textEncoder: string;
  tokenizer: string;
  imageEncoder: string;
  faceDetector: string;
  faceLandmarks: string;
  expressionEncoder: string;
  /** Optional (may not exist): the 4-step distill LoRA. */
  fastLora: string;
  /** Optional (may not exist): the tiny TAEHV decoder. */
  fastVae: string;
}

/** Paths that may be absent without the set being incomplete. */
const OPTIONAL_KEYS: ReadonlySet<keyof FlashPortraitModelFiles> = new Set(['fastLora', 'fastVae']);

export function repositoryDirectory(modelsDirectory: string, repository: ModelRepository): string {
  return join(modelsDirectory, MODELS_SUBFOLDER, repository.folder);
}

/** The files of `repository` missing from its folder (the shard index adds its shards). */
export function missingFiles(modelsDirectory: string, repository: ModelRepository): string[] {
  const dir = repositoryDirectory(modelsDirectory, repository);
  const missing = repository.files.filter((file) => !isFile(join(dir, file)));
  if (repository === WAN_REPOSITORY && !missing.includes(WAN_SHARD_INDEX)) {
    for (const shard of shardFiles(join(dir, WAN_SHARD_INDEX))) if (!isFile(join(dir, shard))) missing.push(shard);
  }
  return missing;
}

/** Whether a repository path is one the pipeline needs (downloads skip the rest of a repo). */
export function isNeededFile(repository: ModelRepository, path: string): boolean {
  if (repository.files.includes(path)) return true;
  // Fast mode's files come along when the repository is fetched anyway.
  if (repository === FLASH_PORTRAIT_REPOSITORY && (OPTIONAL_FLASH_PORTRAIT_FILES as readonly string[]).includes(path)) return true;
  return repository === WAN_REPOSITORY && /^diffusion_pytorch_model-\d+-of-\d+\.safetensors$/.test(path);
}

export function shardFiles(indexPath: string): string[] {
  let index: { weight_map?: Record<string, string> };
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (error) {
    throw new Error(`${indexPath} is not a readable shard index: ${(error as Error).message}`);
  }
  if (!index.weight_map || typeof index.weight_map !== 'object') throw new Error(`${indexPath} has no weight_map`);
  return [...new Set(Object.values(index.weight_map))].sort();
}

export function modelFiles(modelsDirectory: string): FlashPortraitModelFiles {
  const wan = repositoryDirectory(modelsDirectory, WAN_REPOSITORY);
  const fp = repositoryDirectory(modelsDirectory, FLASH_PORTRAIT_REPOSITORY);
  return {
    wanDirectory: wan,
    flashPortraitDirectory: fp,
    transformerConfig: join(wan, 'config.json'),
    transformerShardIndex: join(wan, WAN_SHARD_INDEX),
    transformerShards: shardFiles(join(wan, WAN_SHARD_INDEX)).map((shard) => join(wan, shard)),
    transformerOverlay: join(fp, 'transformer.pt'),
    portraitEncoder: join(fp, 'portrait_encoder.pt'),
    vae: join(wan, 'Wan2.1_VAE.pth'),
    textEncoder: join(wan, 'models_t5_umt5-xxl-enc-bf16.pth'),
    tokenizer: join(wan, 'google/umt5-xxl/tokenizer.json'),
    imageEncoder: join(wan, 'models_clip_open-clip-xlm-roberta-large-vit-huge-14.pth'),
    faceDetector: join(fp, 'face_det.onnx'),
    faceLandmarks: join(fp, 'face_landmark.onnx'),
    expressionEncoder: join(fp, 'pd_fpg.pth'),
    fastLora: join(fp, FAST_LORA_FILE),
    fastVae: join(fp, FAST_VAE_FILE),
  };
}

/** Size and modification time of every model file: changes when a file is replaced or re-downloaded. */
export function filesFingerprint(files: FlashPortraitModelFiles): string {
  const paths = Object.entries(files)
    .filter(([key]) => key !== 'wanDirectory' && key !== 'flashPortraitDirectory')
    .filter(([key, value]) => !OPTIONAL_KEYS.has(key as keyof FlashPortraitModelFiles) || isFile(value as string))
    .flatMap(([, value]) => (Array.isArray(value) ? value : [value as string]));
  return paths.map((path) => `${path}:${statSync(path).size}:${statSync(path).mtimeMs}`).join('|');
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}
