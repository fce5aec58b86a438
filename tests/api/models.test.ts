// The model library over real HTTP, against ComfyUI's app/model_manager.py and server.py's
// /view_metadata (Comfy-Org/ComfyUI a125cd84).
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.ts';
import { startTestServer, type TestServer } from './helpers.ts';

/** A one-tensor safetensors file with the given `__metadata__` (none when undefined). */
function safetensors(metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = { weight: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } };
  if (metadata) header.__metadata__ = metadata;
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, Buffer.alloc(4)]);
}

let server: TestServer;
let redPng: Buffer;
let bluePng: Buffer;
beforeAll(async () => {
  const base = tempDir('flashgraph-models-');
  const models = join(base, 'models');
  redPng = await sharp({ create: { width: 4, height: 3, channels: 3, background: '#f00' } }).png().toBuffer();
  bluePng = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#00f' } }).png().toBuffer();
  const put = (path: string, bytes: Buffer | string) => {
    mkdirSync(join(models, path, '..'), { recursive: true });
    writeFileSync(join(models, path), bytes);
  };
  put('checkpoints/a.safetensors', safetensors({ 'modelspec.title': 'Model A', ssmd_cover_images: JSON.stringify([bluePng.toString('base64')]) }));
  put('checkpoints/a.png', redPng);
  put('checkpoints/sub/b.ckpt', 'ckpt');
  put('checkpoints/covered.safetensors', safetensors({ ssmd_cover_images: JSON.stringify([bluePng.toString('base64')]) }));
  put('checkpoints/plain.safetensors', safetensors());
  put('checkpoints/.hidden.safetensors', safetensors());
  put('checkpoints/notes.txt', 'not a model');
  put('unet/u.safetensors', safetensors({ kind: 'unet' }));
  put('diffusion_models/d.safetensors', safetensors({ kind: 'diffusion' }));
  put('FlashPortrait/transformer.onnx', 'onnx');
  const outside = tempDir('flashgraph-outside-');
  writeFileSync(join(outside, 'stolen.safetensors'), safetensors({ secret: 'yes' }));
  symlinkSync(join(outside, 'stolen.safetensors'), join(models, 'checkpoints', 'link-out.safetensors'));
  symlinkSync(join(models, 'checkpoints', 'sub', 'b.ckpt'), join(models, 'checkpoints', 'link-in.ckpt'));
  server = await startTestServer({}, base);
});
afterAll(() => server.close());

describe('GET /experiment/models', () => {
  it('lists the model folders with their paths, without configs and custom_nodes (model_manager.py:32-41)', async () => {
    for (const prefix of ['', '/api']) {
      const res = await server.get(`${prefix}/experiment/models`);
      expect(res.status).toBe(200);
      const folders = (await res.json()) as { name: string; folders: string[] }[];
      const names = folders.map((f) => f.name);
      expect(names).toContain('checkpoints');
      expect(names).toContain('FlashPortrait');
      expect(names).not.toContain('configs');
      expect(names).not.toContain('custom_nodes');
      expect(folders.find((f) => f.name === 'diffusion_models')!.folders).toEqual([join(server.base, 'models', 'unet'), join(server.base, 'models', 'diffusion_models')]);
    }
  });

  it('lists model files recursively with pathIndex, times and size; hidden files, other types and links leaving models/ are skipped (model_manager.py:112-158)', async () => {
    const files = (await (await server.get('/api/experiment/models/checkpoints')).json()) as { name: string; pathIndex: number; size: number; modified: number; created: number }[];
    expect(files.map((f) => f.name).sort()).toEqual(['a.safetensors', 'covered.safetensors', 'link-in.ckpt', 'plain.safetensors', 'sub/b.ckpt']);
    expect(files.find((f) => f.name === 'sub/b.ckpt')).toEqual({ name: 'sub/b.ckpt', pathIndex: 0, size: 4, modified: expect.any(Number), created: expect.any(Number) });
    const diffusion = (await (await server.get('/api/experiment/models/diffusion_models')).json()) as { name: string; pathIndex: number }[];
    expect(diffusion.map((f) => [f.name, f.pathIndex])).toEqual([
      ['u.safetensors', 0],
      ['d.safetensors', 1],
    ]);
    expect(((await (await server.get('/api/experiment/models/FlashPortrait')).json()) as { name: string }[]).map((f) => f.name)).toEqual(['transformer.onnx']);
    expect(await (await server.get('/api/experiment/models/loras')).json()).toEqual([]);
    // model_manager.py:47-48: the legacy name is not a folder of its own here.
    const unknown = await server.get('/api/experiment/models/unet');
    expect(unknown.status).toBe(404);
    expect((await server.get('/api/experiment/models/nothing')).status).toBe(404);
  });
});

describe('GET /experiment/models/preview/{folder}/{path_index}/{filename}', () => {
  const preview = (path: string) => server.get(`/api/experiment/models/preview/${path}`);

  it('re-encodes the picture beside the model as WebP, then the safetensors cover image (model_manager.py:52-77, 160-192)', async () => {
    // The frontend asks for the model name with .webp in place of its extension.
    const res = await preview('checkpoints/0/a.webp');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    const image = await sharp(Buffer.from(await res.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    expect([image.info.format, image.info.width, image.info.height]).toEqual(['raw', 4, 3]);
    // Lossy WebP: red within a few levels.
    const [r, g, b] = image.data;
    expect(r! > 240 && g! < 16 && b! < 16).toBe(true);

    const cover = await preview('checkpoints/0/covered.webp');
    expect(cover.status).toBe(200);
    expect((await sharp(Buffer.from(await cover.arrayBuffer())).metadata()).width).toBe(2);
  });

  it('answers 404 without a picture, for unknown folders and indexes; a name leaving the folder is refused', async () => {
    expect((await preview('checkpoints/0/plain.webp')).status).toBe(404);
    expect((await preview('nothing/0/a.webp')).status).toBe(404);
    expect((await preview('checkpoints/5/a.webp')).status).toBe(404);
    expect((await preview('checkpoints/x/a.webp')).status).toBe(400);
    expect((await preview('checkpoints/0/..%2F..%2F..%2Fetc%2Fpasswd')).status).toBe(400);
  });
});

describe('GET /view_metadata/{folder}?filename=', () => {
  const metadata = (folder: string, filename: string) => server.get(`/api/view_metadata/${folder}?filename=${encodeURIComponent(filename)}`);

  it("answers the safetensors __metadata__ (server.py:520-541)", async () => {
    const res = await metadata('checkpoints', 'a.safetensors');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ 'modelspec.title': 'Model A' });
    // get_full_path searches every path of the folder; folder_paths.py map_legacy maps old names.
    expect(await (await metadata('diffusion_models', 'd.safetensors')).json()).toEqual({ kind: 'diffusion' });
    expect(await (await metadata('unet', 'u.safetensors')).json()).toEqual({ kind: 'unet' });
  });

  it('answers 404 with an empty body when there is none (the frontend reads an empty body as no metadata)', async () => {
    for (const [folder, file] of [
      ['checkpoints', 'plain.safetensors'],
      ['checkpoints', 'missing.safetensors'],
      ['checkpoints', 'sub/b.ckpt'],
      ['nothing', 'a.safetensors'],
    ] as const) {
      const res = await metadata(folder, file);
      expect(res.status, file).toBe(404);
      expect(await res.text()).toBe('');
    }
    expect((await server.get('/api/view_metadata/checkpoints')).status).toBe(404);
  });

  it('never reads outside the folder', async () => {
    expect((await metadata('checkpoints', '../../../etc/x.safetensors')).status).toBe(400);
    expect((await metadata('checkpoints', 'link-out.safetensors')).status).toBe(403);
  });
});
