// Media in, workflow out, end to end: PNG, WebP, MP4, WebM and FLAC files that the save nodes
// wrote (a real run of SaveImage, SaveAnimatedWEBP, SaveVideo and SaveAudio) give back their
// workflow when dropped on the canvas or opened with Ctrl+O; a file with no workflow gets a clear
// notice, never a JSON parse error; image, video and audio files dropped on a loader are uploaded
// into it, and dropped on the empty canvas get a new loader, as ComfyUI's frontend does
// (src/scripts/app.ts #addDropHandler and handleFile, v1.27.10).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiPrompt, ObjectInfo } from '../../types/api.ts';
import { apiToUi } from '../../server/workflow/to-ui.ts';
import { findMediaTools } from '../../server/media/tools.ts';
import { browserAvailable, pageNodes, toClient, until, type PageNode } from './harness.ts';
import { openWithKeys, sharedEditor, type ChosenFile } from './shared-editor.ts';

type MediaFile = ChosenFile;

/** The graph that writes one file of each kind, with its workflow and prompt embedded. */
const SAVING: ApiPrompt = {
  '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 48, batch_size: 6, color: 0x3366cc } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'drop/png' } },
  '3': { class_type: 'SaveAnimatedWEBP', inputs: { images: ['1', 0], filename_prefix: 'drop/webp', fps: 6, lossless: false, quality: 80, method: 'default' } },
  '4': { class_type: 'LoadAudio', inputs: { audio: 'tone.wav' } },
  '5': { class_type: 'CreateVideo', inputs: { images: ['1', 0], fps: 6, audio: ['4', 0] } },
  '6': { class_type: 'FlashGraph_SaveVideo', inputs: { video: ['5', 0], filename_prefix: 'drop/mp4', format: 'mp4', codec: 'h264', crf: -1, preset: 'ultrafast' } },
  '7': { class_type: 'FlashGraph_SaveVideo', inputs: { video: ['5', 0], filename_prefix: 'drop/webm', format: 'webm', codec: 'vp9', crf: -1, preset: 'ultrafast' } },
  '8': { class_type: 'SaveAudio', inputs: { audio: ['4', 0], filename_prefix: 'drop/flac' } },
};

const MIME: Record<string, string> = { png: 'image/png', webp: 'image/webp', mp4: 'video/mp4', webm: 'video/webm', flac: 'audio/flac', wav: 'audio/wav', txt: 'text/plain' };

const mediaFile = (name: string, buffer: Buffer): MediaFile => ({ name, buffer, mimeType: MIME[name.split('.').pop()!]! });

/** A file made with ffmpeg's test sources (no metadata). */
function ffmpegFile(name: string, args: string[]): MediaFile {
  const dir = mkdtempSync(join(tmpdir(), 'flashgraph-drop-'));
  try {
    execFileSync(findMediaTools().ffmpeg, ['-loglevel', 'error', '-y', ...args, join(dir, name)]);
    return mediaFile(name, readFileSync(join(dir, name)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Drops a file at a point of the page as a drag from the desktop does (a real DataTransfer). */
async function dropMedia(page: Page, file: MediaFile, at: [number, number]): Promise<void> {
  const transfer = await page.evaluateHandle(
    ({ name, mimeType, base64 }) => {
      const dom = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): void } };
        File: new (parts: unknown[], name: string, options: object) => unknown;
        atob(text: string): string;
      };
      const binary = dom.atob(base64);
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      const data = new dom.DataTransfer();
      data.items.add(new dom.File([bytes], name, { type: mimeType }));
      return data;
    },
    { name: file.name, mimeType: file.mimeType, base64: file.buffer.toString('base64') },
  );
  const canvas = page.locator('#fg-canvas');
  const init = { dataTransfer: transfer, clientX: at[0], clientY: at[1] };
  await canvas.dispatchEvent('dragenter', init);
  await canvas.dispatchEvent('dragover', init);
  await canvas.dispatchEvent('drop', init);
}

const types = (nodes: PageNode[]) => nodes.map((node) => node.type).sort();
const value = (node: PageNode | undefined, name: string) => node?.widgets.find((w) => w.name === name)?.value;

describe.skipIf(!browserAvailable)('media files in, workflows out (headless Chromium)', () => {
  const editor = sharedEditor();
  const saved = new Map<string, MediaFile>();
  let promptOnlyPng: MediaFile;

  /** Runs a prompt through the server's own queue and returns its output files. */
  async function runAndFetch(prompt: ApiPrompt, workflow: unknown): Promise<MediaFile[]> {
    const base = editor.session.server.url;
    const body = { prompt, client_id: 'media-drop-test', ...(workflow !== undefined && { extra_data: { extra_pnginfo: { workflow } } }) };
    const queued = (await (await fetch(`${base}/prompt`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json()) as { prompt_id: string };
    const entry = await until(
      'the saving run',
      async () => {
        const history = (await (await fetch(`${base}/history/${queued.prompt_id}`)).json()) as Record<string, { status?: { status_str: string }; outputs: Record<string, Record<string, { filename: string; subfolder: string; type: string }[]>> }>;
        const found = history[queued.prompt_id];
        return found?.status ? found : undefined;
      },
      60_000,
    );
    expect(entry.status!.status_str).toBe('success');
    const files: MediaFile[] = [];
    for (const output of Object.values(entry.outputs)) {
      for (const refs of Object.values(output)) {
        for (const ref of refs) {
          // Besides files: flags such as `animated: [true]`.
          if (typeof ref?.filename !== 'string') continue;
          const url = `${base}/view?${new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type })}`;
          files.push(mediaFile(ref.filename, Buffer.from(await (await fetch(url)).arrayBuffer())));
        }
      }
    }
    return files;
  }

  beforeAll(async () => {
    const tone = ffmpegFile('tone.wav', ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1']);
    const form = new FormData();
    form.append('image', new Blob([tone.buffer], { type: 'audio/wav' }), 'tone.wav');
    expect((await fetch(`${editor.session.server.url}/upload/image`, { method: 'POST', body: form })).status).toBe(200);
    for (const file of await runAndFetch(SAVING, apiToUi(SAVING, editor.objectInfo).workflow)) saved.set(file.name.split('.').pop()!, file);
    expect([...saved.keys()].sort()).toEqual(['flac', 'mp4', 'png', 'webm', 'webp']);
    [promptOnlyPng] = (await runAndFetch({ '1': SAVING['1']!, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'drop/prompt-only' } } }, undefined)) as [MediaFile];
  }, 120_000);

  it('restores the workflow of PNG, WebP, MP4, WebM and FLAC files the save nodes wrote, dropped or opened with Ctrl+O', { timeout: 60_000 }, async () => {
    const { page, session } = editor;
    for (const format of ['png', 'webp', 'mp4', 'webm', 'flac']) {
      await page.locator('button[data-action="new"]').click();
      expect(await pageNodes(page)).toHaveLength(0);
      const file = saved.get(format)!;
      if (format === 'png') {
        await openWithKeys(page, file, [300, 500]);
      } else await dropMedia(page, file, [500, 400]);
      const nodes = await until(`the workflow of the ${format} file`, async () => {
        const shown = await pageNodes(page);
        return shown.length === 8 ? shown : undefined;
      });
      expect(types(nodes)).toEqual(['CreateVideo', 'EmptyImage', 'FlashGraph_SaveVideo', 'FlashGraph_SaveVideo', 'LoadAudio', 'SaveAnimatedWEBP', 'SaveAudio', 'SaveImage']);
      expect(value(nodes.find((node) => node.type === 'EmptyImage'), 'width')).toBe(64);
      expect(nodes.filter((node) => node.type === 'FlashGraph_SaveVideo').map((node) => value(node, 'format')).sort()).toEqual(['mp4', 'webm']);
      expect(await page.locator('.fg-status .fg-workflow-name').textContent()).toBe(file.name.replace(/\.[^.]+$/, ''));
      if (format === 'mp4') await session.screenshot('media-01-mp4-workflow-restored');
    }
    // A PNG written without the editor's workflow: its API prompt, laid out.
    await dropMedia(page, promptOnlyPng, [500, 400]);
    const fromPrompt = await until('the prompt of the PNG', async () => {
      const shown = await pageNodes(page);
      return shown.length === 2 ? shown : undefined;
    });
    expect(types(fromPrompt)).toEqual(['EmptyImage', 'SaveImage']);
    expect(value(fromPrompt.find((node) => node.type === 'SaveImage'), 'filename_prefix')).toBe('drop/prompt-only');
    expect(await page.locator('.fg-notice.error').count()).toBe(0);
  });

  it('says clearly when a file holds no workflow', { timeout: 30_000 }, async () => {
    const { page, session } = editor;
    const plain = mediaFile('plain.png', await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 10, g: 200, b: 90 } } }).png().toBuffer());
    await openWithKeys(page, plain, [300, 500]);
    const notice = page.locator('.fg-notice.error', { hasText: 'plain.png was not opened' });
    await notice.waitFor({ timeout: 5000 });
    expect(await notice.textContent()).toContain('it holds no workflow: its PNG text chunks have no workflow or prompt entry');
    await dropMedia(page, mediaFile('notes.txt', Buffer.from('not a workflow at all')), [500, 400]);
    await page.locator('.fg-notice.error', { hasText: 'notes.txt was not opened' }).waitFor({ timeout: 5000 });
    await dropMedia(page, mediaFile('broken.json', Buffer.from('{"nodes": [')), [500, 400]);
    const broken = page.locator('.fg-notice.error', { hasText: 'broken.json was not opened' });
    await broken.waitFor({ timeout: 5000 });
    expect(await broken.textContent()).toContain('it is not valid JSON');
    await session.screenshot('media-02-no-workflow-notices');
    const texts = (await page.locator('.fg-notice').allTextContents()).join('\n');
    expect(texts).not.toMatch(/Unexpected token|SyntaxError/);
    while ((await page.locator('.fg-notice').count()) > 0) await page.locator('.fg-notice .fg-close').first().click();
  });

  it('uploads dropped media into the loader under the drop, or into a new loader on the empty canvas', { timeout: 60_000 }, async () => {
    const { page, session } = editor;
    await page.locator('button[data-action="new"]').click();
    const red = mediaFile('red.png', await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 220, g: 30, b: 30 } } }).png().toBuffer());
    const blue = mediaFile('blue.png', await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 30, g: 30, b: 220 } } }).png().toBuffer());
    const clip = ffmpegFile('clip.mp4', ['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=8:duration=1', '-pix_fmt', 'yuv420p']);
    const voice = ffmpegFile('voice.flac', ['-f', 'lavfi', '-i', 'sine=frequency=220:duration=1']);

    // An image on the empty canvas: a LoadImage where it fell, showing the uploaded file.
    await dropMedia(page, red, [300, 250]);
    const loadImage = await until('a new LoadImage', async () => (await pageNodes(page)).find((node) => node.type === 'LoadImage' && node.media.length > 0));
    expect(value(loadImage, 'image')).toBe('red.png');
    const [x, y] = await toClient(page, loadImage.pos);
    expect(Math.abs(x - 300) + Math.abs(y - 250)).toBeLessThan(4);

    // Another image on that LoadImage: uploaded into it, no new node.
    await dropMedia(page, blue, [x + 60, y + 40]);
    await until('the LoadImage to show blue.png', async () => (value((await pageNodes(page)).find((node) => node.id === loadImage.id), 'image') === 'blue.png' ? true : undefined));
    expect(await pageNodes(page)).toHaveLength(1);

    // A video and an audio file (no workflow in them): a LoadVideo and a LoadAudio.
    await dropMedia(page, clip, [700, 250]);
    const loadVideo = await until('a new LoadVideo', async () => (await pageNodes(page)).find((node) => node.type === 'LoadVideo' && value(node, 'file') === 'clip.mp4'));
    await dropMedia(page, voice, [300, 600]);
    await until('a new LoadAudio', async () => (await pageNodes(page)).find((node) => node.type === 'LoadAudio' && value(node, 'audio') === 'voice.flac'));

    // The MP4 with a workflow, dropped on the LoadVideo: the loader takes it, the graph stays.
    const [vx, vy] = await toClient(page, [loadVideo.pos[0] + 60, loadVideo.pos[1] + 30]);
    await dropMedia(page, saved.get('mp4')!, [vx, vy]);
    const withVideo = await until('the LoadVideo to take the saved mp4', async () => {
      const shown = await pageNodes(page);
      return value(shown.find((node) => node.id === loadVideo.id), 'file') === saved.get('mp4')!.name ? shown : undefined;
    });
    expect(types(withVideo)).toEqual(['LoadAudio', 'LoadImage', 'LoadVideo']);
    await session.screenshot('media-03-loaders-from-drops');

    // The server has every file in input/, listed for the loaders.
    const info = (await (await fetch(`${session.server.url}/object_info`)).json()) as ObjectInfo;
    const options = (type: string, input: string) => info[type]!.input.required[input]![0] as string[];
    expect(options('LoadImage', 'image')).toEqual(expect.arrayContaining(['red.png', 'blue.png']));
    expect(options('LoadVideo', 'file')).toEqual(expect.arrayContaining(['clip.mp4', saved.get('mp4')!.name]));
    expect(options('LoadAudio', 'audio')).toEqual(expect.arrayContaining(['voice.flac']));
    expect(session.pageErrors.filter((error) => !error.includes('404 (Not Found)'))).toEqual([]);
  });
});
