// LoadImageMask and LoadImageOutput: /object_info entries against ComfyUI's (nodes.py), masks from
// generated PNGs checked against values computed here from the bytes written, and the
// `GET /internal/files/{type}` list their remote combo refreshes from, over real HTTP.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materialize, type Image, type Mask } from '../../types/data.ts';
import { uiToApi } from '../../server/workflow/index.ts';
import { tempDir } from '../helpers/engine.ts';
import { startTestServer, type TestServer } from '../api/helpers.ts';
import { coreEngine, expectSchema, type CoreEngine } from './helpers.ts';

let base: string;
let core: CoreEngine;

/** 3x2 RGBA with distinct bytes per channel and alpha 0..255. */
const W = 3;
const H = 2;
const RGBA = Uint8Array.from({ length: W * H * 4 }, (_, i) => (i % 4 === 3 ? [0, 255, 128, 1, 64, 200][Math.floor(i / 4)]! : (i * 29 + 7) % 256));
/** 3 frames of 4x4 RGB (no alpha), as an animated GIF: solid greys. */
const GIF_LEVELS = [0, 120, 250];

beforeAll(async () => {
  base = tempDir('flashgraph-loaders-');
  mkdirSync(join(base, 'input'), { recursive: true });
  mkdirSync(join(base, 'output', 'sub'), { recursive: true });
  await sharp(RGBA, { raw: { width: W, height: H, channels: 4 } }).png().toFile(join(base, 'input', 'rgba.png'));
  const rgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 53 + 11) % 256);
  await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(join(base, 'input', 'rgb.png'));
  const frames = Buffer.concat(GIF_LEVELS.map((v) => Buffer.alloc(4 * 4 * 3, v)));
  await sharp(frames, { raw: { width: 4, height: 12, channels: 3, pageHeight: 4 } }).gif().toFile(join(base, 'input', 'anim.gif'));
  writeFileSync(join(base, 'input', 'broken.png'), 'not a png');
  // output/: two images with set modification times (older first), a text file and a sub-folder file.
  await sharp(RGBA, { raw: { width: W, height: H, channels: 4 } }).png().toFile(join(base, 'output', 'old.png'));
  await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(join(base, 'output', 'new.png'));
  writeFileSync(join(base, 'output', 'notes.txt'), 'x');
  await sharp({ create: { width: 5, height: 7, channels: 3, background: { r: 9, g: 8, b: 7 } } }).png().toFile(join(base, 'output', 'sub', 'deep.png'));
  utimesSync(join(base, 'output', 'old.png'), 1_000_000, 1_000_000);
  utimesSync(join(base, 'output', 'notes.txt'), 2_000_000, 2_000_000);
  utimesSync(join(base, 'output', 'new.png'), 3_000_000, 3_000_000);
  core = await coreEngine(base);
}, 30_000);

describe('schemas match ComfyUI', () => {
  it('LoadImageMask and LoadImageOutput', () => {
    const e = core.engine;
    expectSchema(e, 'LoadImageMask', {
      required: { image: [['anim.gif', 'broken.png', 'rgb.png', 'rgba.png'], { image_upload: true }], channel: [['alpha', 'red', 'green', 'blue']] },
      output: ['MASK'],
      output_name: ['MASK'],
      display_name: 'Load Image (as Mask)',
      category: 'mask',
    });
    // ComfyUI declares ["COMBO", {...}] and the frontend fills the list from the route; FlashGraph
    // also puts the route's current list in the type slot (the legacy form every client reads).
    expectSchema(e, 'LoadImageOutput', {
      required: {
        image: [
          ['new.png [output]', 'notes.txt [output]', 'old.png [output]'],
          { image_upload: true, image_folder: 'output', remote: { route: '/internal/files/output', refresh_button: true, control_after_refresh: 'first' } },
        ],
      },
      output: ['IMAGE', 'MASK'],
      output_name: ['IMAGE', 'MASK'],
      display_name: 'Load Image (from Outputs)',
      category: 'image',
    });
    expect(e.runner.options.registry.nodeInfo('LoadImageOutput', e.storage)!.experimental).toBe(true);
  });
});

describe('LoadImageMask', () => {
  it('alpha gives 1 - alpha; red, green and blue give the channel / 255 at full size', async () => {
    const load = (channel: string) => ({ class_type: 'LoadImageMask', inputs: { image: 'rgba.png', channel } });
    const masks = (await core.run({ '1': load('alpha'), '2': load('red'), '3': load('green'), '4': load('blue') }, [
      ['1', 0],
      ['2', 0],
      ['3', 0],
      ['4', 0],
    ])) as Mask[];
    for (const m of masks) expect([m.count, m.height, m.width]).toEqual([1, H, W]);
    const alpha = Array.from({ length: W * H }, (_, p) => RGBA[p * 4 + 3]!);
    alpha.forEach((a, p) => expect(masks[0]!.data[p]).toBeCloseTo(1 - a / 255, 6));
    expect(masks[0]!.data[1]).toBe(0); // alpha 255: opaque is 0 in a ComfyUI mask
    expect(masks[0]!.data[0]).toBe(1); // alpha 0
    for (let c = 0; c < 3; c++) {
      expect([...masks[c + 1]!.data]).toEqual(Array.from({ length: W * H }, (_, p) => Math.fround(RGBA[p * 4 + c]! / 255)));
    }
  });

  it('without alpha, "alpha" is a 64x64 zero mask and colours still read the image', async () => {
    const [noAlpha, green, gifAlpha, gifRed] = (await core.run(
      {
        '1': { class_type: 'LoadImageMask', inputs: { image: 'rgb.png', channel: 'alpha' } },
        '2': { class_type: 'LoadImageMask', inputs: { image: 'rgb.png', channel: 'green' } },
        '3': { class_type: 'LoadImageMask', inputs: { image: 'anim.gif', channel: 'alpha' } },
        '4': { class_type: 'LoadImageMask', inputs: { image: 'anim.gif', channel: 'red' } },
      },
      [
        ['1', 0],
        ['2', 0],
        ['3', 0],
        ['4', 0],
      ],
    )) as Mask[];
    expect([noAlpha!.count, noAlpha!.height, noAlpha!.width]).toEqual([1, 64, 64]);
    expect(noAlpha!.data.every((v) => v === 0)).toBe(true);
    expect([green!.count, green!.height, green!.width]).toEqual([1, H, W]);
    expect([...green!.data]).toEqual(Array.from({ length: W * H }, (_, p) => Math.fround(((p * 3 + 1) * 53 + 11) % 256 / 255)));
    // An opaque GIF: one all-zero mask per frame (sharp decodes GIFs with an alpha channel, so full size).
    expect(gifAlpha!.count).toBe(3);
    expect(gifAlpha!.data.every((v) => v === 0)).toBe(true);
    expect([gifRed!.count, gifRed!.height, gifRed!.width]).toEqual([3, 4, 4]);
    expect([gifRed!.data[0], gifRed!.data[16], gifRed!.data[32]]).toEqual(GIF_LEVELS.map((v) => Math.fround(v / 255)));
  });

  it('rejects a missing file at validation and names node and input for an unreadable one', async () => {
    const submitted = await core.engine.runner.submit({
      prompt: {
        '1': { class_type: 'LoadImageMask', inputs: { image: 'ghost.png', channel: 'red' } },
        '2': { class_type: 'TestCapture', inputs: { value: ['1', 0] } },
      },
    });
    expect(submitted.ok).toBe(false);
    expect(JSON.stringify(submitted.nodeErrors)).toContain('image - Invalid image file: ghost.png');
    const error = await core.fail({
      '1': { class_type: 'LoadImageMask', inputs: { image: 'broken.png', channel: 'alpha' } },
      '2': { class_type: 'TestCapture', inputs: { value: ['1', 0] } },
    });
    expect(error.node_type).toBe('LoadImageMask');
    expect(error.exception_message).toContain('LoadImageMask: input "image": cannot read broken.png as an image');
  });
});

describe('LoadImageOutput', () => {
  it('loads "name [output]" from the output folder with its alpha mask, as LoadImage does', async () => {
    const [image, m] = (await core.run({ '1': { class_type: 'LoadImageOutput', inputs: { image: 'old.png [output]' } } }, [
      ['1', 0],
      ['1', 1],
    ])) as [Image, Mask];
    expect([image.count, image.height, image.width]).toEqual([1, H, W]);
    const data = (await materialize(image)).data;
    for (let p = 0; p < W * H; p++) expect([...data.subarray(p * 3, p * 3 + 3)]).toEqual([...RGBA.subarray(p * 4, p * 4 + 3)]);
    for (let p = 0; p < W * H; p++) expect(m.data[p]).toBeCloseTo(1 - RGBA[p * 4 + 3]! / 255, 6);
  });

  it('accepts a file the combo does not list (only existence is checked, as in ComfyUI) and rejects a missing one', async () => {
    const [deep] = (await core.run({ '1': { class_type: 'LoadImageOutput', inputs: { image: 'sub/deep.png [output]' } } }, [['1', 0]])) as [Image];
    expect([deep.width, deep.height]).toEqual([5, 7]);
    expect([...(await materialize(deep)).data.subarray(0, 3)]).toEqual([9, 8, 7]);
    const missing = await core.engine.runner.submit({
      prompt: { '1': { class_type: 'LoadImageOutput', inputs: { image: 'gone.png [output]' } }, '2': { class_type: 'TestCapture', inputs: { value: ['1', 0] } } },
    });
    expect(missing.ok).toBe(false);
    expect(JSON.stringify(missing.nodeErrors)).toContain('image - Invalid image file: gone.png [output]');
  });
});

describe('saved workflows', () => {
  it('map the editor\'s widgets_values (value, upload placeholder, channel) by position', () => {
    const objectInfo = core.engine.runner.options.registry.objectInfo(core.engine.storage);
    const node = (id: number, type: string, widgets_values: unknown[]) => ({ id, type, mode: 0, inputs: [], outputs: [], widgets_values });
    const workflow = {
      last_node_id: 3,
      last_link_id: 0,
      nodes: [
        node(1, 'LoadImageOutput', ['old.png [output]', 'image']),
        node(2, 'LoadImageMask', ['rgba.png', 'red', 'image']),
        node(3, 'ImageStitch', ['down', false, 4, 'blue']),
      ],
      links: [],
      version: 0.4,
    };
    const { prompt } = uiToApi(workflow, objectInfo);
    expect(prompt['1']!.inputs).toEqual({ image: 'old.png [output]' });
    expect(prompt['2']!.inputs).toEqual({ image: 'rgba.png', channel: 'red' });
    expect(prompt['3']!.inputs).toEqual({ direction: 'down', match_image_size: false, spacing_width: 4, spacing_color: 'blue' });
  });
});

describe('GET /internal/files/{type} (the remote combo route)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, base);
  });
  afterAll(async () => {
    await server.close();
  });

  it('lists top-level files newest first, annotated with the folder, at /internal and /api/internal', async () => {
    for (const prefix of ['', '/api']) {
      const res = await server.get(`${prefix}/internal/files/output`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(['new.png [output]', 'notes.txt [output]', 'old.png [output]']);
    }
    const input = (await (await server.get('/internal/files/input')).json()) as string[];
    expect([...input].sort()).toEqual(['anim.gif [input]', 'broken.png [input]', 'rgb.png [input]', 'rgba.png [input]']);
    expect(await (await server.get('/internal/files/temp')).json()).toEqual([]);
  });

  it('refuses other folders with ComfyUI\'s 400', async () => {
    for (const type of ['models', 'user', 'Output']) {
      const res = await server.get(`/internal/files/${type}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'Invalid directory type' });
    }
  });

  it('lists a file written after the schema was read, so a refresh picks up new outputs', async () => {
    await sharp(RGBA, { raw: { width: W, height: H, channels: 4 } }).png().toFile(join(base, 'output', 'newest.png'));
    const list = (await (await server.get('/internal/files/output')).json()) as string[];
    expect(list[0]).toBe('newest.png [output]');
    const info = (await (await server.get('/object_info/LoadImageOutput')).json()) as { LoadImageOutput: { input: { required: { image: [string[]] } } } };
    expect(info.LoadImageOutput.input.required.image[0][0]).toBe('newest.png [output]');
  });
});
