import { readFileSync } from 'node:fs';
import { downloadRepo } from '../../server/models/download.ts';
import { hostDevice } from '../../server/ml/device.ts';
import type { NodeContext, NodeDefinition } from '../../server/runtime/schema.ts';
import {
  filesFingerprint,
  isNeededFile,
  MODELS_SUBFOLDER,
  missingFiles,
  modelFiles,
  repositoryDirectory,
  REPOSITORIES,
  type ModelRepository,
} from './model-files.ts';
import { DEVICES, MEMORY_MODES, PRECISIONS, type FaceAlignModels, type FlashPortraitPipe } from './types.ts';

/**
 * FlashPortraitLoader, with the released schema (workflow files map widgets by position: new
 * inputs are only appended, as optional ones). It finds the released files, downloads what is
 * missing when asked to, and hands on their locations; the networks are built on first use.
 */
export const FlashPortraitLoader: NodeDefinition = {
  type: 'FlashPortraitLoader',
  displayName: 'FlashPortrait Model Loader',
  category: 'FlashPortrait',
  loadsModels: true,
  description: 'Finds (and with download_missing, downloads) the Wan2.1-I2V-14B-720P and FlashPortrait weights under models/flash_portrait/.',
  inputs: {
    required: {
      precision: { type: 'COMBO', options: PRECISIONS, default: 'bf16', tooltip: 'Compute precision on GPU; CPU always computes in fp32.' },
      GPU_memory_mode: {
        type: 'COMBO',
        options: MEMORY_MODES,
        default: 'default',
        tooltip: 'default: every network stays loaded; sequential_cpu_offload: only the running one; model_cpu_offload_and_qfloat8: sequential_cpu_offload plus the DiT linears with 8-bit weights (MatMulNBits, quantised once into the conversion cache; ~1/4 of their fp32 bytes, small accuracy loss).',
      },
      download_missing: { type: 'BOOLEAN', default: true, tooltip: 'Download missing files from the Hugging Face hub (HF_ENDPOINT and HF_TOKEN are honoured).' },
    },
    optional: {
      device: { type: 'COMBO', options: DEVICES, default: 'auto', tooltip: 'Where the networks run; auto picks CUDA, then WebGPU, then CPU.' },
    },
  },
  outputs: [
    { type: 'FLASH_PORTRAIT_PIPE', name: 'pipe' },
    { type: 'FACE_ALIGN_MODELS', name: 'face_align_models' },
  ],
  // Re-run when a model file is replaced or completed on disk.
  isChanged: (_inputs, ctx) => {
    const models = ctx.storage.directory('models');
    if (REPOSITORIES.some((repository) => missingFiles(models, repository).length > 0)) return NaN;
    return filesFingerprint(modelFiles(models));
  },
  async execute({ precision, GPU_memory_mode, download_missing, device }, ctx) {
    const models = ctx.storage.directory('models');
    for (const repository of REPOSITORIES) {
      const missing = missingFiles(models, repository);
      if (missing.length === 0) continue;
      if (!download_missing) {
        throw new Error(
          `model files missing in ${repositoryDirectory(models, repository)}: ${missing.join(', ')}. ` +
            `Enable download_missing, or run: graph models download ${repository.repo} --into ${MODELS_SUBFOLDER}/${repository.folder}`,
        );
      }
      await download(repository, models, ctx);
      const still = missingFiles(models, repository);
      if (still.length > 0) throw new Error(`${repository.repo} does not provide ${still.join(', ')}`);
    }
    const files = modelFiles(models);
    let transformerConfig: Record<string, unknown>;
    try {
      transformerConfig = JSON.parse(readFileSync(files.transformerConfig, 'utf8'));
    } catch (error) {
      throw new Error(`cannot read ${files.transformerConfig}: ${(error as Error).message}`);
    }
    const pipe: FlashPortraitPipe = {
      kind: 'FLASH_PORTRAIT_PIPE',
      files,
      transformerConfig,
      precision,
      memoryMode: GPU_memory_mode,
      // 'auto' follows the host's device (graph serve --cpu, graph worker --device cuda:1...).
      device: !device || device === 'auto' ? hostDevice(ctx.services) : device,
    };
    const faceModels: FaceAlignModels = {
      kind: 'FACE_ALIGN_MODELS',
      detector: files.faceDetector,
      landmarks: files.faceLandmarks,
      expressionEncoder: files.expressionEncoder,
    };
    return [pipe, faceModels];
  },
};

/** Downloads the files the pipeline needs from `repository`; progress is the node's bar (bytes). */
async function download(repository: ModelRepository, models: string, ctx: NodeContext): Promise<void> {
  await downloadRepo({
    repo: repository.repo,
    destination: repositoryDirectory(models, repository),
    include: (path) => isNeededFile(repository, path),
    signal: ctx.signal,
    onProgress: ({ done, total }) => ctx.progress(done, total),
  });
}
