// POST /upload/mask over real HTTP, sent as the official frontend's mask editor sends it
// (ComfyUI_frontend v1.27.10 src/extensions/core/maskeditor.ts:1059: FormData with the mask PNG
// in `image`, `original_ref` as JSON, type "input", subfolder "clipspace"). What the server does is
// ComfyUI's server.py:371 upload_mask: the original (annotated name, else original_ref.type with
// output as default, plus subfolder) as RGBA with the mask's alpha, its PNG texts kept, saved
// under image_upload's naming (server.py:316).
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../server/media/image-file.ts';
import { readPngTexts } from '../../server/media/png-text.ts';
import { tempDir } from '../helpers/engine.ts';
import { startTestServer, type TestServer } from './helpers.ts';

const WIDTH = 4;
const HEIGHT = 3;
const TEXTS = { prompt: '{"1": {"class_type": "LoadImage"}}', workflow: '{"note": "café ☕"}' };

let server: TestServer;
let original: Buffer;
/** The original's RGB pixels: every channel of every pixel different. */
const rgb = Uint8Array.from({ length: WIDTH * HEIGHT * 3 }, (_, i) => (i * 17 + 5) % 256);
/** The mask's alpha: 0 (masked) to 255. */
const alpha = Uint8Array.from({ length: WIDTH * HEIGHT }, (_, i) => [0, 255, 128, 7][i % 4]!);

async function maskPng(): Promise<Buffer> {
  // The editor's mask canvas: black where nothing is painted, alpha carries the mask.
  const rgba = new Uint8Array(WIDTH * HEIGHT * 4);
  for (let p = 0; p < WIDTH * HEIGHT; p++) rgba[p * 4 + 3] = alpha[p]!;
  return sharp(rgba, { raw: { width: WIDTH, height: HEIGHT, channels: 4 } }).png().toBuffer();
}

async function rawRgba(bytes: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height, info.channels]).toEqual([WIDTH, HEIGHT, 4]);
  return data;
}

function maskForm(mask: Buffer, ref: unknown, fields: Record<string, string> = { type: 'input', subfolder: 'clipspace' }, name = 'clipspace-mask-1700000000000.png'): FormData {
  const form = new FormData();
  form.append('image', new Blob([mask], { type: 'image/png' }), name);
  if (ref !== undefined) form.append('original_ref', typeof ref === 'string' ? ref : JSON.stringify(ref));
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  return form;
}

const post = (form: FormData) => fetch(`${server.url}/api/upload/mask`, { method: 'POST', body: form });

beforeAll(async () => {
  server = await startTestServer();
  original = await encodePng(rgb, WIDTH, HEIGHT, 4, TEXTS);
  for (const folder of ['output', 'input', 'input/clipspace', 'output/renders']) mkdirSync(join(server.base, folder), { recursive: true });
  writeFileSync(join(server.base, 'output', 'ComfyUI_00001_.png'), original);
  writeFileSync(join(server.base, 'output', 'renders', 'shot.png'), original);
  writeFileSync(join(server.base, 'input', 'photo.png'), original);
});
afterAll(() => server.close());

describe('POST /upload/mask', () => {
  it("stores the original's pixels with the mask's alpha and the original's text chunks", async () => {
    const res = await post(maskForm(await maskPng(), { filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: 'clipspace-mask-1700000000000.png', subfolder: 'clipspace', type: 'input' });
    const stored = readFileSync(join(server.base, 'input', 'clipspace', 'clipspace-mask-1700000000000.png'));
    const pixels = await rawRgba(stored);
    for (let p = 0; p < WIDTH * HEIGHT; p++) {
      expect([...pixels.subarray(p * 4, p * 4 + 4)], `pixel ${p}`).toEqual([rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2], alpha[p]]);
    }
    expect(readPngTexts(stored)).toEqual(TEXTS);
  });

  it('finds the original by annotation, by subfolder, and in output/ when original_ref has no type', async () => {
    const cases: [unknown, string][] = [
      [{ filename: 'photo.png [input]' }, 'a.png'],
      [{ filename: 'shot.png', subfolder: 'renders' }, 'b.png'],
      [{ filename: 'ComfyUI_00001_.png' }, 'c.png'],
    ];
    for (const [ref, name] of cases) {
      const res = await post(maskForm(await maskPng(), ref, { subfolder: 'masks' }, name));
      expect(res.status, JSON.stringify(ref)).toBe(200);
      expect(await res.json()).toEqual({ name, subfolder: 'masks', type: 'input' });
      const pixels = await rawRgba(readFileSync(join(server.base, 'input', 'masks', name)));
      expect([...pixels.subarray(0, 8)]).toEqual([rgb[0], rgb[1], rgb[2], alpha[0], rgb[3], rgb[4], rgb[5], alpha[1]]);
    }
  });

  it('makes a mask without an alpha channel opaque, and writes WebP when the name says so', async () => {
    const opaque = await sharp({ create: { width: WIDTH, height: HEIGHT, channels: 3, background: '#000' } }).png().toBuffer();
    expect((await post(maskForm(opaque, { filename: 'photo.png', type: 'input' }, { type: 'temp' }, 'opaque.png'))).status).toBe(200);
    const pixels = await rawRgba(readFileSync(join(server.base, 'temp', 'opaque.png')));
    expect(Array.from({ length: WIDTH * HEIGHT }, (_, p) => pixels[p * 4 + 3])).toEqual(new Array(WIDTH * HEIGHT).fill(255));

    const res = await post(maskForm(await maskPng(), { filename: 'photo.png', type: 'input' }, {}, 'masked.webp'));
    expect(res.status).toBe(200);
    const webp = readFileSync(join(server.base, 'input', 'masked.webp'));
    expect((await sharp(webp).metadata()).format).toBe('webp');
    const lossless = await rawRgba(webp);
    expect(Array.from({ length: WIDTH * HEIGHT }, (_, p) => lossless[p * 4 + 3])).toEqual([...alpha]);
  });

  it("names like /upload/image: a taken name gets ' (1)'; a file equal to the uploaded mask is reused; overwrite replaces", async () => {
    const mask = await maskPng();
    const ref = { filename: 'photo.png', type: 'input' };
    const first = (await (await post(maskForm(mask, ref, { subfolder: 'again' }, 'm.png'))).json()) as { name: string };
    const second = (await (await post(maskForm(mask, ref, { subfolder: 'again' }, 'm.png'))).json()) as { name: string };
    // The stored file is the composed image, not the mask, so the same mask is stored again.
    expect([first.name, second.name]).toEqual(['m.png', 'm (1).png']);
    // ComfyUI compares a taken name's file with the uploaded bytes (server.py:302 compare_image_hash).
    writeFileSync(join(server.base, 'input', 'again', 'same.png'), mask);
    expect(((await (await post(maskForm(mask, ref, { subfolder: 'again' }, 'same.png'))).json()) as { name: string }).name).toBe('same.png');
    expect(readFileSync(join(server.base, 'input', 'again', 'same.png')).equals(mask)).toBe(true);
    const replaced = (await (await post(maskForm(mask, ref, { subfolder: 'again', overwrite: 'true' }, 'same.png'))).json()) as { name: string };
    expect(replaced.name).toBe('same.png');
    expect(readPngTexts(readFileSync(join(server.base, 'input', 'again', 'same.png')))).toEqual(TEXTS);
  });

  it('refuses what it cannot do with a clear 4xx and stores nothing', async () => {
    const mask = await maskPng();
    const outside = tempDir('flashgraph-mask-outside-');
    writeFileSync(join(outside, 'secret.png'), original);
    symlinkSync(outside, join(server.base, 'output', 'escape'));
    const big = await sharp({ create: { width: 8, height: 8, channels: 4, background: '#0000' } }).png().toBuffer();
    const cases: [FormData, number, RegExp][] = [
      [maskForm(mask, undefined, {}, 'r1.png'), 400, /original_ref/],
      [maskForm(mask, '{not json', {}, 'r2.png'), 400, /original_ref must be JSON/],
      [maskForm(mask, { subfolder: 'x' }, {}, 'r3.png'), 400, /needs a "filename"/],
      [maskForm(mask, { filename: '../input/photo.png' }, {}, 'r4.png'), 400, /not a plain file name/],
      [maskForm(mask, { filename: '/etc/passwd' }, {}, 'r5.png'), 400, /not a plain file name/],
      [maskForm(mask, { filename: 'secret.png', subfolder: '../..' }, {}, 'r6.png'), 403, /must not contain '\.\.'/],
      [maskForm(mask, { filename: 'secret.png', subfolder: 'escape' }, {}, 'r7.png'), 403, /symbolic link/],
      [maskForm(mask, { filename: 'nowhere.png' }, {}, 'r8.png'), 404, /original image "nowhere.png" not found in output/],
      [maskForm(mask, { filename: 'photo.png', type: 'models' }, {}, 'r9.png'), 400, /type must be one of/],
      [maskForm(big, { filename: 'photo.png', type: 'input' }, {}, 'r10.png'), 400, /the mask is 8x8 but the original image is 4x3/],
      [maskForm(Buffer.from('not an image'), { filename: 'photo.png', type: 'input' }, {}, 'r11.png'), 400, /the uploaded mask is not a readable image/],
      [maskForm(mask, { filename: 'photo.png', type: 'input' }, {}, 'r12.jpg'), 400, /PNG or WebP/],
      [maskForm(mask, { filename: 'photo.png', type: 'input' }, { type: 'models' }, 'r13.png'), 400, /type must be one of/],
      [maskForm(mask, { filename: 'photo.png', type: 'input' }, { subfolder: '../../x' }, 'r14.png'), 400, /leaves its folder|'\.\.'/],
    ];
    for (const [form, status, message] of cases) {
      const res = await post(form);
      const text = await res.text();
      expect(res.status, text).toBe(status);
      expect((JSON.parse(text) as { error: string }).error).toMatch(message);
    }
    const stored = (name: string) => ['input', 'output', 'temp'].some((folder) => {
      try {
        readFileSync(join(server.base, folder, name));
        return true;
      } catch {
        return false;
      }
    });
    expect(Array.from({ length: 14 }, (_, i) => `r${i + 1}.png`).filter(stored)).toEqual([]);
  });
});
