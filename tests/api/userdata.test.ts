// Users, user data and settings over real HTTP, against ComfyUI's app/user_manager.py and
// app/app_settings.py (Comfy-Org/ComfyUI a125cd84, line numbers cited per case).
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.ts';
import { startTestServer, type TestServer } from './helpers.ts';

const PREFIXES = ['', '/api'];

function send(server: TestServer, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  return fetch(server.url + path, { method, body, headers });
}

describe('users, single-user mode (the default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('GET /users says storage "server" and whether the default user folder exists (user_manager.py:117-126)', async () => {
    for (const prefix of PREFIXES) {
      const res = await server.get(`${prefix}/users`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ storage: 'server', migrated: false });
    }
    expect((await server.post('/userdata/a.json', '{}')).status).toBe(200);
    expect(await (await server.get('/api/users')).json()).toEqual({ storage: 'server', migrated: true });
  });

  it('ignores the Comfy-User header: every request is the "default" user (user_manager.py:58-66)', async () => {
    const res = await server.post('/api/userdata/who.txt', 'me', { headers: { 'Comfy-User': 'someone' } });
    expect(res.status).toBe(200);
    expect(readFileSync(join(server.base, 'user', 'default', 'who.txt'), 'utf8')).toBe('me');
  });

  it('POST /users answers the new id; a taken name is a 400 (user_manager.py:128-136)', async () => {
    const res = await server.post('/api/users', { username: 'Ada Lovelace' });
    expect(res.status).toBe(200);
    const id = (await res.json()) as string;
    expect(id).toMatch(/^Ada-Lovelace_[0-9a-f-]{36}$/);
    const again = await server.post('/api/users', { username: 'Ada Lovelace' });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: 'Duplicate username.' });
    expect((await server.post('/api/users', {})).status).toBe(400);
    expect((await server.post('/api/users', { username: '   ' })).status).toBe(400);
  });
});

describe('users, --multi-user', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ api: { multiUser: true } });
  });
  afterAll(() => server.close());

  it('lists users, adds one, and the Comfy-User header picks its folder (user_manager.py:46-66, 117-120)', async () => {
    expect(await (await server.get('/api/users')).json()).toEqual({ storage: 'server', users: {} });
    const alice = (await (await server.post('/api/users', { username: 'alice' })).json()) as string;
    const bob = (await (await server.post('/api/users', { username: 'bob' })).json()) as string;
    expect(await (await server.get('/users')).json()).toEqual({ storage: 'server', users: { [alice]: 'alice', [bob]: 'bob' } });
    expect(JSON.parse(readFileSync(join(server.base, 'user', 'users.json'), 'utf8'))).toEqual({ [alice]: 'alice', [bob]: 'bob' });

    await server.post('/api/userdata/workflows%2Fmine.json', '{"who":"alice"}', { headers: { 'Comfy-User': alice } });
    await server.post('/api/userdata/workflows%2Fmine.json', '{"who":"bob"}', { headers: { 'comfy-user': bob } });
    expect(await (await server.get('/api/userdata/workflows%2Fmine.json', { headers: { 'Comfy-User': alice } })).json()).toEqual({ who: 'alice' });
    expect(await (await server.get('/api/userdata/workflows%2Fmine.json', { headers: { 'Comfy-User': bob } })).json()).toEqual({ who: 'bob' });
    await server.post('/api/settings/Comfy.Theme', '"dark"', { headers: { 'Comfy-User': alice } });
    expect(await (await server.get('/api/settings', { headers: { 'Comfy-User': alice } })).json()).toEqual({ 'Comfy.Theme': 'dark' });
    expect(await (await server.get('/api/settings', { headers: { 'Comfy-User': bob } })).json()).toEqual({});
  });

  it('refuses unknown users: 403 on user data, 401 on settings (app_settings.py:17-19), and nothing is written', async () => {
    for (const headers of [{}, { 'Comfy-User': 'mallory' }, { 'Comfy-User': '..' }] as Record<string, string>[]) {
      expect((await server.post('/api/userdata/x.json', '{}', { headers })).status).toBe(403);
      expect((await server.get('/api/userdata?dir=workflows', { headers })).status).toBe(403);
      expect((await server.get('/api/v2/userdata', { headers })).status).toBe(403);
      expect((await server.get('/api/settings', { headers })).status).toBe(401);
      expect((await server.post('/api/settings/a', '1', { headers })).status).toBe(401);
    }
    expect(readdirSync(join(server.base, 'user')).filter((name) => !name.includes('_') && name !== 'users.json')).toEqual([]);
  });

  it('reloads users.json at the next start', async () => {
    const again = await startTestServer({ api: { multiUser: true } }, server.base);
    try {
      const { users } = (await (await again.get('/api/users')).json()) as { users: Record<string, string> };
      expect(Object.values(users).sort()).toEqual(['alice', 'bob']);
    } finally {
      await again.close();
    }
  });
});

describe('/userdata files', () => {
  let server: TestServer;
  let outside: string;
  const userDir = () => join(server.base, 'user', 'default');
  beforeAll(async () => {
    server = await startTestServer({ api: { maxUploadMb: 1 } });
    outside = tempDir('flashgraph-outside-');
    writeFileSync(join(outside, 'secret.txt'), 'secret');
  });
  afterAll(() => server.close());

  it('saves a percent-encoded name as the frontend sends it and reads it back (user_manager.py:322-384)', async () => {
    for (const prefix of PREFIXES) {
      const res = await server.post(`${prefix}/userdata/workflows%2Fmy%20flow.json`, '{"nodes":[]}');
      expect(res.status).toBe(200);
      expect(await res.json()).toBe('workflows/my flow.json');
    }
    expect(readFileSync(join(userDir(), 'workflows', 'my flow.json'), 'utf8')).toBe('{"nodes":[]}');
    const back = await server.get('/api/userdata/workflows%2Fmy%20flow.json');
    expect(back.status).toBe(200);
    expect(back.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await back.text()).toBe('{"nodes":[]}');
    // user_manager.py:85-86: a name that still holds escapes is decoded once more.
    expect(await (await server.get('/api/userdata/workflows%252Fmy%2520flow.json')).text()).toBe('{"nodes":[]}');
    expect((await server.get('/api/userdata/workflows%2Fnone.json')).status).toBe(404);
    expect((await server.get('/api/userdata/workflows')).status).toBe(400);
  });

  it('keeps bytes exactly, answers FileInfo with full_info=true, and 409 with overwrite=false (user_manager.py:360-364, 379-384)', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10]);
    const res = await send(server, 'POST', '/api/userdata/bin%2Fdata.bin?overwrite=true&full_info=true', bytes);
    expect(res.status).toBe(200);
    const info = (await res.json()) as { path: string; size: number; modified: number; created: number };
    expect(info).toEqual({ path: 'bin/data.bin', size: 6, modified: expect.any(Number), created: expect.any(Number) });
    expect(Math.abs(info.modified - Date.now() / 1000)).toBeLessThan(60);
    expect(Buffer.from(await (await server.get('/api/userdata/bin%2Fdata.bin')).arrayBuffer())).toEqual(bytes);

    const clash = await send(server, 'POST', '/api/userdata/bin%2Fdata.bin?overwrite=false', 'other');
    expect(clash.status).toBe(409);
    expect(readFileSync(join(userDir(), 'bin', 'data.bin'))).toEqual(bytes);
    // Anything but the exact word "false" overwrites.
    expect((await send(server, 'POST', '/api/userdata/bin%2Fdata.bin?overwrite=False', 'new')).status).toBe(200);
    expect(readFileSync(join(userDir(), 'bin', 'data.bin'), 'utf8')).toBe('new');
    // No temporary files are left beside it.
    expect(readdirSync(join(userDir(), 'bin'))).toEqual(['data.bin']);
  });

  it('lists a folder with recurse, split and full_info (user_manager.py:138-200)', async () => {
    await server.post('/api/userdata/lst%2Fa.json', 'a');
    await server.post('/api/userdata/lst%2Fsub%2Fb.json', 'bb');
    await server.post('/api/userdata/lst%2F.hidden', 'h');
    const list = async (query: string) => {
      const res = await server.get(`/api/userdata?${query}`);
      return { status: res.status, body: res.status === 200 ? await res.json() : undefined };
    };
    expect(await list('dir=lst')).toEqual({ status: 200, body: ['a.json'] });
    expect(await list('dir=lst&recurse=true')).toEqual({ status: 200, body: ['a.json', 'sub/b.json'] });
    expect(await list('dir=lst&recurse=true&split=true')).toEqual({ status: 200, body: [['a.json', 'a.json'], ['sub/b.json', 'sub', 'b.json']] });
    const full = await list('dir=lst&recurse=true&split=true&full_info=true');
    expect(full.body).toEqual([
      { path: 'a.json', size: 1, modified: expect.any(Number), created: expect.any(Number) },
      { path: 'sub/b.json', size: 2, modified: expect.any(Number), created: expect.any(Number) },
    ]);
    expect((await list('')).status).toBe(400);
    expect((await list('dir=nothing-here')).status).toBe(404);
    expect((await list('dir=..')).status).toBe(403);
    expect((await list('dir=%2Fetc')).status).toBe(403);
    expect((await list('dir=lst%2F..%2F..%2F..')).status).toBe(403);
  });

  it('deletes (204, then 404) and moves with overwrite and full_info (user_manager.py:386-445)', async () => {
    await server.post('/api/userdata/mv%2Fone.json', '1');
    await server.post('/api/userdata/mv%2Ftwo.json', '2');
    const refused = await send(server, 'POST', '/api/userdata/mv%2Fone.json/move/mv%2Ftwo.json?overwrite=false');
    expect(refused.status).toBe(409);
    const moved = await send(server, 'POST', '/api/userdata/mv%2Fone.json/move/mv%2Fdeeper%2Fthree.json');
    expect(moved.status).toBe(200);
    expect(await moved.json()).toBe('mv/deeper/three.json');
    expect(existsSync(join(userDir(), 'mv', 'one.json'))).toBe(false);
    const over = await send(server, 'POST', '/api/userdata/mv%2Fdeeper%2Fthree.json/move/mv%2Ftwo.json?full_info=true');
    expect(await over.json()).toMatchObject({ path: 'mv/two.json', size: 1 });
    expect(readFileSync(join(userDir(), 'mv', 'two.json'), 'utf8')).toBe('1');
    expect((await send(server, 'POST', '/api/userdata/mv%2Fgone.json/move/mv%2Fx.json')).status).toBe(404);

    expect((await send(server, 'DELETE', '/api/userdata/mv%2Ftwo.json')).status).toBe(204);
    expect((await send(server, 'DELETE', '/api/userdata/mv%2Ftwo.json')).status).toBe(404);
    expect((await send(server, 'DELETE', '/api/userdata/mv')).status).toBe(400);
  });

  it('refuses traversal on every route and writes nothing outside the user folder', async () => {
    for (const name of ['..%2F..%2Fescape.json', '%2Ftmp%2Fescape.json', 'a%2F..%2F..%2Fescape.json', '..%2F', 'C%3A%2Fescape.json', '%252E%252E%252Fescape.json']) {
      expect((await server.post(`/api/userdata/${name}`, 'x')).status, name).toBe(403);
      expect((await server.get(`/api/userdata/${name}`)).status, name).toBe(403);
      expect((await send(server, 'DELETE', `/api/userdata/${name}`)).status, name).toBe(403);
      expect((await send(server, 'POST', `/api/userdata/a.json/move/${name}`)).status, name).toBe(403);
    }
    expect(existsSync(join(server.base, 'user', 'escape.json'))).toBe(false);
    expect(existsSync(join(server.base, 'escape.json'))).toBe(false);
  });

  it('never follows a symbolic link out of the folder, and never writes through any link', async () => {
    mkdirSync(userDir(), { recursive: true });
    symlinkSync(outside, join(userDir(), 'out-dir'));
    symlinkSync(join(outside, 'secret.txt'), join(userDir(), 'out-file.txt'));
    mkdirSync(join(userDir(), 'inside'), { recursive: true });
    writeFileSync(join(userDir(), 'inside', 'real.json'), 'real');
    symlinkSync(join(userDir(), 'inside', 'real.json'), join(userDir(), 'in-link.json'));

    expect((await server.get('/api/userdata/out-file.txt')).status).toBe(403);
    expect((await server.get('/api/userdata/out-dir%2Fsecret.txt')).status).toBe(403);
    expect((await server.post('/api/userdata/out-dir%2Fnew.txt', 'x')).status).toBe(403);
    expect((await server.post('/api/userdata/out-file.txt', 'overwritten')).status).toBe(403);
    expect((await send(server, 'POST', '/api/userdata/inside%2Freal.json/move/out-dir%2Fstolen.json')).status).toBe(403);
    expect((await server.get('/api/userdata?dir=out-dir')).status).toBe(403);
    expect((await server.get('/api/v2/userdata?path=out-dir')).status).toBe(400);
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('secret');

    // A link that stays inside may be read, but a write never goes through it.
    expect(await (await server.get('/api/userdata/in-link.json')).text()).toBe('real');
    expect((await server.post('/api/userdata/in-link.json', 'changed')).status).toBe(403);
    expect(readFileSync(join(userDir(), 'inside', 'real.json'), 'utf8')).toBe('real');
    // Listings show no links.
    const root = (await (await server.get('/api/userdata?dir=.')).json()) as string[];
    expect(root.some((name) => name.includes('out-') || name === 'in-link.json')).toBe(false);
  });

  it('serves active content (HTML, SVG, JS) as plain bytes, CSS as CSS (the frontend links user.css)', async () => {
    await server.post('/api/userdata/page.html', '<script>alert(1)</script>');
    const html = await server.get('/api/userdata/page.html');
    expect(html.headers.get('content-type')).toBe('application/octet-stream');
    expect(html.headers.get('x-content-type-options')).toBe('nosniff');
    await server.post('/api/userdata/user.css', 'body{}');
    expect((await server.get('/api/userdata/user.css')).headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('caps the size of a file at --max-upload-size, declared or streamed', async () => {
    const big = Buffer.alloc(1024 * 1024 + 10, 65);
    expect((await send(server, 'POST', '/api/userdata/big.bin', big)).status).toBe(413);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(big);
        controller.close();
      },
    });
    const chunked = await fetch(`${server.url}/api/userdata/big2.bin`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(existsSync(join(userDir(), 'big.bin')) || existsSync(join(userDir(), 'big2.bin'))).toBe(false);
  });

  it('GET /v2/userdata lists folders first, then files, with size and modified (user_manager.py:202-306)', async () => {
    const fresh = await startTestServer();
    try {
      // user_manager.py:257-261: a user without a folder yet gets [].
      expect(await (await fresh.get('/api/v2/userdata')).json()).toEqual([]);
      await fresh.post('/api/userdata/workflows%2FB.json', 'bb');
      await fresh.post('/api/userdata/workflows%2Fa.json', 'a');
      await fresh.post('/api/userdata/workflows%2Fsub%2Fc.json', 'ccc');
      await fresh.post('/api/userdata/comfy.templates.json', '[]');
      const all = (await (await fresh.get('/api/v2/userdata')).json()) as { name: string; path: string; type: string; size?: number }[];
      // Sorted by (not a folder, lower-case name) over the whole tree, as user_manager.py:304.
      expect(all.map((e) => [e.type, e.path])).toEqual([
        ['directory', 'workflows/sub'],
        ['directory', 'workflows'],
        ['file', 'workflows/a.json'],
        ['file', 'workflows/B.json'],
        ['file', 'workflows/sub/c.json'],
        ['file', 'comfy.templates.json'],
      ]);
      const sub = (await (await fresh.get('/v2/userdata?path=workflows%2Fsub')).json()) as { name: string; path: string; size: number; modified: number }[];
      expect(sub).toEqual([{ name: 'c.json', path: 'workflows/sub/c.json', type: 'file', size: 3, modified: expect.any(Number) }]);
      expect((await fresh.get('/api/v2/userdata?path=nowhere')).status).toBe(404);
      expect((await fresh.get('/api/v2/userdata?path=workflows%2Fa.json')).status).toBe(400);
      expect((await fresh.get('/api/v2/userdata?path=..%2F..')).status).toBe(400);
    } finally {
      await fresh.close();
    }
  });

  it('unknown routes under /api keep a JSON 404 body', async () => {
    const res = await server.get('/api/userdata/a/b/c');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: expect.any(String) });
  });
});

describe('/settings', () => {
  let server: TestServer;
  const file = () => join(server.base, 'user', 'default', 'comfy.settings.json');
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('reads {} and null before anything is saved, then merges posts (app_settings.py:36-65)', async () => {
    for (const prefix of PREFIXES) {
      expect(await (await server.get(`${prefix}/settings`)).json()).toEqual({});
      const one = await server.get(`${prefix}/settings/Comfy.Missing`);
      expect(one.status).toBe(200);
      expect(await one.json()).toBeNull();
    }
    expect((await server.post('/api/settings', { 'Comfy.A': 1, 'Comfy.B': { x: [1, 2] } })).status).toBe(200);
    expect((await server.post('/api/settings', { 'Comfy.A': 2 })).status).toBe(200);
    // A single setting may be any JSON value.
    expect((await server.post('/api/settings/Comfy.ColorPalette', '"dark"')).status).toBe(200);
    expect((await server.post('/settings/Comfy.Flag', 'false')).status).toBe(200);
    expect((await server.post('/settings/Comfy.Nothing', 'null')).status).toBe(200);
    expect(await (await server.get('/api/settings')).json()).toEqual({ 'Comfy.A': 2, 'Comfy.B': { x: [1, 2] }, 'Comfy.ColorPalette': 'dark', 'Comfy.Flag': false, 'Comfy.Nothing': null });
    expect(await (await server.get('/api/settings/Comfy.ColorPalette')).json()).toBe('dark');
    // The file is ComfyUI's: 4-space indented JSON in user/default/comfy.settings.json.
    expect(readFileSync(file(), 'utf8')).toBe(JSON.stringify({ 'Comfy.A': 2, 'Comfy.B': { x: [1, 2] }, 'Comfy.ColorPalette': 'dark', 'Comfy.Flag': false, 'Comfy.Nothing': null }, null, 4));
    // The same file through /userdata.
    expect(await (await server.get('/api/userdata/comfy.settings.json')).json()).toMatchObject({ 'Comfy.A': 2 });
  });

  it('refuses bodies that are not settings with 400', async () => {
    expect((await server.post('/api/settings', '[1,2]')).status).toBe(400);
    expect((await server.post('/api/settings', 'not json')).status).toBe(400);
    expect((await server.post('/api/settings/Comfy.X', 'not json')).status).toBe(400);
    expect((await send(server, 'POST', '/api/settings/Comfy.X')).status).toBe(400);
  });

  it('loses nothing when many clients write one settings file at once', async () => {
    const writes = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0 ? server.post(`/api/settings/Concurrent.${i}`, JSON.stringify(i)) : server.post('/api/settings', { [`Concurrent.${i}`]: i }),
    );
    const statuses = (await Promise.all(writes)).map((r) => r.status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const settings = (await (await server.get('/api/settings')).json()) as Record<string, unknown>;
    for (let i = 0; i < 40; i++) expect(settings[`Concurrent.${i}`], `setting ${i}`).toBe(i);
    expect(settings['Comfy.A']).toBe(2);
    expect(readdirSync(join(server.base, 'user', 'default')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('reads a damaged file as {} and keeps it aside when the next change replaces it', async () => {
    writeFileSync(file(), '{"broken": ');
    expect(await (await server.get('/api/settings')).json()).toEqual({});
    expect((await server.post('/api/settings/Fresh', '1')).status).toBe(200);
    expect(await (await server.get('/api/settings')).json()).toEqual({ Fresh: 1 });
    const aside = readdirSync(join(server.base, 'user', 'default')).filter((name) => name.startsWith('comfy.settings.json.damaged-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(server.base, 'user', 'default', aside[0]!), 'utf8')).toBe('{"broken": ');
  });
});
