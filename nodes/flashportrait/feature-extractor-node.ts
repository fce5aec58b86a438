import { dirname, join } from 'node:path';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import type { Image } from '../../types/data.ts';
import { extractHeadEmoFeatures, overallProgress } from './features/extract.ts';
import { loadHeadEmoModels } from './features/models.ts';
import type { LoadedHeadEmoModels } from './features/models.ts';
import { NETWORK_ID_PREFIX } from './pipe-networks.ts';
import { modelManagerOf } from './sampler-node.ts';
import type { FaceAlignModels, HeadEmoFeatures } from './types.ts';
import { statSync } from 'node:fs';

function assertFaceModels(value: unknown): FaceAlignModels {
  if ((value as FaceAlignModels | null)?.kind !== 'FACE_ALIGN_MODELS') throw new Error('face_align_models must come from FlashPortraitLoader');
  return value as FaceAlignModels;
}

/**
 * FlashPortraitFeatureExtractor with the released schema: driving frames -> head pose / eye /
 * emotion / mouth features (554 per frame), the fps passed through, and the frame count the
 * sampler will produce (+1 reference frame dropped there).
 */
export const FlashPortraitFeatureExtractor: NodeDefinition = {
  type: 'FlashPortraitFeatureExtractor',
  displayName: 'FlashPortrait Feature Extractor',
  category: 'FlashPortrait',
  description: 'Tracks the face of the driving video and encodes head pose, eyes, emotion and mouth per frame (PD-FGC).',
  inputs: {
    required: {
      face_align_models: { type: 'FACE_ALIGN_MODELS' },
      images: { type: 'IMAGE', tooltip: 'Driving video frames; the first 4k+1 frames are used.' },
      source_fps: { type: 'FLOAT', default: 25.0, min: 1, max: 240, step: 0.01 },
      context_size: { type: 'INT', default: 51, min: 5, max: 1000 },
      context_overlap: { type: 'INT', default: 30, min: 0, max: 1000 },
    },
  },
  outputs: [
    { type: 'HEAD_EMO_FEAT', name: 'head_emo_features' },
    { type: 'FLOAT', name: 'fps' },
    { type: 'INT', name: 'total_frames' },
  ],
  async execute({ face_align_models, images, source_fps, context_size, context_overlap }, ctx) {
    const files = assertFaceModels(face_align_models);
    const models = modelManagerOf(ctx);
    const id = `${NETWORK_ID_PREFIX}face:${files.detector}|${files.landmarks}|${files.expressionEncoder}`;
    const spec = {
      estimatedBytes: [files.detector, files.landmarks, files.expressionEncoder].reduce((sum, path) => sum + statSync(path).size, 0),
      load: (): Promise<LoadedHeadEmoModels> => loadHeadEmoModels({
        faceDetector: files.detector,
        faceLandmarks: files.landmarks,
        pdfgc: files.expressionEncoder,
        cacheDir: join(dirname(files.expressionEncoder), '..', '.flashgraph-cache'),
      }),
    };
    let frames = 1;
    const features = await models.use(id, spec, (loaded) => extractHeadEmoFeatures(images as Image, loaded as LoadedHeadEmoModels, {
      contextSize: context_size,
      contextOverlap: context_overlap,
      signal: ctx.signal,
      // Pass 1 visits every analysed frame, so its total sizes the whole bar (three stages).
      onProgress: (p) => {
        if (p.stage === 'detect') frames = p.total;
        ctx.progress(...overallProgress(p, frames));
      },
    }));
    for (const warning of features.warnings) console.warn(`[FlashPortraitFeatureExtractor] ${warning}`);
    const output: HeadEmoFeatures = { kind: 'HEAD_EMO_FEAT', data: features.headEmo, frames: features.frames };
    return [output, source_fps, features.frames];
  },
};
