import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { FlashPortraitFeatureExtractor } from './feature-extractor-node.ts';
import { FlashPortraitLoader } from './loader-node.ts';
import { FlashPortraitSampler } from './sampler-node.ts';

/** The FlashPortrait node pack, loaded through the same loader as any third-party pack. */
export const nodes: NodeDefinition[] = [FlashPortraitLoader, FlashPortraitFeatureExtractor, FlashPortraitSampler];
