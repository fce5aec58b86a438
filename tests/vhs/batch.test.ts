// VHS's batch nodes on real frames: split, merge (with scaling), every nth, repeat, select by
// index string, counts; masks alike. Results are checked frame by frame against the source.
import { beforeAll, describe, expect, it } from 'vitest';
import { imageFromPixels, mask, materialize, type Image, type Mask } from '../../types/data.ts';
import { parseIndexes, pySliceIndexes } from '../../nodes/vhs/batch.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { executionError, runPrompt } from '../media/helpers.ts';
import { recorder, vhsEngine, type VhsFixture } from './helpers.ts';

let f: VhsFixture;
const rec = recorder();
// Frame i of the test batch is filled with the value i * 10 (6 frames of 4x2).
const frames = new Uint8Array(6 * 4 * 2 * 3).map((_, i) => Math.floor(i / 24) * 10);
const source: NodeDefinition = { type: 'VhsTestFrames', outputs: [{ type: 'IMAGE' }, { type: 'MASK' }, { type: 'IMAGE' }], execute: () => [imageFromPixels(frames, 6, 4, 2), mask(new Float32Array(6 * 8).map((_, i) => Math.floor(i / 8) / 10), 6, 4, 2), imageFromPixels(new Uint8Array(2 * 8 * 4 * 3).fill(200), 2, 8, 4)] };

beforeAll(async () => {
  f = await vhsEngine([rec.node, source]);
}, 60_000);

async function run(node: string, inputs: Record<string, unknown>, outputs: number) {
  const prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }> = {
    s: { class_type: 'VhsTestFrames', inputs: {} },
    n: { class_type: node, inputs },
  };
  for (let i = 0; i < outputs; i++) prompt[`r${i}`] = { class_type: 'VhsTestRecord', inputs: { value: ['n', i] } };
  const entry = await runPrompt(f.engine, prompt);
  return { entry, out: Array.from({ length: outputs }, (_, i) => rec.values[`r${i}`]) };
}

/** The fill value of each frame of an image (or mask, x10). */
async function levels(value: unknown): Promise<number[]> {
  if ((value as Mask).type === 'MASK') {
    const m = value as Mask;
    return Array.from({ length: m.count }, (_, i) => Math.round(m.data[i * m.width * m.height]! * 100));
  }
  const image = value as Image;
  const t = await materialize(image);
  const bytes = image.width * image.height * 3;
  return Array.from({ length: image.count }, (_, i) => t.data[i * bytes]!);
}

describe('Python slices and VHS index strings', () => {
  it('follow Python', () => {
    expect(pySliceIndexes(6, undefined, -2)).toEqual([0, 1, 2, 3]);
    expect(pySliceIndexes(6, 1, undefined, 2)).toEqual([1, 3, 5]);
    expect(pySliceIndexes(6, undefined, undefined, -1)).toEqual([5, 4, 3, 2, 1, 0]);
    expect(parseIndexes('0, -1, 2:4, ::3', 6, false)).toEqual([0, 5, 2, 3, 0, 3]);
    expect(parseIndexes('9, 1', 6, true)).toEqual([1]);
    expect(() => parseIndexes('9', 6, false)).toThrow('out of range');
  });
});

describe('VHS image batch nodes', () => {
  it('VHS_SplitImages splits at the index (negative from the end)', async () => {
    const { out } = await run('VHS_SplitImages', { images: ['s', 0], split_index: -2 }, 4);
    expect(await levels(out[0])).toEqual([0, 10, 20, 30]);
    expect(out[1]).toBe(4);
    expect(await levels(out[2])).toEqual([40, 50]);
    expect(out[3]).toBe(2);
  });

  it('VHS_SelectEveryNthImage and its count', async () => {
    const { out } = await run('VHS_SelectEveryNthImage', { images: ['s', 0], select_every_nth: 2, skip_first_images: 1 }, 2);
    expect(await levels(out[0])).toEqual([10, 30, 50]);
    expect(out[1]).toBe(3);
  });

  it('VHS_DuplicateImages repeats the batch', async () => {
    const { out } = await run('VHS_DuplicateImages', { images: ['s', 0], multiply_by: 2 }, 2);
    expect(await levels(out[0])).toEqual([0, 10, 20, 30, 40, 50, 0, 10, 20, 30, 40, 50]);
    expect(out[1]).toBe(12);
  });

  it('VHS_SelectImages picks frames in the order given', async () => {
    const { out } = await run('VHS_SelectImages', { image: ['s', 0], indexes: '-1, 0, 2:4', err_if_missing: true, err_if_empty: true }, 1);
    expect(await levels(out[0])).toEqual([50, 0, 20, 30]);
  });

  it('VHS_SelectImages names the input when an index is missing', async () => {
    const { entry } = await run('VHS_SelectImages', { image: ['s', 0], indexes: '7', err_if_missing: true, err_if_empty: true }, 1);
    expect(executionError(entry)?.exception_message).toContain('VHS_SelectImages: input "indexes": index 7 is out of range for 6 items');
  });

  it('VHS_MergeImages scales B to A ("match A") and appends it', async () => {
    const { out } = await run('VHS_MergeImages', { images_A: ['s', 0], images_B: ['s', 2], merge_strategy: 'match A', scale_method: 'bilinear', crop: 'disabled' }, 2);
    const merged = out[0] as Image;
    expect([merged.count, merged.width, merged.height]).toEqual([8, 4, 2]);
    expect(await levels(merged)).toEqual([0, 10, 20, 30, 40, 50, 200, 200]);
    expect(out[1]).toBe(8);
  });

  it('VHS_MergeImages "match larger" scales A up to B', async () => {
    const { out } = await run('VHS_MergeImages', { images_A: ['s', 0], images_B: ['s', 2], merge_strategy: 'match larger', scale_method: 'nearest-exact', crop: 'center' }, 1);
    expect([(out[0] as Image).width, (out[0] as Image).height]).toEqual([8, 4]);
  });

  it('VHS_GetImageCount', async () => {
    const { out } = await run('VHS_GetImageCount', { images: ['s', 0] }, 1);
    expect(out[0]).toBe(6);
  });
});

describe('VHS mask batch nodes', () => {
  it('split, every nth, repeat, select, count', async () => {
    const split = await run('VHS_SplitMasks', { mask: ['s', 1], split_index: 2 }, 4);
    expect([await levels(split.out[0]), split.out[1], await levels(split.out[2]), split.out[3]]).toEqual([[0, 10], 2, [20, 30, 40, 50], 4]);
    const nth = await run('VHS_SelectEveryNthMask', { mask: ['s', 1], select_every_nth: 3, skip_first_masks: 0 }, 2);
    expect(await levels(nth.out[0])).toEqual([0, 30]);
    const repeat = await run('VHS_DuplicateMasks', { mask: ['s', 1], multiply_by: 3 }, 2);
    expect(repeat.out[1]).toBe(18);
    const select = await run('VHS_SelectMasks', { mask: ['s', 1], indexes: '5:2:-1', err_if_missing: true, err_if_empty: true }, 1);
    expect(await levels(select.out[0])).toEqual([50, 40, 30]);
    const count = await run('VHS_GetMaskCount', { mask: ['s', 1] }, 1);
    expect(count.out[0]).toBe(6);
    const merge = await run('VHS_MergeMasks', { mask_A: ['s', 1], mask_B: ['s', 1], merge_strategy: 'match A', scale_method: 'area', crop: 'disabled' }, 2);
    expect(merge.out[1]).toBe(12);
  });
});
