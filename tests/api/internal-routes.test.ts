// The logs panel, folder paths and translations over real HTTP and WebSocket, against ComfyUI's
// api_server/routes/internal/internal_routes.py, api_server/services/terminal_service.py,
// app/logger.py and app/custom_node_manager.py (Comfy-Org/ComfyUI a125cd84).
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogRing } from '../../server/api/log-ring.ts';
import { tempDir } from '../helpers/engine.ts';
import { startTestServer, type TestServer, WsClient } from './helpers.ts';

describe('logs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('GET /internal/logs is the log as one string of "<time> - <text>" (internal_routes.py:22-24)', async () => {
    server.logs.write('first line\n');
    // Something the server itself logs: a damaged settings file.
    mkdirSync(join(server.base, 'user', 'default'), { recursive: true });
    writeFileSync(join(server.base, 'user', 'default', 'comfy.settings.json'), '{');
    await server.get('/api/settings');
    const res = await server.get('/internal/logs');
    expect(res.status).toBe(200);
    const text = (await res.json()) as string;
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6} - first line\n/);
    expect(text).toContain('settings file is damaged');
  });

  it('GET /internal/logs/raw has the entries and the terminal size (internal_routes.py:26-32)', async () => {
    const body = (await (await server.get('/internal/logs/raw')).json()) as { entries: { t: string; m: string }[]; size: { cols: number; rows: number } };
    expect(body.entries[0]).toEqual({ t: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), m: 'first line\n' });
    expect(body.size).toEqual({ cols: expect.any(Number), rows: expect.any(Number) });
  });

  it('is not mirrored under /api: ComfyUI mounts /internal as a sub-app (server.py:800)', async () => {
    for (const path of ['/api/internal/logs', '/api/internal/logs/raw', '/api/internal/folder_paths']) {
      const res = await server.get(path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ error: expect.any(String) });
    }
  });

  it('PATCH /internal/logs/subscribe sends new entries as `logs` messages to that client only (terminal_service.py:42-60)', async () => {
    const subscribed = await WsClient.open(server.url, { path: '/ws?clientId=watcher' });
    const other = await WsClient.open(server.url, { path: '/ws?clientId=other' });
    try {
      const patch = (body: unknown) => fetch(`${server.url}/internal/logs/subscribe`, { method: 'PATCH', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
      expect((await patch({ clientId: 'watcher', enabled: true })).status).toBe(200);
      server.logs.write('hello panel\n');
      const message = await subscribed.waitFor((m) => m.type === 'logs');
      expect(message.data.entries).toEqual([{ t: expect.any(String), m: 'hello panel\n' }]);
      expect(message.data).toHaveProperty('size');

      expect((await patch({ clientId: 'watcher', enabled: false })).status).toBe(200);
      server.logs.write('not sent\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(subscribed.messages.filter((m) => m.type === 'logs')).toHaveLength(1);
      expect(other.messages.some((m) => m.type === 'logs')).toBe(false);

      expect((await patch({ enabled: true })).status).toBe(400);
      expect((await patch({ clientId: 'x' })).status).toBe(400);
    } finally {
      await subscribed.close();
      await other.close();
    }
  });

  it('keeps the last 300 writes, and a write starting with \\r replaces an unfinished one (logger.py:22-31)', () => {
    const ring = new LogRing();
    ring.write('progress 1%');
    ring.write('\rprogress 50%');
    ring.write('\rprogress 100%\n');
    ring.write('\rnext line');
    expect(ring.entries.map((e) => e.m)).toEqual(['\rprogress 100%\n', '\rnext line']);
    for (let i = 0; i < 400; i++) ring.write(`${i}\n`);
    expect(ring.entries).toHaveLength(300);
    expect(ring.entries[0]!.m).toBe('100\n');
  });
});

describe('GET /internal/folder_paths and GET /i18n', () => {
  let server: TestServer;
  beforeAll(async () => {
    const base = tempDir('flashgraph-internal-');
    mkdirSync(join(base, 'models', 'FlashPortrait'), { recursive: true });
    mkdirSync(join(base, 'models', 'checkpoints'), { recursive: true });
    const pack = (name: string, locales: Record<string, unknown>) => {
      const dir = join(base, 'custom_nodes', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, type: 'module', main: 'index.js' }));
      writeFileSync(join(dir, 'index.js'), 'export const nodes = [];');
      for (const [file, data] of Object.entries(locales)) {
        mkdirSync(join(dir, 'locales', file, '..'), { recursive: true });
        writeFileSync(join(dir, 'locales', file), typeof data === 'string' ? data : JSON.stringify(data));
      }
      return dir;
    };
    pack('a-pack', {
      'en/main.json': { title: 'A', list: [1] },
      'en/nodeDefs.json': { ANode: { display_name: 'A node' } },
      'fr/main.json': { title: 'A (fr)' },
    });
    pack('b-pack', { 'en/main.json': { title: 'B', list: [2], other: 1 }, 'en/settings.json': { 'B.Setting': { name: 'B' } }, 'en/commands.json': '{ not json' });
    const outside = tempDir('flashgraph-outside-');
    writeFileSync(join(outside, 'main.json'), JSON.stringify({ leaked: true }));
    const linked = pack('c-pack', {});
    mkdirSync(join(linked, 'locales'), { recursive: true });
    symlinkSync(outside, join(linked, 'locales', 'de'));
    server = await startTestServer({}, base);
  });
  afterAll(() => server.close());

  it("lists ComfyUI's folder names with their paths plus the other model folders (internal_routes.py:47-52)", async () => {
    const res = await server.get('/internal/folder_paths');
    expect(res.status).toBe(200);
    const folders = (await res.json()) as Record<string, string[]>;
    const models = join(server.base, 'models');
    expect(folders.checkpoints).toEqual([join(models, 'checkpoints')]);
    // folder_paths.py:29-30: two folders for these names, the legacy one included.
    expect(folders.diffusion_models).toEqual([join(models, 'unet'), join(models, 'diffusion_models')]);
    expect(folders.text_encoders).toEqual([join(models, 'text_encoders'), join(models, 'clip')]);
    expect(folders.custom_nodes).toEqual([join(server.base, 'custom_nodes')]);
    expect(folders.FlashPortrait).toEqual([join(models, 'FlashPortrait')]);
    expect(Object.keys(folders).slice(0, 3)).toEqual(['checkpoints', 'configs', 'loras']);
  });

  it('GET /i18n merges the packs\' locales: main.json plus nodeDefs/commands/settings under their keys (custom_node_manager.py:36-92, 142-145)', async () => {
    for (const prefix of ['', '/api']) {
      const res = await server.get(`${prefix}/i18n`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        en: { title: 'B', list: [1, 2], other: 1, nodeDefs: { ANode: { display_name: 'A node' } }, settings: { 'B.Setting': { name: 'B' } } },
        fr: { title: 'A (fr)' },
      });
    }
  });
});
