// `--front-end-root DIR` (ComfyUI's server.py:175-179, 248-254, 833-835): another frontend build
// served in place of the built-in editor, over real HTTP.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../server/cli/main.ts';
import { tempDir } from '../helpers/engine.ts';
import { startTestServer, type TestServer } from './helpers.ts';

function fakeBuild(): string {
  const dir = tempDir('flashgraph-frontend-');
  const put = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  put('index.html', '<!doctype html><title>Other frontend</title>');
  put('assets/index-abc123.js', 'console.log("other frontend")');
  put('assets/images/logo.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>');
  put('fonts/inter.woff2', 'font');
  put('.env', 'SECRET=1');
  put('api/trap.json', '{"served": "from the build"}');
  put('extensions/core/groupNode.js', 'export const shim = 1;');
  const outside = tempDir('flashgraph-outside-');
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  symlinkSync(join(outside, 'secret.txt'), join(dir, 'leak.txt'));
  return dir;
}

describe('graph serve --front-end-root', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ api: { frontEndRoot: fakeBuild() } });
  });
  afterAll(() => server.close());

  it('serves the build at / (never cached) and its files at their paths', async () => {
    const page = await server.get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await page.text()).toContain('Other frontend');
    const script = await server.get('/assets/index-abc123.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.headers.get('cache-control')).toBe('no-cache');
    expect((await server.get('/assets/images/logo.svg')).status).toBe(200);
    expect((await server.get('/fonts/inter.woff2')).status).toBe(200);
  });

  it("lists and serves the build's own extensions/**/*.js, as ComfyUI's GET /extensions does (server.py:275-283)", async () => {
    const listed = (await (await server.get('/api/extensions')).json()) as string[];
    expect(listed[0]).toBe('/extensions/core/groupNode.js');
    const shim = await server.get('/extensions/core/groupNode.js');
    expect(shim.status).toBe(200);
    expect(await shim.text()).toBe('export const shim = 1;');
  });

  it('keeps the API in front: API routes answer, unknown /api routes are JSON 404s', async () => {
    expect((await server.get('/api/object_info/TestSteps')).status).toBe(200);
    expect((await server.get('/api/system_stats')).status).toBe(200);
    const trap = await server.get('/api/trap.json');
    expect(trap.status).toBe(404);
    expect(await trap.json()).toEqual({ error: expect.any(String) });
  });

  it('serves no dotfile, nothing missing, and nothing through a link that leaves the build', async () => {
    for (const path of ['/.env', '/missing.js', '/leak.txt', '/assets/..%2F..%2Fetc%2Fpasswd']) {
      const res = await server.get(path);
      expect(res.status, path).toBe(404);
    }
  });
});

describe('without --front-end-root', () => {
  it('the built-in editor stays the default', async () => {
    const server = await startTestServer();
    try {
      const page = await server.get('/');
      // The built-in editor's page, or its "not built" notice when client/dist is absent.
      expect([200, 404]).toContain(page.status);
      expect(await page.text()).toMatch(page.status === 200 ? /FlashGraph/ : /npm run build:client/);
      expect((await server.get('/fonts/inter.woff2')).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

it('graph serve refuses a --front-end-root that is not a frontend build (exit 2)', async () => {
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(await main(['node', 'graph', 'serve', '--port', '0', '--front-end-root', join(tempDir(), 'nothing')])).toBe(2);
    expect(await main(['node', 'graph', 'serve', '--port', '0', '--front-end-root', tempDir()])).toBe(2);
    expect(stderr.mock.calls.map((call) => String(call[0])).join('')).toContain('has no index.html');
  } finally {
    stderr.mockRestore();
  }
});
