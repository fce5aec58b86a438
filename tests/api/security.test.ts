import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startTestServer, stepsPrompt, WsClient, type TestServer } from './helpers.ts';

const raw = (server: TestServer, method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
  rawRequest(server.url, method, path, headers, body);

describe('same-origin rule (default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('refuses a loopback Host with a foreign Origin, allows a matching one', async () => {
    const host = `127.0.0.1:${server.port}`;
    const body = JSON.stringify({ prompt: stepsPrompt(1) });
    expect((await raw(server, 'POST', '/prompt', { Host: host, Origin: 'http://evil.example' }, body)).status).toBe(403);
    expect((await raw(server, 'POST', '/prompt', { Host: host, Origin: `http://127.0.0.1:${server.port + 1}` }, body)).status).toBe(403);
    expect((await raw(server, 'POST', '/prompt', { Host: `localhost:${server.port}`, Origin: 'null' }, body)).status).toBe(403);
    expect((await raw(server, 'POST', '/prompt', { Host: host, Origin: `http://127.0.0.1:${server.port}` }, body)).status).toBe(200);
    expect((await raw(server, 'GET', '/queue', { Host: host })).status).toBe(200);
    // A non-loopback Host is refused outright on a loopback server (DNS rebinding; host-check.test.ts).
    expect((await raw(server, 'GET', '/queue', { Host: 'studio.example:80', Origin: 'http://other.example' })).status).toBe(403);
  });

  it('refuses Sec-Fetch-Site: cross-site except a top-level navigation to /', async () => {
    expect((await raw(server, 'GET', '/queue', { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await raw(server, 'POST', '/interrupt', { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' }, '{}')).status).toBe(403);
    const navigation = await raw(server, 'GET', '/', { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' });
    expect(navigation.status).not.toBe(403);
    for (const site of ['same-origin', 'same-site', 'none']) expect((await raw(server, 'GET', '/queue', { 'Sec-Fetch-Site': site })).status).toBe(200);
  });

  it('applies the rule to WebSocket and socket.io handshakes', async () => {
    await expect(WsClient.open(server.url, { headers: { Origin: 'http://evil.example' } })).rejects.toThrow(/403/);
    await expect(WsClient.open(server.url, { headers: { 'Sec-Fetch-Site': 'cross-site' } })).rejects.toThrow(/403/);
    const ok = await WsClient.open(server.url, { headers: { Origin: `http://127.0.0.1:${server.port}` } });
    await ok.close();
    const socket = io(server.url, { reconnection: false, transports: ['polling'], extraHeaders: { Origin: 'http://evil.example' } });
    await expect(new Promise((resolve, reject) => (socket.once('connect', () => resolve(true)), socket.once('connect_error', reject)))).rejects.toThrow();
    socket.close();
  });
});

describe('--token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ api: { token: 's3cret' } });
  });
  afterAll(() => server.close());

  it('is required on every HTTP request, as a Bearer header or ?token=', async () => {
    expect((await server.get('/queue')).status).toBe(401);
    expect((await server.get('/queue', { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await server.get('/view?filename=x.png&token=s3cre')).status).toBe(401);
    expect((await server.get('/queue', { headers: { Authorization: 'Bearer s3cret' } })).status).toBe(200);
    expect((await server.get('/view?filename=x.png&token=s3cret')).status).toBe(404);
    const res = await server.post('/prompt', { prompt: stepsPrompt(1) });
    expect(res.status).toBe(401);
    expect(server.runner.remaining()).toBe(0);
  });

  it('is required on /ws and socket.io connections', async () => {
    await expect(WsClient.open(server.url)).rejects.toThrow(/401/);
    const client = await WsClient.open(server.url, { path: '/ws?clientId=t&token=s3cret' });
    await client.close();
    const viaHeader = await WsClient.open(server.url, { headers: { Authorization: 'Bearer s3cret' } });
    await viaHeader.close();

    const refused = io(server.url, { reconnection: false, auth: { token: 'nope' } });
    await expect(new Promise((resolve, reject) => (refused.once('connect', () => resolve(true)), refused.once('connect_error', reject)))).rejects.toThrow(/token/);
    refused.close();
    const accepted = io(server.url, { reconnection: false, auth: { token: 's3cret', clientId: 'sio-token' } });
    const status = await new Promise<any>((resolve, reject) => (accepted.once('status', resolve), accepted.once('connect_error', reject)));
    expect(status.sid).toBe('sio-token');
    accepted.close();
  });
});

describe('--enable-cors-header', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ api: { corsOrigin: 'https://editor.example' } });
  });
  afterAll(() => server.close());

  it('sends CORS headers, answers preflights, and replaces the origin check', async () => {
    const preflight = await raw(server, 'OPTIONS', '/prompt', { Origin: 'https://editor.example', 'Access-Control-Request-Method': 'POST' });
    expect(preflight.status).toBe(200);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://editor.example');
    expect(preflight.headers['access-control-allow-methods']).toBe('POST, GET, DELETE, PUT, OPTIONS');
    expect(preflight.headers['access-control-allow-headers']).toBe('Content-Type, Authorization');
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    const post = await raw(server, 'POST', '/prompt', { Host: `127.0.0.1:${server.port}`, Origin: 'https://editor.example' }, JSON.stringify({ prompt: stepsPrompt(1) }));
    expect(post.status).toBe(200);
    expect(post.headers['access-control-allow-origin']).toBe('https://editor.example');
  });
});
