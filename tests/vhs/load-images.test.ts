// VHS_LoadImages / VHS_LoadImagesPath on generated PNG folders: VHS's file order, caps, skips and
// every nth; alpha -> MASK (1 - alpha), 64x64 zero masks without alpha; a differing size
// centre-cropped and scaled to the most common one; path confinement; the utility nodes.
import { mkdirSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { materialize, type Image, type Mask } from '../../types/data.ts';
import { sortedImageFiles } from '../../nodes/vhs/load-images.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { executionError, runPrompt } from '../media/helpers.ts';
import { recorder, vhsEngine, type VhsFixture } from './helpers.ts';

let f: VhsFixture;
const rec = recorder();
const helpers: NodeDefinition[] = [
  { type: 'VhsTestString', inputs: { required: { value: { type: 'STRING' } } }, outputs: [{ type: 'STRING' }], execute: ({ value }) => [value] },
  { type: 'VhsTestList', inputs: { required: { a: { type: '*' }, b: { type: '*' } } }, outputs: [{ type: '*', isList: true }], execute: ({ a, b }) => [[a, b]] },
  { type: 'VhsTestFilenames', inputs: { required: { files: { type: 'STRING' } } }, outputs: [{ type: 'VHS_FILENAMES' }], execute: ({ files }) => [[true, JSON.parse(files as string)]] },
];

/** A w x h PNG filled with grey level `v` (and alpha `a` when given). */
async function png(path: string, v: number, w = 8, h = 6, a?: number): Promise<void> {
  const channels = a === undefined ? 3 : 4;
  const data = Buffer.alloc(w * h * channels);
  for (let p = 0; p < w * h; p++) {
    data.fill(v, p * channels, p * channels + 3);
    if (a !== undefined) data[p * channels + 3] = a;
  }
  await sharp(data, { raw: { width: w, height: h, channels } }).png().toFile(path);
}

beforeAll(async () => {
  f = await vhsEngine([rec.node, ...helpers]);
  const plain = join(f.input, 'frames');
  mkdirSync(plain);
  // Written out of order; VHS sorts by name (code points: "B" < "a", "10" < "2").
  for (const [name, v] of [['img2.png', 20], ['img10.png', 100], ['img1.png', 10], ['img3.png', 30], ['Bimg.png', 5], ['a.jpeg.txt', 1], ['img4.webp', 40]] as const) {
    if (name.endsWith('.txt')) writeFileSync(join(plain, name), 'not an image');
    else await png(join(plain, name), v);
  }
  mkdirSync(join(plain, 'sub.png'));
  const alpha = join(f.input, 'alpha');
  mkdirSync(alpha);
  await png(join(alpha, '0.png'), 50, 8, 6, 255);
  await png(join(alpha, '1.png'), 60, 8, 6, 0);
  await png(join(alpha, '2.png'), 70); // no alpha: opaque in an RGBA batch
  const mixed = join(f.input, 'mixed');
  mkdirSync(mixed);
  // The odd one: 16x8 (2:1) against the others' 8x6 (4:3). VHS crops the centre 10x8 (3 columns
  // off each side, ComfyUI's centre crop) before scaling, so the red side bands must vanish.
  const odd = Buffer.alloc(16 * 8 * 3);
  for (let p = 0; p < 16 * 8; p++) {
    const x = p % 16;
    if (x < 3 || x >= 13) odd.set([255, 0, 0], p * 3);
    else odd.fill(90, p * 3, p * 3 + 3);
  }
  await sharp(odd, { raw: { width: 16, height: 8, channels: 3 } }).png().toFile(join(mixed, '0.png'));
  await png(join(mixed, '1.png'), 80, 8, 6);
  await png(join(mixed, '2.png'), 70, 8, 6);
  mkdirSync(join(f.input, 'empty'));
  mkdirSync(join(f.base, 'outside'));
  await png(join(f.base, 'outside', '0.png'), 1);
  mkdirSync(join(f.base, 'output'), { recursive: true });
  mkdirSync(join(f.base, 'output', 'shots'));
  await png(join(f.base, 'output', 'shots', '0.png'), 33);
}, 60_000);

async function load(node: string, inputs: Record<string, unknown>) {
  const entry = await runPrompt(f.engine, {
    l: { class_type: node, inputs },
    r0: { class_type: 'VhsTestRecord', inputs: { value: ['l', 0] } },
    r1: { class_type: 'VhsTestRecord', inputs: { value: ['l', 1] } },
    r2: { class_type: 'VhsTestRecord', inputs: { value: ['l', 2] } },
  });
  return { entry, image: rec.values.r0 as Image, mask: rec.values.r1 as Mask, count: rec.values.r2 as number };
}

async function levels(image: Image): Promise<number[]> {
  const t = await materialize(image);
  const bytes = image.width * image.height * 3;
  return Array.from({ length: image.count }, (_, i) => t.data[i * bytes]!);
}

describe('VHS_LoadImages / VHS_LoadImagesPath', () => {
  it('orders files as VHS does and keeps only image extensions', () => {
    const names = sortedImageFiles(join(f.input, 'frames')).map((p) => p.split('/').at(-1));
    expect(names).toEqual(['Bimg.png', 'img1.png', 'img10.png', 'img2.png', 'img3.png', 'img4.webp']);
    expect(sortedImageFiles(join(f.input, 'frames'), 1, 2).map((p) => p.split('/').at(-1))).toEqual(['img1.png', 'img2.png', 'img4.webp']);
  });

  it('loads a folder lazily with a 64x64 zero mask per frame when nothing has alpha', async () => {
    const { entry, image, mask, count } = await load('VHS_LoadImages', { directory: 'frames', image_load_cap: 0, skip_first_images: 0, select_every_nth: 1 });
    expect(executionError(entry)).toBeUndefined();
    expect(count).toBe(6);
    expect([image.count, image.width, image.height]).toEqual([6, 8, 6]);
    expect(await levels(image)).toEqual([5, 10, 100, 20, 30, 40]);
    expect([mask.count, mask.width, mask.height]).toEqual([6, 64, 64]);
    expect(mask.data.every((v) => v === 0)).toBe(true);
  });

  it('skips, takes every nth, then caps', async () => {
    const { image, count } = await load('VHS_LoadImages', { directory: 'frames', image_load_cap: 2, skip_first_images: 1, select_every_nth: 2 });
    expect(count).toBe(2);
    expect(await levels(image)).toEqual([10, 20]);
  });

  it('the optional inputs may be left out', async () => {
    const { count } = await load('VHS_LoadImagesPath', { directory: 'frames' });
    expect(count).toBe(6);
  });

  it('makes MASK = 1 - alpha, opaque for files without alpha', async () => {
    const { image, mask } = await load('VHS_LoadImagesPath', { directory: join(f.input, 'alpha') });
    expect(await levels(image)).toEqual([50, 60, 70]);
    expect([mask.count, mask.width, mask.height]).toEqual([3, 8, 6]);
    expect([mask.data[0], mask.data[48], mask.data[96]]).toEqual([0, 1, 0]);
  });

  it('scales a differing size to the most common one, centre-cropped first', async () => {
    const { image } = await load('VHS_LoadImages', { directory: 'mixed' });
    expect([image.count, image.width, image.height]).toEqual([3, 8, 6]);
    expect(await levels(image)).toEqual([90, 80, 70]);
    const t = await materialize(image);
    const first = t.data.subarray(0, 8 * 6 * 3);
    expect(first.every((v) => v === 90)).toBe(true);
  });

  it('reads folders in output/ by absolute path', async () => {
    const { count, image } = await load('VHS_LoadImagesPath', { directory: join(f.base, 'output', 'shots') });
    expect(count).toBe(1);
    expect(await levels(image)).toEqual([33]);
  });

  it('refuses folders outside input/output/temp, naming node and input', async () => {
    const outside = join(f.base, 'outside');
    const submitted = await f.engine.runner.submit({ prompt: { l: { class_type: 'VHS_LoadImagesPath', inputs: { directory: outside } }, r: { class_type: 'VhsTestRecord', inputs: { value: ['l', 0] } } } });
    expect(submitted.ok).toBe(false);
    expect(JSON.stringify(submitted.nodeErrors)).toContain('outside the input, output and temp folders');
    const escape = await f.engine.runner.submit({ prompt: { l: { class_type: 'VHS_LoadImages', inputs: { directory: '../outside' } }, r: { class_type: 'VhsTestRecord', inputs: { value: ['l', 0] } } } });
    expect(escape.ok).toBe(false);
    // A linked path is checked when the node runs.
    const entry = await runPrompt(f.engine, {
      s: { class_type: 'VhsTestString', inputs: { value: '../outside' } },
      l: { class_type: 'VHS_LoadImagesPath', inputs: { directory: ['s', 0] } },
      r: { class_type: 'VhsTestRecord', inputs: { value: ['l', 0] } },
    });
    const error = executionError(entry)!;
    expect(error.node_type).toBe('VHS_LoadImagesPath');
    expect(String(error.exception_message)).toContain('VHS_LoadImagesPath: input "directory"');
    expect(String(error.exception_message)).toContain('outside the input folder');
  });

  it('an empty folder is refused', async () => {
    const submitted = await f.engine.runner.submit({ prompt: { l: { class_type: 'VHS_LoadImages', inputs: { directory: 'empty' } }, r: { class_type: 'VhsTestRecord', inputs: { value: ['l', 0] } } } });
    expect(submitted.ok).toBe(false);
    expect(JSON.stringify(submitted.nodeErrors)).toContain('No files in directory');
  });

  it('a connected meta_batch loads the whole folder (one unbatched run)', async () => {
    const entry = await runPrompt(f.engine, {
      m: { class_type: 'VHS_BatchManager', inputs: { frames_per_batch: 4 } },
      l: { class_type: 'VHS_LoadImages', inputs: { directory: 'frames', meta_batch: ['m', 0] } },
      r: { class_type: 'VhsTestRecord', inputs: { value: ['l', 0] } },
    });
    expect(executionError(entry)).toBeUndefined();
    expect(await levels(rec.values.r as Image)).toEqual([5, 10, 100, 20, 30, 40]);
  });
});

describe('VHS utility nodes', () => {
  it('VHS_Unbatch joins a list of IMAGEs into one batch', async () => {
    const entry = await runPrompt(f.engine, {
      a: { class_type: 'VHS_LoadImages', inputs: { directory: 'frames', image_load_cap: 2 } },
      b: { class_type: 'VHS_LoadImages', inputs: { directory: 'mixed' } },
      l: { class_type: 'VhsTestList', inputs: { a: ['a', 0], b: ['b', 0] } },
      u: { class_type: 'VHS_Unbatch', inputs: { batched: ['l', 0] } },
      r: { class_type: 'VhsTestRecord', inputs: { value: ['u', 0] } },
    });
    expect(executionError(entry)).toBeUndefined();
    expect(await levels(rec.values.r as Image)).toEqual([5, 10, 90, 80, 70]);
  });

  it('VHS_PruneOutputs deletes only intermediate (and utility) files inside output/temp', async () => {
    const out = join(f.base, 'output');
    const files = ['p_00001.png', 'p_00001.mp4', 'p_00001-audio.mp4'].map((n) => join(out, n));
    for (const file of files) writeFileSync(file, 'x');
    const prune = (options: string, list: string[]) =>
      runPrompt(f.engine, { s: { class_type: 'VhsTestFilenames', inputs: { files: JSON.stringify(list) } }, p: { class_type: 'VHS_PruneOutputs', inputs: { filenames: ['s', 0], options } } });
    expect(executionError(await prune('Intermediate', files))).toBeUndefined();
    expect(files.map((p) => existsSync(p))).toEqual([true, false, true]);
    expect(executionError(await prune('Intermediate and Utility', files))).toBeUndefined();
    expect(files.map((p) => existsSync(p))).toEqual([false, false, true]);
    const outside = join(f.base, 'outside', '0.png');
    const error = executionError(await prune('Intermediate and Utility', [outside, files[2]!]))!;
    expect(String(error.exception_message)).toContain('VHS_PruneOutputs: input "filenames": Tried to prune output from invalid directory');
    expect(existsSync(outside)).toBe(true);
  });

  it('VHS_SelectLatest outputs the newest matching file, which VHS_LoadImagesPath-style paths accept', async () => {
    const out = join(f.base, 'output');
    for (const [name, t] of [['AnimateDiff_00001.webm', 1000], ['AnimateDiff_00002.webm', 3000], ['AnimateDiff_00003.mp4', 5000], ['Other_00009.webm', 6000]] as const) {
      writeFileSync(join(out, name), 'x');
      utimesSync(join(out, name), t, t);
    }
    const entry = await runPrompt(f.engine, {
      s: { class_type: 'VHS_SelectLatest', inputs: { filename_prefix: 'output/AnimateDiff', filename_postfix: '.webm' } },
      r: { class_type: 'VhsTestRecord', inputs: { value: ['s', 0] } },
    });
    expect(executionError(entry)).toBeUndefined();
    expect(rec.values.r).toBe(join(out, 'AnimateDiff_00002.webm'));
    const bad = await runPrompt(f.engine, {
      s: { class_type: 'VHS_SelectLatest', inputs: { filename_prefix: '../AnimateDiff', filename_postfix: '' } },
      r: { class_type: 'VhsTestRecord', inputs: { value: ['s', 0] } },
    });
    expect(String(executionError(bad)?.exception_message)).toContain('VHS_SelectLatest: input "filename_prefix"');
  });
});
