// GET /flashgraph/video_info: a video's frame rate, frame count and size (ffprobe), for the
// editor's compare view; the same file lookup as /view, and clear refusals.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRate } from '../../server/api/routes/video-info.ts';
import { tempDir } from '../helpers/engine.ts';
import { makeClip } from '../media/helpers.ts';
import { startTestServer, type TestServer } from './helpers.ts';

describe('GET /flashgraph/video_info', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
    mkdirSync(join(server.base, 'output', 'clips'), { recursive: true });
    mkdirSync(join(server.base, 'input'), { recursive: true });
    makeClip(join(server.base, 'output', 'clips'), 'a.mp4', { width: 32, height: 24, fps: '12', seconds: 1.5 });
    makeClip(join(server.base, 'input'), 'b.webm', { width: 16, height: 16, fps: '30000/1001', seconds: 0.5, codec: 'libvpx-vp9' });
    writeFileSync(join(server.base, 'input', 'notes.txt'), 'not a video');
    const outside = tempDir('flashgraph-outside-');
    makeClip(outside, 'secret.mp4', { width: 16, height: 16, fps: '10', seconds: 0.5 });
    symlinkSync(join(outside, 'secret.mp4'), join(server.base, 'input', 'link.mp4'));
  });

  afterAll(async () => {
    await server?.close();
  });

  const info = (query: string) => server.get(`/api/flashgraph/video_info?${query}`);

  it('reports fps, frames and size of output and input videos', async () => {
    const a = await info('filename=a.mp4&subfolder=clips&type=output');
    expect(a.status).toBe(200);
    expect(await a.json()).toMatchObject({ fps: 12, frames: 18, width: 32, height: 24 });
    // ComfyUI's "name [type]" annotation, as combos carry it.
    const b = await info(`filename=${encodeURIComponent('b.webm [input]')}`);
    expect(b.status).toBe(200);
    const body = (await b.json()) as { fps: number; frames: number };
    expect(body.fps).toBeCloseTo(29.97, 2);
    expect(body.frames).toBe(15);
  });

  it('refuses what is not a video, missing files and paths out of the folder', async () => {
    expect((await info('filename=notes.txt&type=input')).status).toBe(415);
    expect((await info('filename=nothing.mp4&type=input')).status).toBe(404);
    expect((await info('filename=a.mp4&subfolder=..&type=output')).status).toBe(403);
    expect((await info('filename=link.mp4&type=input')).status).toBe(403);
    expect((await info('filename=a.mp4&type=models')).status).toBe(400);
    const refused = await info('filename=notes.txt&type=input');
    expect(((await refused.json()) as { error: string }).error).toContain('notes.txt');
  });

  it('parses ffprobe rates', () => {
    expect(parseRate('30/1')).toBe(30);
    expect(parseRate('30000/1001')).toBeCloseTo(29.97, 2);
    expect(parseRate('0/0')).toBeUndefined();
    expect(parseRate(undefined)).toBeUndefined();
  });
});
