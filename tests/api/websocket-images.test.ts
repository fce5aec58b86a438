// SaveImageWebsocket and /system_stats as ComfyUI clients use them, over a real server and real
// WebSockets.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../types/api.ts';
import { osName, REQUIRED_FRONTEND_VERSION } from '../../server/api/system-stats.ts';
import { startTestServer, WsClient, type TestServer } from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** Two 5x3 frames of orange (EmptyImage's color is 0xRRGGBB), sent by SaveImageWebsocket. */
const prompt = {
  '1': { class_type: 'EmptyImage', inputs: { width: 5, height: 3, batch_size: 2, color: 0xff8000 } },
  save_image_websocket_node: { class_type: 'SaveImageWebsocket', inputs: { images: ['1', 0] } },
};

async function queue(clientId: string): Promise<string> {
  const res = await server.post('/prompt', { prompt, client_id: clientId });
  expect(res.status).toBe(200);
  return ((await res.json()) as { prompt_id: string }).prompt_id;
}

async function expectOrangePng(bytes: Buffer): Promise<void> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  expect([info.format, info.width, info.height, info.channels]).toEqual(['raw', 5, 3, 3]);
  expect([...data.subarray(0, 3)]).toEqual([255, 128, 0]);
}

describe('SaveImageWebsocket', () => {
  it('sends each image to the queueing client as a binary frame: [1][2][PNG] (custom_nodes/websocket_image_save.py)', async () => {
    const mine = await WsClient.open(server.url, { path: '/ws?clientId=ws-images' });
    const other = await WsClient.open(server.url, { path: '/ws?clientId=someone-else' });
    const promptId = await queue('ws-images');
    await mine.finished(promptId);
    // The frames' layout: big-endian u32 event type 1 (PREVIEW_IMAGE), u32 format 2 (PNG), then the
    // image (server.py send_image; websockets_api_example_ws_images.py keeps out[8:]).
    expect(mine.binary).toHaveLength(2);
    for (const frame of mine.binary) {
      expect([frame.readUInt32BE(0), frame.readUInt32BE(4)]).toEqual([1, 2]);
      await expectOrangePng(frame.subarray(8));
    }
    // As in ComfyUI, a progress message precedes each image, counting from 0 (update_absolute).
    const progress = mine.forPrompt(promptId).filter((m) => m.type === 'progress' && m.data.node === 'save_image_websocket_node');
    expect(progress.map((m) => [m.data.value, m.data.max])).toEqual([
      [0, 2],
      [1, 2],
    ]);
    // No UI output: no `executed` message and nothing in the history's outputs.
    expect(mine.forPrompt(promptId).some((m) => m.type === 'executed' && m.data.node === 'save_image_websocket_node')).toBe(false);
    const history = (await (await server.get(`/history/${promptId}`)).json()) as Record<string, HistoryEntry>;
    expect(history[promptId]!.outputs).toEqual({});
    // Only the client that queued the prompt gets its images.
    expect(other.binary).toHaveLength(0);
    // IS_CHANGED returns the time in ComfyUI: queued again, the images are sent again.
    await mine.finished(await queue('ws-images'));
    expect(mine.binary).toHaveLength(4);
    await Promise.all([mine.close(), other.close()]);
  });

  it('sends type 4 frames with metadata to clients that negotiated supports_preview_metadata', async () => {
    const client = await WsClient.open(server.url, {
      path: '/ws?clientId=ws-images-meta',
      firstFrame: { type: 'feature_flags', data: { supports_preview_metadata: true } },
    });
    await client.waitFor((m) => m.type === 'feature_flags');
    const promptId = await queue('ws-images-meta');
    await client.finished(promptId);
    expect(client.binary).toHaveLength(2);
    for (const frame of client.binary) {
      expect(frame.readUInt32BE(0)).toBe(4);
      const length = frame.readUInt32BE(4);
      const metadata = JSON.parse(frame.subarray(8, 8 + length).toString('utf8'));
      expect(metadata).toEqual({
        node_id: 'save_image_websocket_node',
        prompt_id: promptId,
        display_node_id: 'save_image_websocket_node',
        parent_node_id: null,
        real_node_id: 'save_image_websocket_node',
        image_type: 'image/png',
      });
      await expectOrangePng(frame.subarray(8 + length));
    }
    await client.close();
  });
});

describe('GET /system_stats', () => {
  it("has ComfyUI's fields with their meanings: os is Python's os.name, every version field present", async () => {
    const stats = (await (await server.get('/api/system_stats')).json()) as { system: Record<string, unknown>; devices: Record<string, unknown>[] };
    // server.py system_stats: os.name is "posix" on Linux and macOS, "nt" on Windows.
    expect(stats.system.os).toBe(process.platform === 'win32' ? 'nt' : 'posix');
    expect([osName('linux'), osName('darwin'), osName('win32')]).toEqual(['posix', 'posix', 'nt']);
    const types = Object.fromEntries(Object.entries(stats.system).map(([key, value]) => [key, Array.isArray(value) ? 'array' : typeof value]));
    expect(types).toEqual({
      os: 'string',
      ram_total: 'number',
      ram_free: 'number',
      comfyui_version: 'string',
      required_frontend_version: 'string',
      installed_templates_version: 'string',
      required_templates_version: 'string',
      python_version: 'string',
      pytorch_version: 'string',
      embedded_python: 'boolean',
      argv: 'array',
    });
    expect(stats.system.comfyui_version).toMatch(/^\d+\.\d+\.\d+/);
    // The frontend compares its version with this one (semver) to ask for an update.
    expect(stats.system.required_frontend_version).toBe(REQUIRED_FRONTEND_VERSION);
    expect(stats.system.python_version).toBe(`Node.js ${process.versions.node}`);
    expect(stats.system.pytorch_version).toMatch(/^onnxruntime-node \d+\.\d+\.\d+/);
    expect(Number(stats.system.ram_free)).toBeLessThanOrEqual(Number(stats.system.ram_total));
    expect(stats.devices[0]).toMatchObject({ name: 'cpu', type: 'cpu', index: 0 });
  });
});
