// The values FlashPortrait's nodes pass between each other (socket types FLASH_PORTRAIT_PIPE and
// FACE_ALIGN_MODELS, named as in the ComfyUI-FlashPortrait pack).
import type { FlashPortraitModelFiles } from './model-files.ts';

export const PRECISIONS = ['bf16', 'fp16', 'fp32'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** The released pack's GPU_memory_mode values. */
export const MEMORY_MODES = ['default', 'sequential_cpu_offload', 'model_cpu_offload_and_qfloat8'] as const;
export type MemoryMode = (typeof MEMORY_MODES)[number];

export const DEVICES = ['auto', 'cpu', 'cuda', 'webgpu'] as const;
export type DeviceChoice = (typeof DEVICES)[number];

/** Everything the sampler needs to build and run the networks (sessions are made on first use). */
export interface FlashPortraitPipe {
  kind: 'FLASH_PORTRAIT_PIPE';
  files: FlashPortraitModelFiles;
  /** The transformer's config.json. */
  transformerConfig: Record<string, unknown>;
  precision: Precision;
  memoryMode: MemoryMode;
  device: DeviceChoice;
}

export interface FaceAlignModels {
  kind: 'FACE_ALIGN_MODELS';
  detector: string;
  landmarks: string;
  expressionEncoder: string;
}

/** Driving features (socket type HEAD_EMO_FEAT): the released node passes a (1, frames, 554) tensor. */
export interface HeadEmoFeatures {
  kind: 'HEAD_EMO_FEAT';
  /** [frames, 554] row-major. */
  data: Float32Array;
  frames: number;
}
