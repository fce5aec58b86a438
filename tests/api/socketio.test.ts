import sharp from 'sharp';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngPrompt, startTestServer, stepsPrompt, waitUntil, type TestServer } from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

interface Received {
  type: string;
  data: any;
}

/** A socket.io client that records every event in order. */
async function connect(clientId: string, options: Parameters<typeof io>[1] = {}): Promise<{ socket: Socket; events: Received[] }> {
  const socket = io(server.url, { query: { clientId }, reconnection: false, ...options });
  const events: Received[] = [];
  socket.onAny((type: string, data: unknown) => events.push({ type, data }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  await waitUntil(() => events.some((e) => e.type === 'status'));
  return { socket, events };
}

const finished = (events: Received[], promptId: string) => () =>
  events.some((e) => e.type === 'executing' && e.data.node === null && e.data.prompt_id === promptId);

describe('socket.io transport', () => {
  it('runs the websocket example flow with events named after message types', async () => {
    const { socket, events } = await connect('editor-1');
    expect(events[0]).toEqual({ type: 'status', data: { status: { exec_info: { queue_remaining: 0 } }, sid: 'editor-1' } });
    const res = await server.post('/api/prompt', { prompt: pngPrompt('sio/out', 10), client_id: 'editor-1' });
    const { prompt_id: id } = (await res.json()) as { prompt_id: string };
    await waitUntil(finished(events, id));

    const types = events.filter((e) => e.data?.prompt_id === id).map((e) => e.type);
    expect(types).toEqual([
      'execution_start',
      'execution_cached',
      'progress_state',
      'executing',
      'executed',
      'progress_state',
      'execution_success',
      'executing',
    ]);
    const history = ((await (await server.get(`/api/history/${id}`)).json()) as any)[id];
    const [image] = history.outputs['1'].images;
    const view = await server.get(`/api/view?${new URLSearchParams(image)}`);
    expect(view.status).toBe(200);
    const { data } = await sharp(Buffer.from(await view.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBe(10);
    socket.disconnect();
  });

  it('delivers progress only to the owning client, and previews with metadata', async () => {
    const a = await connect('sio-a', { transports: ['websocket'] });
    const b = await connect('sio-b');
    const resA = await server.post('/prompt', { prompt: stepsPrompt(4, 5, { preview: true, tag: 'a' }), client_id: 'sio-a' });
    const resB = await server.post('/prompt', { prompt: stepsPrompt(6, 0, { tag: 'b' }), client_id: 'sio-b' });
    const idA = ((await resA.json()) as any).prompt_id;
    const idB = ((await resB.json()) as any).prompt_id;
    await waitUntil(finished(a.events, idA));
    await waitUntil(finished(b.events, idB));
    expect(a.events.filter((e) => e.type !== 'status' && e.data.prompt_id !== idA)).toEqual([]);
    expect(b.events.filter((e) => e.type !== 'status' && e.data.prompt_id !== idB)).toEqual([]);
    expect(a.events.filter((e) => e.type === 'progress')).toHaveLength(4);
    expect(b.events.filter((e) => e.type === 'progress')).toHaveLength(6);
    const previews = a.events.filter((e) => e.type === 'b_preview_with_metadata');
    expect(previews).toHaveLength(4);
    expect(previews[0]!.data).toMatchObject({ node_id: '1', prompt_id: idA, image_type: 'image/png' });
    expect((await sharp(Buffer.from(previews[0]!.data.image)).metadata()).format).toBe('png');
    expect(b.events.some((e) => e.type === 'b_preview_with_metadata')).toBe(false);
    a.socket.disconnect();
    b.socket.disconnect();
  });

  it('answers feature_flags with the server flags', async () => {
    const { socket, events } = await connect('sio-flags');
    socket.emit('feature_flags', { supports_preview_metadata: true });
    await waitUntil(() => events.some((e) => e.type === 'feature_flags'));
    expect(events.find((e) => e.type === 'feature_flags')!.data).toEqual({ supports_preview_metadata: true, max_upload_size: 100 * 1024 * 1024 });
    socket.disconnect();
  });
});
