// A real ComfyUI client from npm, @stable-canvas/comfyui-client (no dependencies of its own), on
// the routes and nodes this suite's issue added: /system_stats as it reads it, SaveImageWebsocket's
// binary images arriving as its `b_preview` events, and its programmable Workflow running core
// classes with ComfyUI's schemas. (@saintno/comfyui-sdk is checked by hand: it pulls in ~200
// packages; see docs/server-api.md.)
import { Client, Workflow } from '@stable-canvas/comfyui-client';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
let client: Client;

beforeAll(async () => {
  server = await startTestServer();
  client = new Client({ api_host: `127.0.0.1:${server.port}`, WebSocket: WebSocket as never, clientId: 'stable-canvas' });
  await client.connect();
});
afterAll(async () => {
  client?.close();
  await server?.close();
});

describe('@stable-canvas/comfyui-client', () => {
  it('reads /system_stats: os is posix or nt as in ComfyUI', async () => {
    const stats = await client.getSystemStats();
    expect(stats.system.os).toBe(process.platform === 'win32' ? 'nt' : 'posix');
    expect(stats.system.required_frontend_version).toBe('1.27.10');
  });

  it("receives SaveImageWebsocket's images as b_preview blobs", async () => {
    const blobs: Blob[] = [];
    const off = client.on('b_preview', (blob) => void blobs.push(blob));
    // enqueue() resolves on the first `executed` message, which SaveImageWebsocket never sends
    // (nor does ComfyUI's): the PreviewImage after it ends the wait.
    const result = await client.enqueue({
      '1': { class_type: 'EmptyImage', inputs: { width: 6, height: 4, batch_size: 3, color: 0x2040ff } },
      '2': { class_type: 'SaveImageWebsocket', inputs: { images: ['1', 0] } },
      '3': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    });
    off();
    // The PreviewImage's three files, as /view URLs (the client also lists binary images it saw).
    expect(result.images.filter((image) => image.type === 'url')).toHaveLength(3);
    expect(blobs).toHaveLength(3);
    for (const blob of blobs) {
      const { data, info } = await sharp(Buffer.from(await blob.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, ...data.subarray(0, 3)]).toEqual([6, 4, 0x20, 0x40, 0xff]);
    }
  });

  it('runs a programmable Workflow of core classes', async () => {
    const workflow = new Workflow();
    const cls = workflow.classes;
    const [image] = cls.EmptyImage({ width: 4, height: 4, batch_size: 1, color: 0 });
    const [inverted] = cls.ImageInvert({ image });
    cls.SaveImage({ images: inverted, filename_prefix: 'stable-canvas/inverted' });
    const output = await workflow.invoke(client);
    expect(output.images).toHaveLength(1);
    const saved = Buffer.from(await (await server.get(`/view?filename=${encodeURIComponent('inverted_00001_.png')}&subfolder=stable-canvas&type=output`)).arrayBuffer());
    const { data } = await sharp(saved).raw().toBuffer({ resolveWithObject: true });
    expect([...data.subarray(0, 3)]).toEqual([255, 255, 255]);
  });

  // The SDK's documented instance().enqueue() then wait() listens only once the answer is parsed
  // (InvokedWorkflow.wait in @stable-canvas/comfyui-client). A repeat of the same graph is all
  // cached and ends within a millisecond; ComfyUI's worker thread starts it later than its answer
  // (main.py prompt_worker), and so must we, or wait() never hears of it.
  it('instance().enqueue() then wait() hears a fully cached re-run', async () => {
    const workflow = new Workflow();
    const cls = workflow.classes;
    const [image] = cls.EmptyImage({ width: 4, height: 4, batch_size: 1, color: 0 });
    cls.SaveImage({ images: image, filename_prefix: 'stable-canvas/cached' });
    for (let run = 0; run < 4; run++) {
      const invoked = workflow.instance(client);
      await invoked.enqueue();
      const heard = await Promise.race([invoked.wait(), new Promise<'missed'>((resolve) => setTimeout(() => resolve('missed'), 5000))]);
      expect(heard === 'missed' ? heard : heard.images.length).toBe(1);
    }
  });
});
