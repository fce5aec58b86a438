import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { SaveAnimatedPNG, SaveAnimatedWEBP, SaveWEBM } from './animated.ts';
import { LoadAudio, PreviewAudio, SaveAudio } from './audio.ts';
import { LoadImage, LoadImageMask, LoadImageOutput, PreviewImage, SaveImage } from './image.ts';
import { ImageFlip, ImageRotate, ImageStitch, ResizeAndPadImage } from './image-stitch.ts';
import { EmptyImage, GetImageSize, ImageInvert } from './image-ops.ts';
import { ImageBatch, ImageCrop, ImageFromBatch, ImagePadForOutpaint, ImageScale, ImageScaleBy, RepeatImageBatch } from './image-transform.ts';
import { ImageCompositeMasked, ImageToMask, InvertMask, MaskToImage, SolidMask } from './mask.ts';
import { FloatMath, IntMath } from './math.ts';
import { ImageBlend, ImageBlur, ImageSharpen } from './post-processing.ts';
import { PreviewAny, SaveText } from './outputs.ts';
import { PrimitiveBoolean, PrimitiveFloat, PrimitiveInt, PrimitiveString, PrimitiveStringMultiline } from './primitives.ts';
import { StringConcatenate } from './strings.ts';
import { CreateVideo, GetVideoComponents, LoadVideo, SaveVideo } from './video.ts';
import { FlashGraph_LoadVideo, FlashGraph_SaveVideo } from './flashgraph-video.ts';
import { VideoSlice } from './video-slice.ts';
import { SaveImageWebsocket } from './websocket-image.ts';

/** The built-in node pack. */
export const nodes: NodeDefinition[] = [
  PrimitiveInt,
  PrimitiveFloat,
  PrimitiveString,
  PrimitiveStringMultiline,
  PrimitiveBoolean,
  IntMath,
  FloatMath,
  StringConcatenate,
  PreviewAny,
  SaveText,
  LoadImage,
  LoadImageMask,
  LoadImageOutput,
  SaveImage,
  PreviewImage,
  SaveImageWebsocket,
  ImageScale,
  ImageCrop,
  ImageBatch,
  ImageFromBatch,
  ImageScaleBy,
  ImageInvert,
  EmptyImage,
  RepeatImageBatch,
  GetImageSize,
  ImagePadForOutpaint,
  ImageStitch,
  ResizeAndPadImage,
  ImageRotate,
  ImageFlip,
  ImageToMask,
  MaskToImage,
  InvertMask,
  SolidMask,
  ImageCompositeMasked,
  ImageBlend,
  ImageBlur,
  ImageSharpen,
  SaveAnimatedWEBP,
  SaveAnimatedPNG,
  LoadVideo,
  GetVideoComponents,
  CreateVideo,
  SaveVideo,
  FlashGraph_LoadVideo,
  FlashGraph_SaveVideo,
  SaveWEBM,
  VideoSlice,
  LoadAudio,
  SaveAudio,
  PreviewAudio,
];
