import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.ts';
import { startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
let png: Buffer;
let otherPng: Buffer;
const outside = tempDir('flashgraph-outside-');

beforeAll(async () => {
  server = await startTestServer({ api: { maxUploadMb: 1 } });
  png = await sharp({ create: { width: 4, height: 3, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } }).png().toBuffer();
  otherPng = await sharp({ create: { width: 4, height: 3, channels: 3, background: '#fff' } }).png().toBuffer();
  const output = join(server.base, 'output');
  mkdirSync(join(output, 'sub'), { recursive: true });
  writeFileSync(join(output, 'pic.png'), png);
  writeFileSync(join(output, 'sub', 'pic.png'), otherPng);
  writeFileSync(join(output, 'page.html'), '<script>alert(1)</script>');
  writeFileSync(join(output, 'my..file..name.png'), png);
  writeFileSync(join(output, 'café "1".png'), png);
  mkdirSync(join(server.base, 'input'), { recursive: true });
  writeFileSync(join(server.base, 'input', 'in.png'), otherPng);
  writeFileSync(join(outside, 'secret.png'), png);
  symlinkSync(outside, join(output, 'escape'));
  symlinkSync(join(outside, 'secret.png'), join(output, 'linked.png'));
});
afterAll(() => server.close());

const view = (query: Record<string, string>) => server.get(`/view?${new URLSearchParams(query)}`);

/** A multipart body built by hand, so file names reach the server exactly as written. */
function multipart(fields: Record<string, string>, file?: { name: string; bytes: Buffer; field?: string }): RequestInit {
  const boundary = `----flashgraph${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'image'}"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    parts.push(file.bytes, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { method: 'POST', body: Buffer.concat(parts), headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } };
}

const upload = (fields: Record<string, string>, file?: { name: string; bytes: Buffer; field?: string }) => fetch(`${server.url}/upload/image`, multipart(fields, file));

describe('GET /view', () => {
  it('serves a file with its type and a Content-Disposition, honouring subfolder and annotations', async () => {
    const res = await view({ filename: 'pic.png', type: 'output', rand: '0.123' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    // ComfyUI's server.py:509-515 (a125cd84) sends `filename="..."` with no disposition type, which
    // browsers show inline: media opens in the tab instead of downloading.
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="pic.png"; filename*=UTF-8''pic.png`);
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    expect(Buffer.from(await (await view({ filename: 'pic.png', subfolder: 'sub' })).arrayBuffer()).equals(otherPng)).toBe(true);
    expect(Buffer.from(await (await view({ filename: 'in.png [input]', type: 'output' })).arrayBuffer()).equals(otherPng)).toBe(true);
    expect((await view({ filename: 'my..file..name.png' })).status).toBe(200);
    const unicode = await view({ filename: 'café "1".png' });
    expect(unicode.headers.get('content-disposition')).toBe(`inline; filename="caf_ _1_.png"; filename*=UTF-8''caf%C3%A9%20%221%22.png`);
    const preview = await view({ filename: 'pic.png', preview: 'webp;50' });
    expect(preview.headers.get('content-disposition')).toMatch(/^inline; filename="pic.png"/);
  });

  it('answers 404 for missing files and names, 400 for empty names and unknown types', async () => {
    expect((await view({ filename: 'nope.png' })).status).toBe(404);
    expect((await server.get('/view')).status).toBe(404);
    expect((await view({ filename: '' })).status).toBe(400);
    expect((await view({ filename: 'pic.png', type: 'models' })).status).toBe(400);
    expect((await server.get('/view?filename=a&filename=b')).status).toBe(400);
  });

  it('serves active content as a download, never inline', async () => {
    const res = await view({ filename: 'page.html' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="page.html"/);
  });

  it('re-encodes previews: webp by default, jpeg on request, channels rgb and a', async () => {
    const webp = await view({ filename: 'pic.png', preview: 'webp;50' });
    expect(webp.headers.get('content-type')).toBe('image/webp');
    expect((await sharp(Buffer.from(await webp.arrayBuffer())).metadata()).format).toBe('webp');

    const jpeg = await view({ filename: 'pic.png', preview: 'jpeg;80' });
    expect(jpeg.headers.get('content-type')).toBe('image/jpeg');
    const jpegMeta = await sharp(Buffer.from(await jpeg.arrayBuffer())).metadata();
    expect([jpegMeta.format, jpegMeta.hasAlpha]).toEqual(['jpeg', false]);

    const forcedWebp = await view({ filename: 'pic.png', preview: 'gif', channel: 'rgba' });
    expect(forcedWebp.headers.get('content-type')).toBe('image/webp');

    const rgb = await sharp(Buffer.from(await (await view({ filename: 'pic.png', channel: 'rgb' })).arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    expect([rgb.info.channels, ...rgb.data.subarray(0, 3)]).toEqual([3, 10, 20, 30]);

    const alpha = await sharp(Buffer.from(await (await view({ filename: 'pic.png', channel: 'a' })).arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    expect([alpha.info.channels, ...alpha.data.subarray(0, 4)]).toEqual([4, 0, 0, 0, 128]);

    const opaque = await sharp(Buffer.from(await (await view({ filename: 'in.png', type: 'input', channel: 'a' })).arrayBuffer())).raw().toBuffer();
    expect([...opaque.subarray(0, 4)]).toEqual([0, 0, 0, 255]);

    expect((await view({ filename: 'page.html', preview: 'webp' })).status).toBe(415);
  });

  it.each([
    [{ filename: '../pic.png' }, 400],
    [{ filename: 'sub/../../x' }, 400],
    [{ filename: '/etc/passwd' }, 400],
    [{ filename: '..' }, 400],
    [{ filename: '..\\..\\x.png' }, 400],
    [{ filename: 'C:/Windows/win.ini' }, 400],
    [{ filename: 'C:x' }, 400],
    [{ filename: '\\\\server\\share\\x.png' }, 400],
    [{ filename: '%2e%2e/%2e%2e/etc/passwd' }, 404],
    [{ filename: 'pic.png\u0000.txt' }, 400],
    [{ filename: 'passwd', subfolder: '../../../../etc' }, 403],
    [{ filename: 'passwd', subfolder: '/etc' }, 403],
    [{ filename: 'passwd', subfolder: '..\\..\\etc' }, 403],
    [{ filename: 'secret.png', subfolder: 'escape' }, 403],
    [{ filename: 'linked.png' }, 403],
    [{ filename: 'hosts [input]', subfolder: '../../../etc' }, 403],
  ])('refuses %j with %i', async (query, status) => {
    const res = await view(query);
    expect(res.status).toBe(status);
    expect(Buffer.from(await res.arrayBuffer()).includes(png)).toBe(false);
  });

  it('refuses traversal encoded in the raw URL', async () => {
    for (const raw of ['filename=%2E%2E%2Fpic.png&type=output', 'filename=passwd&subfolder=%2e%2e%2f%2e%2e%2f%2e%2e%2fetc', 'filename=..%5c..%5cx']) {
      const res = await server.get(`/view?${raw}`);
      expect([400, 403]).toContain(res.status);
    }
  });
});

describe('POST /upload/image', () => {
  it('stores into input/, reuses identical bytes, numbers different ones, overwrites on request', async () => {
    const first = await upload({}, { name: 'photo.png', bytes: png });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ name: 'photo.png', subfolder: '', type: 'input' });
    expect(readFileSync(join(server.base, 'input', 'photo.png')).equals(png)).toBe(true);

    expect(await (await upload({}, { name: 'photo.png', bytes: png })).json()).toMatchObject({ name: 'photo.png' });
    expect(await (await upload({}, { name: 'photo.png', bytes: otherPng })).json()).toMatchObject({ name: 'photo (1).png' });
    expect(await (await upload({}, { name: 'photo.png', bytes: Buffer.concat([otherPng, Buffer.from([0])]) })).json()).toMatchObject({ name: 'photo (2).png' });
    expect(await (await upload({}, { name: 'photo.png', bytes: otherPng })).json()).toMatchObject({ name: 'photo (1).png' });

    expect(await (await upload({ overwrite: 'true' }, { name: 'photo.png', bytes: otherPng })).json()).toMatchObject({ name: 'photo.png' });
    expect(readFileSync(join(server.base, 'input', 'photo.png')).equals(otherPng)).toBe(true);
  });

  it('honours type and subfolder (pasted/, temp/) and the upload is viewable', async () => {
    const res = await upload({ type: 'temp', subfolder: 'pasted' }, { name: 'clip.png', bytes: png });
    expect(await res.json()).toEqual({ name: 'clip.png', subfolder: 'pasted', type: 'temp' });
    const back = await view({ filename: 'clip.png', subfolder: 'pasted', type: 'temp' });
    expect(Buffer.from(await back.arrayBuffer()).equals(png)).toBe(true);
    expect((await upload({ type: 'models' }, { name: 'x.png', bytes: png })).status).toBe(400);
  });

  it('accepts video and audio by their bytes, refuses anything else with 415', async () => {
    const wav = Buffer.alloc(44 + 8);
    wav.write('RIFF', 0);
    wav.writeUInt32LE(36 + 8, 4);
    wav.write('WAVEfmt ', 8);
    wav.writeUInt32LE(16, 16);
    wav.writeUInt16LE(1, 20);
    wav.writeUInt16LE(1, 22);
    wav.writeUInt32LE(8000, 24);
    wav.writeUInt32LE(16000, 28);
    wav.writeUInt16LE(2, 32);
    wav.writeUInt16LE(16, 34);
    wav.write('data', 36);
    wav.writeUInt32LE(8, 40);
    expect((await upload({}, { name: 'sound.wav', bytes: wav })).status).toBe(200);

    const refused: [string, Buffer][] = [
      ['page.png', Buffer.from('<html><script>alert(1)</script></html>')],
      ['x.svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')],
      ['archive.png', Buffer.from('504b0304140000000800', 'hex')],
      ['empty.png', Buffer.alloc(0)],
    ];
    for (const [name, bytes] of refused) {
      const res = await upload({}, { name, bytes });
      expect(res.status, name).toBe(415);
      expect(existsSync(join(server.base, 'input', name)), name).toBe(false);
    }
  });

  it.each([
    [{}, '../evil.png'],
    [{}, '..\\evil.png'],
    [{}, '/tmp/evil.png'],
    [{}, 'C:evil.png'],
    [{}, 'sub/evil.png'],
    [{}, ''],
    [{ subfolder: '../../..' }, 'evil.png'],
    [{ subfolder: '/tmp' }, 'evil.png'],
    [{ subfolder: '..\\..' }, 'evil.png'],
    [{ subfolder: 'C:/x' }, 'evil.png'],
    [{ subfolder: 'escape', type: 'output' }, 'evil.png'],
  ])('refuses fields %j with file name %j', async (fields, name) => {
    const res = await upload(fields, { name, bytes: png });
    expect(res.status).toBe(400);
    expect(typeof ((await res.json()) as { error: unknown }).error).toBe('string');
    expect(existsSync(join(outside, 'evil.png'))).toBe(false);
    expect(existsSync(join(tmpdir(), 'evil.png'))).toBe(false);
  });

  it('answers 400 without a file, 413 above --max-upload-size, and keeps serving', async () => {
    expect((await upload({ type: 'input' })).status).toBe(400);
    expect((await upload({}, { name: 'x.png', bytes: png, field: 'file' })).status).toBe(400);
    const big = Buffer.concat([png, Buffer.alloc(1024 * 1024 + 10)]);
    expect((await upload({}, { name: 'big.png', bytes: big })).status).toBe(413);
    const bigJson = await server.post('/prompt', JSON.stringify({ prompt: {}, pad: 'x'.repeat(1024 * 1024 + 10) }));
    expect(bigJson.status).toBe(413);
    // Chunked (no Content-Length) bodies are cut off at the limit too.
    const init = multipart({}, { name: 'big2.png', bytes: big });
    const chunked = await fetch(`${server.url}/upload/image`, { ...init, body: new Blob([init.body as Buffer]).stream(), duplex: 'half' } as RequestInit);
    expect(chunked.status, await chunked.clone().text()).toBe(413);
    expect(existsSync(join(server.base, 'input', 'big.png'))).toBe(false);
    expect((await view({ filename: 'pic.png' })).status).toBe(200);
  });
});
