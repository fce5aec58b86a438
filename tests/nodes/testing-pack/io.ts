// Output nodes that write the pack's tensors as PNG files (ComfyUI's SaveImage/PreviewImage
// naming and counters), and the list re-batcher the lazy-list test needs.
import sharp from 'sharp';
import type { NodeContext, NodeDefinition } from '../../../server/runtime/schema.ts';
import type { FileRef } from '../../../types/api.ts';
import { concat, frame, isTensor, toBytes, type Tensor } from './image.ts';

async function writePngs(images: Tensor, folder: 'output' | 'temp', prefix: string, ctx: NodeContext): Promise<FileRef[]> {
  if (!isTensor(images)) throw new TypeError('images is not an IMAGE');
  if (images.channels !== 3) throw new Error(`expected 3 channels, got ${images.channels}`);
  const saved: FileRef[] = [];
  for (let i = 0; i < images.batch; i++) {
    const target = ctx.storage.saveTarget(folder, prefix, 'png', { width: images.width, height: images.height });
    await sharp(toBytes(images, i), { raw: { width: images.width, height: images.height, channels: 3 } }).png().toFile(target.fullPath);
    saved.push({ filename: target.filename, subfolder: target.subfolder, type: target.type });
  }
  return saved;
}

export const TestSaveImage: NodeDefinition = {
  type: 'TestSaveImage',
  category: 'Testing/Output',
  outputNode: true,
  inputs: { required: { images: { type: 'IMAGE' }, filename_prefix: { type: 'STRING', default: 'ComfyUI' } } },
  async execute({ images, filename_prefix }, ctx) {
    return { ui: { images: await writePngs(images, 'output', filename_prefix, ctx) } };
  },
};

export const TestPreviewImage: NodeDefinition = {
  type: 'TestPreviewImage',
  category: 'Testing/Output',
  outputNode: true,
  inputs: { required: { images: { type: 'IMAGE' } } },
  async execute({ images }, ctx) {
    return { ui: { images: await writePngs(images, 'temp', 'ComfyUI_temp_preview', ctx) } };
  },
};

/** ComfyUI's RebatchImages: every incoming image, regrouped into batches of `batch_size`. */
export const TestRebatchImages: NodeDefinition = {
  type: 'TestRebatchImages',
  category: 'Testing/Lists',
  inputIsList: true,
  inputs: { required: { images: { type: 'IMAGE' }, batch_size: { type: 'INT', default: 1, min: 1, max: 4096 } } },
  outputs: [{ type: 'IMAGE', isList: true }],
  execute({ images, batch_size }) {
    const size = (batch_size as number[])[0]!;
    const frames = (images as Tensor[]).flatMap((t) => Array.from({ length: t.batch }, (_, i) => frame(t, i)));
    const batches: Tensor[] = [];
    for (let i = 0; i < frames.length; i += size) batches.push(concat(frames.slice(i, i + size)));
    return [batches];
  },
};

export const ioNodes = [TestSaveImage, TestPreviewImage, TestRebatchImages];
