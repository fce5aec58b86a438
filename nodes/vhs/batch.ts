// VHS's image and mask batch nodes: split, merge, select every nth, count, repeat and select by
// index list. IMAGE results stay lazy (frames are read from the source when needed); MASKs are
// small and held in memory, as everywhere in FlashGraph.
import { concatImages, lazyImage, mask as makeMask, sliceImage, type Image, type Mask } from '../../types/data.ts';
import { inputError } from '../../server/media/errors.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { scaleImage } from '../core/image-transform.ts';
import { centeredAspectCrop } from '../../server/media/video-file.ts';
import { bilinearResize } from '../core/mask.ts';
import { BIGMAX, BIGMIN, CATEGORY, SUFFIX } from './common.ts';

const IMAGE_CATEGORY = `${CATEGORY}/image`;
const MASK_CATEGORY = `${CATEGORY}/mask`;
const MERGE_STRATEGIES = ['match A', 'match B', 'match smaller', 'match larger'];
const SCALE_METHODS = ['nearest-exact', 'bilinear', 'area', 'bicubic', 'bislerp'];
const CROP_METHODS = ['disabled', 'center'];

/** Python's `list[start:end:step]` as indexes into `length` items. */
export function pySliceIndexes(length: number, start: number | undefined, end: number | undefined, step = 1): number[] {
  if (step === 0) throw new RangeError('slice step cannot be zero');
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const norm = (v: number | undefined, fallback: number, lo: number, hi: number) => (v === undefined ? fallback : clamp(v < 0 ? v + length : v, lo, hi));
  const out: number[] = [];
  if (step > 0) {
    const s = norm(start, 0, 0, length);
    const e = norm(end, length, 0, length);
    for (let i = s; i < e; i += step) out.push(i);
  } else {
    const s = norm(start, length - 1, -1, length - 1);
    const e = norm(end, -1, -1, length - 1);
    for (let i = s; i > e; i += step) out.push(i);
  }
  return out;
}

/** An IMAGE of the chosen frames of `image`, in the given order (a frame may repeat). */
export function pickImageFrames(image: Image, indexes: readonly number[], origin: string): Image {
  if (indexes.length === 0) throw new RangeError(`${origin}: no frames selected`);
  const bytes = image.width * image.height * 3;
  const sorted = indexes.every((v, i) => i === 0 || v > indexes[i - 1]!);
  return lazyImage({ count: indexes.length, width: image.width, height: image.height, origin }, async function* (options) {
    if (sorted) {
      // One pass over the source: keep only the wanted frames.
      let j = 0;
      for await (const chunk of image.frames(options)) {
        const out: Uint8Array[] = [];
        const start = j;
        while (j < indexes.length && indexes[j]! < chunk.start + chunk.count) {
          const f = indexes[j]! - chunk.start;
          out.push(chunk.data.subarray(f * bytes, (f + 1) * bytes));
          j++;
        }
        if (out.length > 0) yield { start, count: out.length, data: out.length === 1 ? out[0]! : Buffer.concat(out) };
        if (j >= indexes.length) break;
      }
      return;
    }
    // Any order: the frames that are used are read once and kept (only those).
    const wanted = new Set(indexes);
    const kept = new Map<number, Uint8Array>();
    const last = Math.max(...indexes);
    for await (const chunk of image.frames(options)) {
      for (let f = 0; f < chunk.count; f++) if (wanted.has(chunk.start + f)) kept.set(chunk.start + f, chunk.data.slice(f * bytes, (f + 1) * bytes));
      if (chunk.start + chunk.count > last) break;
    }
    for (const [j, index] of indexes.entries()) yield { start: j, count: 1, data: kept.get(index)! };
  });
}

function pickMask(m: Mask, indexes: readonly number[]): Mask {
  const plane = m.width * m.height;
  const data = new Float32Array(indexes.length * plane);
  indexes.forEach((index, j) => data.set(m.data.subarray(index * plane, (index + 1) * plane), j * plane));
  return makeMask(data, indexes.length, m.width, m.height);
}

/** VHS's index strings: "0, -1, 2:8, ::2, 5:1:-1" (Python indexes and slices over the batch). */
export function parseIndexes(text: string, length: number, allowMissing: boolean): number[] {
  const chosen: number[] = [];
  if (!text.trim()) return chosen;
  const toInt = (part: string, where: string): number => {
    if (!/^[+-]?\d+$/.test(part)) throw new Error(`"${where}" is not an index or a start:end:step range`);
    return Number(part);
  };
  for (const raw of text.split(',')) {
    const group = raw.trim();
    if (group.includes(':')) {
      const [s = '', e = '', step = ''] = group.split(':', 3).map((p) => p.trim());
      chosen.push(...pySliceIndexes(length, s ? toInt(s, group) : undefined, e ? toInt(e, group) : undefined, step ? toInt(step, group) : 1));
      continue;
    }
    const index = toInt(group, group);
    const real = index < 0 ? index + length : index;
    if (real < 0 || real >= length) {
      if (allowMissing) continue;
      throw new Error(`index ${index} is out of range for ${length} items`);
    }
    chosen.push(real);
  }
  return chosen;
}

function countOf(value: Image | Mask): number {
  return value.count;
}

export const VHS_SplitImages: NodeDefinition = {
  type: 'VHS_SplitImages',
  displayName: `Split Images${SUFFIX}`,
  category: IMAGE_CATEGORY,
  inputs: { required: { images: { type: 'IMAGE' }, split_index: { type: 'INT', default: 0, step: 1, min: BIGMIN, max: BIGMAX } } },
  outputs: [
    { type: 'IMAGE', name: 'IMAGE_A' },
    { type: 'INT', name: 'A_count' },
    { type: 'IMAGE', name: 'IMAGE_B' },
    { type: 'INT', name: 'B_count' },
  ],
  execute: ({ images, split_index }) => {
    const image = images as Image;
    const cut = pySliceIndexes(image.count, undefined, split_index).length;
    // An empty side has no frames; FlashGraph IMAGEs of 0 frames keep the size.
    const a = sliceImage(image, 0, cut);
    const b = sliceImage(image, cut, image.count - cut);
    return [a, cut, b, image.count - cut];
  },
};

export const VHS_SplitMasks: NodeDefinition = {
  type: 'VHS_SplitMasks',
  displayName: `Split Masks${SUFFIX}`,
  category: MASK_CATEGORY,
  inputs: { required: { mask: { type: 'MASK' }, split_index: { type: 'INT', default: 0, step: 1, min: BIGMIN, max: BIGMAX } } },
  outputs: [
    { type: 'MASK', name: 'MASK_A' },
    { type: 'INT', name: 'A_count' },
    { type: 'MASK', name: 'MASK_B' },
    { type: 'INT', name: 'B_count' },
  ],
  execute: ({ mask, split_index }) => {
    const m = mask as Mask;
    const a = pySliceIndexes(m.count, undefined, split_index);
    const b = pySliceIndexes(m.count, split_index, undefined);
    return [pickMask(m, a), a.length, pickMask(m, b), b.length];
  },
};

/** Which side is scaled to the other, as VHS decides it (its "match smaller" keeps A when A is larger). */
function templateIsA(strategy: string, aPixels: number, bPixels: number): boolean {
  if (strategy === 'match B') return false;
  if ((strategy === 'match smaller' || strategy === 'match larger') && aPixels <= bPixels) return strategy === 'match smaller';
  return true;
}

export const VHS_MergeImages: NodeDefinition = {
  type: 'VHS_MergeImages',
  displayName: `Merge Images${SUFFIX}`,
  category: IMAGE_CATEGORY,
  inputs: {
    required: {
      images_A: { type: 'IMAGE' },
      images_B: { type: 'IMAGE' },
      merge_strategy: { type: 'COMBO', options: MERGE_STRATEGIES },
      scale_method: { type: 'COMBO', options: SCALE_METHODS },
      crop: { type: 'COMBO', options: CROP_METHODS },
    },
  },
  outputs: [
    { type: 'IMAGE', name: 'IMAGE' },
    { type: 'INT', name: 'count' },
  ],
  execute: ({ images_A, images_B, merge_strategy, scale_method, crop }) => {
    let a = images_A as Image;
    let b = images_B as Image;
    if (a.width !== b.width || a.height !== b.height) {
      // bislerp (slerp between latents) has no meaning for 8-bit frames: bilinear is used instead.
      const method = scale_method === 'bislerp' ? 'bilinear' : scale_method;
      if (templateIsA(merge_strategy, a.width * a.height, b.width * b.height)) b = scaleImage(b, a, method, crop === 'center', 'VHS_MergeImages');
      else a = scaleImage(a, b, method, crop === 'center', 'VHS_MergeImages');
    }
    const merged = concatImages(a, b);
    return [merged, merged.count];
  },
};

export const VHS_MergeMasks: NodeDefinition = {
  type: 'VHS_MergeMasks',
  displayName: `Merge Masks${SUFFIX}`,
  category: MASK_CATEGORY,
  inputs: {
    required: {
      mask_A: { type: 'MASK' },
      mask_B: { type: 'MASK' },
      merge_strategy: { type: 'COMBO', options: MERGE_STRATEGIES },
      scale_method: { type: 'COMBO', options: SCALE_METHODS },
      crop: { type: 'COMBO', options: CROP_METHODS },
    },
  },
  outputs: [
    { type: 'MASK', name: 'MASK' },
    { type: 'INT', name: 'count' },
  ],
  execute: ({ mask_A, mask_B, merge_strategy, crop }) => {
    let a = mask_A as Mask;
    let b = mask_B as Mask;
    const resize = (m: Mask, to: Mask): Mask => {
      const rect = crop === 'center' ? centeredAspectCrop(m, to) : { x: 0, y: 0, width: m.width, height: m.height };
      const plane = to.width * to.height;
      const data = new Float32Array(m.count * plane);
      for (let f = 0; f < m.count; f++) {
        const src = new Float32Array(rect.width * rect.height);
        for (let y = 0; y < rect.height; y++) {
          const row = (f * m.height + rect.y + y) * m.width + rect.x;
          src.set(m.data.subarray(row, row + rect.width), y * rect.width);
        }
        data.set(bilinearResize(src, rect, to, 1), f * plane);
      }
      return makeMask(data, m.count, to.width, to.height);
    };
    if (a.width !== b.width || a.height !== b.height) {
      if (templateIsA(merge_strategy, a.width * a.height, b.width * b.height)) b = resize(b, a);
      else a = resize(a, b);
    }
    const data = new Float32Array(a.data.length + b.data.length);
    data.set(a.data);
    data.set(b.data, a.data.length);
    return [makeMask(data, a.count + b.count, a.width, a.height), a.count + b.count];
  },
};

export const VHS_SelectEveryNthImage: NodeDefinition = {
  type: 'VHS_SelectEveryNthImage',
  displayName: `Select Every Nth Image${SUFFIX}`,
  category: IMAGE_CATEGORY,
  inputs: {
    required: {
      images: { type: 'IMAGE' },
      select_every_nth: { type: 'INT', default: 1, min: 1, max: BIGMAX, step: 1 },
      skip_first_images: { type: 'INT', default: 0, min: 0, max: BIGMAX, step: 1 },
    },
  },
  outputs: [
    { type: 'IMAGE', name: 'IMAGE' },
    { type: 'INT', name: 'count' },
  ],
  execute: ({ images, select_every_nth, skip_first_images }) => {
    const image = images as Image;
    const indexes = pySliceIndexes(image.count, skip_first_images, undefined, select_every_nth);
    if (indexes.length === 0) throw inputError('VHS_SelectEveryNthImage', 'skip_first_images', `skipping ${skip_first_images} of ${image.count} frames leaves none`);
    return [pickImageFrames(image, indexes, 'VHS_SelectEveryNthImage'), indexes.length];
  },
};

export const VHS_SelectEveryNthMask: NodeDefinition = {
  type: 'VHS_SelectEveryNthMask',
  displayName: `Select Every Nth Mask${SUFFIX}`,
  category: MASK_CATEGORY,
  inputs: {
    required: {
      mask: { type: 'MASK' },
      select_every_nth: { type: 'INT', default: 1, min: 1, max: BIGMAX, step: 1 },
      skip_first_masks: { type: 'INT', default: 0, min: 0, max: BIGMAX, step: 1 },
    },
  },
  outputs: [
    { type: 'MASK', name: 'MASK' },
    { type: 'INT', name: 'count' },
  ],
  execute: ({ mask, select_every_nth, skip_first_masks }) => {
    const m = mask as Mask;
    const indexes = pySliceIndexes(m.count, skip_first_masks, undefined, select_every_nth);
    if (indexes.length === 0) throw inputError('VHS_SelectEveryNthMask', 'skip_first_masks', `skipping ${skip_first_masks} of ${m.count} masks leaves none`);
    return [pickMask(m, indexes), indexes.length];
  },
};

export const VHS_GetImageCount: NodeDefinition = {
  type: 'VHS_GetImageCount',
  displayName: `Get Image Count${SUFFIX}`,
  category: IMAGE_CATEGORY,
  inputs: { required: { images: { type: 'IMAGE' } } },
  outputs: [{ type: 'INT', name: 'count' }],
  execute: ({ images }) => [countOf(images)],
};

export const VHS_GetMaskCount: NodeDefinition = {
  type: 'VHS_GetMaskCount',
  displayName: `Get Mask Count${SUFFIX}`,
  category: MASK_CATEGORY,
  inputs: { required: { mask: { type: 'MASK' } } },
  outputs: [{ type: 'INT', name: 'count' }],
  execute: ({ mask }) => [countOf(mask)],
};

export const VHS_DuplicateImages: NodeDefinition = {
  type: 'VHS_DuplicateImages',
  displayName: `Repeat Images${SUFFIX}`,
  category: IMAGE_CATEGORY,
  inputs: { required: { images: { type: 'IMAGE' }, multiply_by: { type: 'INT', default: 1, min: 1, max: BIGMAX, step: 1 } } },
  outputs: [
    { type: 'IMAGE', name: 'IMAGE' },
    { type: 'INT', name: 'count' },
  ],
  execute: ({ images, multiply_by }) => {
    const image = images as Image;
    let out = image;
    for (let i = 1; i < multiply_by; i++) out = concatImages(out, image);
    return [out, out.count];
  },
};

export const VHS_DuplicateMasks: NodeDefinition = {
  type: 'VHS_DuplicateMasks',
  displayName: `Repeat Masks${SUFFIX}`,
  category: MASK_CATEGORY,
  inputs: { required: { mask: { type: 'MASK' }, multiply_by: { type: 'INT', default: 1, min: 1, max: BIGMAX, step: 1 } } },
  outputs: [
    { type: 'MASK', name: 'MASK' },
    { type: 'INT', name: 'count' },
  ],
  execute: ({ mask, multiply_by }) => {
    const m = mask as Mask;
    const data = new Float32Array(m.data.length * multiply_by);
    for (let i = 0; i < multiply_by; i++) data.set(m.data, i * m.data.length);
    return [makeMask(data, m.count * multiply_by, m.width, m.height), m.count * multiply_by];
  },
};

const SELECT_DESCRIPTION =
  'Picks items by comma-separated indexes, in the order given: 0 is the first, -1 the last, and start:end:step ranges work as in Python (end excluded; a negative step walks backwards).';

function selectIndexes(node: string, count: number, indexes: string, errIfMissing: boolean, errIfEmpty: boolean): number[] {
  let chosen: number[];
  try {
    chosen = parseIndexes(indexes, count, !errIfMissing);
  } catch (error) {
    throw inputError(node, 'indexes', (error as Error).message);
  }
  if (chosen.length === 0 && errIfEmpty) throw inputError(node, 'indexes', `nothing was selected by "${indexes}"`);
  if (chosen.length === 0) throw inputError(node, 'indexes', `nothing was selected by "${indexes}" (an empty batch cannot be passed on)`);
  return chosen;
}

export const VHS_SelectImages: NodeDefinition = {
  type: 'VHS_SelectImages',
  displayName: `Select Images${SUFFIX}`,
  description: SELECT_DESCRIPTION,
  category: IMAGE_CATEGORY,
  inputs: {
    required: {
      image: { type: 'IMAGE' },
      indexes: { type: 'STRING', default: '0' },
      err_if_missing: { type: 'BOOLEAN', default: true },
      err_if_empty: { type: 'BOOLEAN', default: true },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute: ({ image, indexes, err_if_missing, err_if_empty }) => {
    const img = image as Image;
    return [pickImageFrames(img, selectIndexes('VHS_SelectImages', img.count, indexes, err_if_missing, err_if_empty), 'VHS_SelectImages')];
  },
};

export const VHS_SelectMasks: NodeDefinition = {
  type: 'VHS_SelectMasks',
  displayName: `Select Masks${SUFFIX}`,
  description: SELECT_DESCRIPTION,
  category: MASK_CATEGORY,
  inputs: {
    required: {
      mask: { type: 'MASK' },
      indexes: { type: 'STRING', default: '0' },
      err_if_missing: { type: 'BOOLEAN', default: true },
      err_if_empty: { type: 'BOOLEAN', default: true },
    },
  },
  outputs: [{ type: 'MASK' }],
  execute: ({ mask, indexes, err_if_missing, err_if_empty }) => {
    const m = mask as Mask;
    return [pickMask(m, selectIndexes('VHS_SelectMasks', m.count, indexes, err_if_missing, err_if_empty))];
  },
};
