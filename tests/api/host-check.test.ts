// DNS rebinding (issue 23, item 1): a page whose name was re-pointed at this machine reaches the
// server with its own name in Host (and a matching Origin). Such requests must be refused on HTTP,
// on /ws and /api/ws, and on socket.io (polling and WebSocket), unless the name is one the server
// answers to: loopback names, the address it listens on, or an --allowed-host name.
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hostnameOf } from '../../server/api/host-check.ts';
import { allowedHostName } from '../../server/cli/serve.ts';
import { tempDir } from '../helpers/engine.ts';
import { launchServe, rawRequest, startTestServer, stepsPrompt, WsClient, type TestServer } from './helpers.ts';

/** Opens a WebSocket to `path` with these headers; resolves with the HTTP status of a refusal or 101. */
function upgradeStatus(url: string, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws') + path, { headers });
    socket.once('open', () => {
      socket.terminate();
      resolve(101);
    });
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    socket.once('error', reject);
  });
}

const SOCKET_IO_POLL = '/socket.io/?EIO=4&transport=polling';
const SOCKET_IO_WS = '/socket.io/?EIO=4&transport=websocket';

describe('Host check on a loopback server (the default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('refuses a rebinding page: foreign Host with a matching Origin, on every HTTP route', async () => {
    const host = `evil.example:${server.port}`;
    const origin = `http://${host}`;
    const body = JSON.stringify({ prompt: stepsPrompt(1) });
    const post = await rawRequest(server.url, 'POST', '/prompt', { Host: host, Origin: origin }, body);
    expect(post.status).toBe(403);
    expect(JSON.parse(post.body).error).toMatch(/Host "evil\.example:\d+" is not a name of this server.*--allowed-host evil\.example/);
    for (const path of ['/history', '/api/history', '/queue', '/object_info', '/view?filename=x.png', '/']) {
      expect((await rawRequest(server.url, 'GET', path, { Host: host, Origin: origin })).status, path).toBe(403);
      expect((await rawRequest(server.url, 'GET', path, { Host: host })).status, `${path} without Origin`).toBe(403);
    }
    expect(server.runner.remaining()).toBe(0);
    expect(server.runner.history.size).toBe(0);
  });

  it('refuses non-loopback addresses and malformed Hosts, accepts loopback names and addresses', async () => {
    for (const host of ['192.168.1.5:8188', '10.0.0.1', '[fe80::1]:8188', 'localhost@evil.example', 'evil.example/x', 'a b']) {
      expect((await rawRequest(server.url, 'GET', '/queue', { Host: host })).status, host).toBe(403);
    }
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, 'LOCALHOST', 'app.localhost', '127.0.0.2', '[::1]:8188']) {
      expect((await rawRequest(server.url, 'GET', '/queue', { Host: host })).status, host).toBe(200);
    }
  });

  it('refuses the foreign Host on /ws, /api/ws and both socket.io transports', async () => {
    const evil = { Host: `evil.example:${server.port}`, Origin: `http://evil.example:${server.port}` };
    const good = { Host: `localhost:${server.port}`, Origin: `http://localhost:${server.port}` };
    for (const path of ['/ws?clientId=r', '/api/ws?clientId=r', SOCKET_IO_WS]) {
      expect(await upgradeStatus(server.url, path, evil), path).toBe(403);
      expect(await upgradeStatus(server.url, path, good), path).toBe(101);
    }
    const poll = await rawRequest(server.url, 'GET', SOCKET_IO_POLL, evil);
    expect(poll.status).toBe(403);
    expect(poll.body).not.toMatch(/"sid"/);
    expect((await rawRequest(server.url, 'GET', SOCKET_IO_POLL, good)).status).toBe(200);
  });
});

describe('Host check with --listen 0.0.0.0 and --allowed-host', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ host: '0.0.0.0', api: { allowedHosts: ['studio.example', '.lan.example'] } });
  });
  afterAll(() => server.close());

  it('accepts the interface addresses, the allowed names and their subdomains; refuses others', async () => {
    const addresses = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
    const v4 = addresses.filter((a) => a.family === 'IPv4').map((a) => a.address);
    expect(v4.length).toBeGreaterThan(0);
    for (const address of v4) expect((await rawRequest(server.url, 'GET', '/queue', { Host: `${address}:${server.port}` })).status, address).toBe(200);
    for (const host of ['studio.example', 'STUDIO.example:8188', 'lan.example', 'gpu.lan.example:443']) {
      expect((await rawRequest(server.url, 'GET', '/queue', { Host: host })).status, host).toBe(200);
    }
    for (const host of ['evil.example', 'studio.example.evil.example', 'xlan.example', '203.0.113.9']) {
      expect((await rawRequest(server.url, 'GET', '/queue', { Host: host })).status, host).toBe(403);
    }
    expect(await upgradeStatus(server.url, '/ws', { Host: 'evil.example' })).toBe(403);
    const client = await WsClient.open(server.url, { headers: { Host: 'studio.example' } });
    await client.close();
  });
});

describe('--allowed-host on the command line', () => {
  it('parses names, addresses and .domains; refuses ports and junk', () => {
    expect(allowedHostName('Studio.Example')).toBe('studio.example');
    expect(allowedHostName('.lan.example')).toBe('.lan.example');
    expect(allowedHostName('192.168.1.5')).toBe('192.168.1.5');
    expect(allowedHostName('fd00::5')).toBe('fd00::5');
    for (const bad of ['studio.example:8188', '', 'http://x', 'a b', '.']) expect(() => allowedHostName(bad), bad).toThrow(/--allowed-host/);
    expect(hostnameOf('[::1]:80')).toBe('::1');
    expect(hostnameOf('[evil]:80')).toBeUndefined();
  });

  it('graph serve --allowed-host accepts that name and still refuses others', async () => {
    const serve = await launchServe(['serve', '--port', '0', '--base-directory', tempDir(), '--allowed-host', 'studio.example', '--allowed-host', '.lan.example']);
    try {
      expect((await rawRequest(serve.url, 'GET', '/queue', { Host: 'studio.example:8188' })).status).toBe(200);
      expect((await rawRequest(serve.url, 'GET', '/queue', { Host: 'box.lan.example' })).status).toBe(200);
      expect((await rawRequest(serve.url, 'GET', '/queue', { Host: 'evil.example' })).status).toBe(403);
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  }, 60_000);
});
