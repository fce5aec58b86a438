// Test-only node classes with the schemas of ComfyUI's own nodes (inputs in ComfyUI's order, spec
// §6.2): conversion only reads schemas, so these cannot run.
import { createRegistry } from '../../server/host.ts';
import { NodeRegistry } from '../../server/runtime/registry.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';

const notImplemented = (): never => {
  throw new Error('not implemented in tests');
};

const SAMPLERS = ['euler', 'euler_ancestral', 'dpmpp_2m'];
const SCHEDULERS = ['normal', 'karras', 'simple'];
const CHECKPOINTS = ['v1-5-pruned-emaonly-fp16.safetensors', 'sdxl.safetensors'];
const IMAGES = ['example.png', 'portrait.png'];
const VIDEOS = ['clip.mp4', 'talk.mp4'];
const AUDIO = ['voice.wav'];

export const comfyNodes: NodeDefinition[] = [
  {
    type: 'KSampler',
    category: 'sampling',
    inputs: {
      required: {
        model: { type: 'MODEL' },
        seed: { type: 'INT', default: 0, min: 0, max: 2 ** 64 - 1, control_after_generate: true },
        steps: { type: 'INT', default: 20, min: 1, max: 10000 },
        cfg: { type: 'FLOAT', default: 8, min: 0, max: 100, step: 0.1, round: 0.01 },
        sampler_name: { type: 'COMBO', options: SAMPLERS },
        scheduler: { type: 'COMBO', options: SCHEDULERS },
        positive: { type: 'CONDITIONING' },
        negative: { type: 'CONDITIONING' },
        latent_image: { type: 'LATENT' },
        denoise: { type: 'FLOAT', default: 1, min: 0, max: 1, step: 0.01 },
      },
    },
    outputs: [{ type: 'LATENT' }],
    execute: notImplemented,
  },
  {
    // Older ComfyUI versions did not flag noise_seed: the editor recognises it by name.
    type: 'KSamplerAdvanced',
    category: 'sampling',
    inputs: {
      required: {
        model: { type: 'MODEL' },
        add_noise: { type: 'COMBO', options: ['enable', 'disable'] },
        noise_seed: { type: 'INT', default: 0, min: 0, max: 2 ** 64 - 1 },
        steps: { type: 'INT', default: 20, min: 1, max: 10000 },
        cfg: { type: 'FLOAT', default: 8, min: 0, max: 100, step: 0.1, round: 0.01 },
        sampler_name: { type: 'COMBO', options: SAMPLERS },
        scheduler: { type: 'COMBO', options: SCHEDULERS },
        positive: { type: 'CONDITIONING' },
        negative: { type: 'CONDITIONING' },
        latent_image: { type: 'LATENT' },
        start_at_step: { type: 'INT', default: 0, min: 0, max: 10000 },
        end_at_step: { type: 'INT', default: 10000, min: 0, max: 10000 },
        return_with_leftover_noise: { type: 'COMBO', options: ['disable', 'enable'] },
      },
    },
    outputs: [{ type: 'LATENT' }],
    execute: notImplemented,
  },
  {
    type: 'EmptyLatentImage',
    category: 'latent',
    inputs: {
      required: {
        width: { type: 'INT', default: 512, min: 16, max: 16384, step: 8 },
        height: { type: 'INT', default: 512, min: 16, max: 16384, step: 8 },
        batch_size: { type: 'INT', default: 1, min: 1, max: 4096 },
      },
    },
    outputs: [{ type: 'LATENT' }],
    execute: notImplemented,
  },
  {
    type: 'CheckpointLoaderSimple',
    displayName: 'Load Checkpoint',
    category: 'loaders',
    inputs: { required: { ckpt_name: { type: 'COMBO', options: CHECKPOINTS } } },
    outputs: [{ type: 'MODEL' }, { type: 'CLIP' }, { type: 'VAE' }],
    execute: notImplemented,
  },
  {
    type: 'CLIPTextEncode',
    displayName: 'CLIP Text Encode (Prompt)',
    category: 'conditioning',
    inputs: { required: { text: { type: 'STRING', multiline: true, extra: { dynamicPrompts: true } }, clip: { type: 'CLIP' } } },
    outputs: [{ type: 'CONDITIONING' }],
    execute: notImplemented,
  },
  {
    type: 'VAEDecode',
    displayName: 'VAE Decode',
    category: 'latent',
    inputs: { required: { samples: { type: 'LATENT' }, vae: { type: 'VAE' } } },
    outputs: [{ type: 'IMAGE' }],
    execute: notImplemented,
  },
  {
    type: 'SaveImage',
    displayName: 'Save Image',
    category: 'image',
    outputNode: true,
    inputs: {
      required: { images: { type: 'IMAGE' }, filename_prefix: { type: 'STRING', default: 'ComfyUI' } },
      hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
    },
    execute: notImplemented,
  },
  {
    type: 'LoadImage',
    displayName: 'Load Image',
    category: 'image',
    inputs: { required: { image: { type: 'COMBO', options: IMAGES, extra: { image_upload: true } } } },
    outputs: [{ type: 'IMAGE' }, { type: 'MASK' }],
    execute: notImplemented,
  },
  {
    type: 'LoadImageMask',
    category: 'mask',
    inputs: {
      required: {
        image: { type: 'COMBO', options: IMAGES, extra: { image_upload: true } },
        channel: { type: 'COMBO', options: ['alpha', 'red', 'green', 'blue'] },
      },
    },
    outputs: [{ type: 'MASK' }],
    execute: notImplemented,
  },
  {
    type: 'LoadAudio',
    category: 'audio',
    inputs: { required: { audio: { type: 'COMBO', options: AUDIO, extra: { audio_upload: true } } } },
    outputs: [{ type: 'AUDIO' }],
    execute: notImplemented,
  },
  {
    type: 'LoadVideo',
    displayName: 'Load Video',
    category: 'image/video',
    inputs: { required: { file: { type: 'COMBO', options: VIDEOS, extra: { video_upload: true } } } },
    outputs: [{ type: 'VIDEO' }],
    execute: notImplemented,
  },
  {
    type: 'GetVideoComponents',
    displayName: 'Get Video Components',
    category: 'image/video',
    inputs: { required: { video: { type: 'VIDEO' } } },
    outputs: [
      { type: 'IMAGE', name: 'images' },
      { type: 'AUDIO', name: 'audio' },
      { type: 'FLOAT', name: 'fps' },
    ],
    execute: notImplemented,
  },
  {
    type: 'CreateVideo',
    displayName: 'Create Video',
    category: 'image/video',
    inputs: {
      required: { images: { type: 'IMAGE' }, fps: { type: 'FLOAT', default: 30, min: 1, max: 120, step: 1 } },
      optional: { audio: { type: 'AUDIO' } },
    },
    outputs: [{ type: 'VIDEO' }],
    execute: notImplemented,
  },
  {
    type: 'SaveVideo',
    displayName: 'Save Video',
    category: 'image/video',
    outputNode: true,
    inputs: {
      required: {
        video: { type: 'VIDEO' },
        filename_prefix: { type: 'STRING', default: 'video/ComfyUI' },
        format: { type: 'COMBO', options: ['auto', 'mp4'], default: 'auto' },
        codec: { type: 'COMBO', options: ['auto', 'h264'], default: 'auto' },
      },
      hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
    },
    execute: notImplemented,
  },
  {
    type: 'ImageInvert',
    displayName: 'Invert Image',
    category: 'image',
    inputs: { required: { image: { type: 'IMAGE' } } },
    outputs: [{ type: 'IMAGE' }],
    execute: notImplemented,
  },
  {
    // Two inputs of different types ahead of one output: bypass must match by type, not index.
    type: 'TestMaskedImage',
    category: 'testing',
    inputs: { required: { mask: { type: 'MASK' }, image: { type: 'IMAGE' } } },
    outputs: [{ type: 'IMAGE' }],
    execute: notImplemented,
  },
  {
    // A widget holding a list, a control-flagged combo, and an optional widget.
    type: 'TestWidgets',
    category: 'testing',
    inputs: {
      required: {
        points: { type: 'CURVE' },
        style: { type: 'COMBO', options: ['a', 'b', 'c', 'cc'], control_after_generate: true },
        strength: { type: 'FLOAT', default: 0.5, min: 0, max: 1, step: 0.25, extra: { control_after_generate: true } },
      },
      optional: { note: { type: 'STRING', default: 'none' } },
    },
    outputs: [{ type: 'STRING' }],
    execute: notImplemented,
  },
];

/**
 * ComfyUI's own schemas for these classes (FlashGraph's LoadVideo and SaveVideo add optional
 * inputs, which would change the expected prompts), plus the rest of the built-in nodes.
 */
export function comfyRegistry(): NodeRegistry {
  const registry = new NodeRegistry();
  for (const def of comfyNodes) registry.register(def, { name: 'comfy-test', module: 'nodes', builtin: true });
  const builtin = createRegistry();
  for (const type of builtin.types()) if (!registry.has(type)) registry.register(builtin.get(type)!, builtin.packOf(type));
  return registry;
}
