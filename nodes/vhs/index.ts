// FlashGraph's VideoHelperSuite-compatible pack: VHS's class names, widgets and outputs, so the
// many shared workflows that load and save video with VHS run unchanged. See README,
// "VideoHelperSuite compatibility", for what is covered.
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { VHS_LoadAudio, VHS_LoadAudioUpload } from './audio.ts';
import {
  VHS_DuplicateImages,
  VHS_DuplicateMasks,
  VHS_GetImageCount,
  VHS_GetMaskCount,
  VHS_MergeImages,
  VHS_MergeMasks,
  VHS_SelectEveryNthImage,
  VHS_SelectEveryNthMask,
  VHS_SelectImages,
  VHS_SelectMasks,
  VHS_SplitImages,
  VHS_SplitMasks,
} from './batch.ts';
import { VHS_LoadVideo, VHS_LoadVideoPath, VHS_VideoInfo, VHS_VideoInfoLoaded, VHS_VideoInfoSource } from './load-video.ts';
import { VHS_LoadImages, VHS_LoadImagesPath } from './load-images.ts';
import { VHS_LoadImagePath, VHS_LoadVideoFFmpeg, VHS_LoadVideoFFmpegPath } from './load-video-ffmpeg.ts';
import { VHS_BatchManager, VHS_PruneOutputs, VHS_SelectLatest, VHS_Unbatch } from './utility.ts';
import { VHS_SelectFilename, VHS_VideoCombine } from './video-combine.ts';

export const nodes: NodeDefinition[] = [
  VHS_VideoCombine,
  VHS_LoadVideo,
  VHS_LoadVideoPath,
  VHS_LoadVideoFFmpeg,
  VHS_LoadVideoFFmpegPath,
  VHS_LoadAudio,
  VHS_LoadAudioUpload,
  VHS_VideoInfo,
  VHS_VideoInfoSource,
  VHS_VideoInfoLoaded,
  VHS_SelectFilename,
  VHS_SplitImages,
  VHS_SplitMasks,
  VHS_MergeImages,
  VHS_MergeMasks,
  VHS_GetImageCount,
  VHS_GetMaskCount,
  VHS_DuplicateImages,
  VHS_DuplicateMasks,
  VHS_SelectEveryNthImage,
  VHS_SelectEveryNthMask,
  VHS_SelectImages,
  VHS_SelectMasks,
  VHS_LoadImages,
  VHS_LoadImagesPath,
  VHS_Unbatch,
  VHS_PruneOutputs,
  VHS_SelectLatest,
  VHS_BatchManager,
  VHS_LoadImagePath,
];
