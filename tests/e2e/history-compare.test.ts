// The history panel (thumbnails, start time and duration per run, re-queue) and the compare view
// of a portrait animation run (driving video, reference image and output side by side, one
// scrubber, frame steps), driven with the mouse and keyboard against a real server that runs
// real workflows on clips ffmpeg makes here.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration, runTiming } from '../../client/src/run-info.ts';
import { findMediaTools } from '../../server/media/tools.ts';
import type { HistoryEntry } from '../../types/api.ts';
import { browserAvailable, dropFile, ensureEditorBundle, historyEntries, openEditor, pageNodes, queueAndWait, REPOSITORY_ROOT, until, type EditorSession } from './harness.ts';

const FRAMES = 30;
const DRIVING_FPS = 12;
const OUTPUT_FPS = 24;
/** Frame n of the clip shows n in binary: 8 columns of 8 pixels, white for a 1 (bit 0 on the left). */
const BIT = "255*mod(floor(N/pow(2,floor(X/8))),2)";

describe.skipIf(!browserAvailable)('history panel and compare view', () => {
  let session: EditorSession;
  let page: EditorSession['page'];

  const serverHistory = async (id: string): Promise<HistoryEntry> => {
    const body = (await (await fetch(`${session.server.url}/history/${id}`)).json()) as Record<string, HistoryEntry>;
    return body[id]!;
  };

  beforeAll(async () => {
    ensureEditorBundle();
    session = await openEditor();
    page = session.page;
    const input = join(session.base, 'input');
    mkdirSync(input, { recursive: true });
    execFileSync(findMediaTools().ffmpeg, [
      '-v', 'error', '-y', '-f', 'lavfi',
      '-i', `color=c=black:s=64x64:r=${DRIVING_FPS},format=rgb24,geq=r='${BIT}':g='${BIT}':b='${BIT}'`,
      '-frames:v', String(FRAMES), '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '10', '-pix_fmt', 'yuv420p',
      join(input, 'driving.mp4'),
    ]);
    await sharp({ create: { width: 48, height: 48, channels: 3, background: { r: 230, g: 180, b: 150 } } }).png().toFile(join(input, 'reference.png'));
  }, 60_000);

  afterAll(async () => {
    await session?.close();
  });

  it('history shows a thumbnail, start time and duration per run, and queues a past run again', async () => {
    await dropFile(page, 'swatch-workflow.json', readFileSync(join(REPOSITORY_ROOT, 'tests', 'e2e', 'fixtures', 'swatch-workflow.json'), 'utf8'));
    await until('the swatch workflow', async () => ((await pageNodes(page)).length === 2 ? true : undefined));
    const run = await queueAndWait(page, 'the swatch run');
    expect(run.status).toBe('success');
    await page.click('[data-tab="history"]');
    const card = page.locator(`.fg-history-item[data-prompt-id="${run.id}"]`);
    await card.waitFor();
    // The thumbnail is the run's image, loaded.
    const thumb = card.locator('img.fg-run-thumb');
    await until('the thumbnail', async () => ((await thumb.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) > 0 ? true : undefined));
    expect(await thumb.getAttribute('src')).toContain(encodeURIComponent('swatch'));
    // Start and duration as the server recorded them in status.messages.
    const recorded = await serverHistory(run.id);
    const timing = runTiming(recorded.status);
    expect(timing.durationMs).toBeGreaterThan(1000); // 8 steps of 150 ms
    expect(await card.locator('.fg-run-duration').textContent()).toBe(formatDuration(timing.durationMs!));
    expect(await card.locator('.fg-run-start').getAttribute('title')).toBe(new Date(timing.start!).toISOString());
    expect(await card.locator('.fg-run-start').textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
    await session.screenshot('history-thumbnails-timing');

    // Re-queue: the same prompt runs again as a new run.
    await card.locator('[data-action="requeue"]').click();
    const again = await until('the re-queued run', async () => (await historyEntries(page)).find((entry) => entry.id !== run.id && entry.status === 'success'), 30_000);
    const second = await serverHistory(again.id);
    expect(second.prompt[2]).toEqual(recorded.prompt[2]);
    expect((second.prompt[3].extra_pnginfo as { workflow?: unknown }).workflow).toEqual((recorded.prompt[3].extra_pnginfo as { workflow?: unknown }).workflow);
    await page.locator(`.fg-history-item[data-prompt-id="${again.id}"] img.fg-run-thumb`).waitFor();
    expect(await page.locator('.fg-history-item').count()).toBe(2);
    expect(await page.locator('.fg-notice.info').last().textContent()).toContain('again');
  });

  it('compare view: driving video, reference and output in sync under one scrubber, frame by frame', { timeout: 60_000 }, async () => {
    const workflow = {
      '1': { class_type: 'LoadVideo', inputs: { file: 'driving.mp4' } },
      '2': { class_type: 'GetVideoComponents', inputs: { video: ['1', 0] } },
      '3': { class_type: 'CreateVideo', inputs: { images: ['2', 0], fps: OUTPUT_FPS } },
      '4': { class_type: 'SaveVideo', inputs: { video: ['3', 0], filename_prefix: 'compare/portrait', format: 'mp4', codec: 'h264' } },
      '5': { class_type: 'LoadImage', inputs: { image: 'reference.png' } },
      '6': { class_type: 'PreviewImage', inputs: { images: ['5', 0] } },
    };
    await dropFile(page, 'portrait.json', JSON.stringify(workflow));
    await until('the portrait workflow', async () => ((await pageNodes(page)).length === 6 ? true : undefined));
    const run = await queueAndWait(page, 'the portrait run');
    expect(run.status).toBe('success');
    const card = page.locator(`.fg-history-item[data-prompt-id="${run.id}"]`);
    await card.waitFor();
    // Runs without an input video have no compare button.
    expect(await page.locator('.fg-history-item [data-action="compare"]').count()).toBe(1);
    await card.locator('[data-action="compare"]').click();
    const view = page.locator('.fg-compare');
    await view.waitFor();
    const counter = view.locator('.fg-frame-counter');
    await until('both videos measured', async () => ((await counter.textContent())?.trim() === `Frame 1 / ${FRAMES}` ? true : undefined));
    expect(await view.locator('img[data-track="reference"]').getAttribute('src')).toContain('reference.png');

    /** What each video shows now: its time and the frame number read from its pixels. */
    const shown = () =>
      page.evaluate(() => {
        // Runs in the page: its DOM, typed here only as far as it is used.
        type Video = { currentTime: number; seeking: boolean; readyState: number };
        type Context = { drawImage(source: unknown, x: number, y: number, w: number, h: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
        type Canvas = { width: number; height: number; getContext(kind: '2d'): Context };
        const dom = globalThis as unknown as { document: { querySelector(selector: string): unknown; createElement(tag: 'canvas'): Canvas } };
        const read = (track: string) => {
          const video = dom.document.querySelector(`video[data-track="${track}"]`) as Video;
          const canvas = dom.document.createElement('canvas');
          canvas.width = canvas.height = 64;
          const context = canvas.getContext('2d');
          context.drawImage(video, 0, 0, 64, 64);
          const row = context.getImageData(0, 32, 64, 1).data;
          let pixelFrame = 0;
          for (let bit = 0; bit < 8; bit++) if (row[(bit * 8 + 4) * 4]! > 128) pixelFrame += 2 ** bit;
          return { time: video.currentTime, settled: !video.seeking && video.readyState >= 2, pixelFrame };
        };
        return { driving: read('driving'), output: read('output') };
      });
    const expectFrame = async (frame: number) => {
      const both = await until(`both videos on frame ${frame}`, async () => {
        const now = await shown();
        return now.driving.settled && now.output.settled && now.driving.pixelFrame === frame && now.output.pixelFrame === frame ? now : undefined;
      });
      // Each video's clock sits inside frame `frame` of its own rate.
      expect(Math.floor(both.driving.time * DRIVING_FPS)).toBe(frame);
      expect(Math.floor(both.output.time * OUTPUT_FPS)).toBe(frame);
      expect(await counter.getAttribute('data-frame')).toBe(String(frame));
      expect((await counter.textContent())?.trim()).toBe(`Frame ${frame + 1} / ${FRAMES}`);
    };
    await expectFrame(0);

    // Scrub: a click on the scrubber's track, about 60% along.
    const scrubber = view.locator('.fg-compare-scrubber');
    const box = (await scrubber.boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.6, box.y + box.height / 2);
    const landed = Number(await until('the scrubbed frame', async () => {
      const frame = await counter.getAttribute('data-frame');
      return frame !== '0' ? frame : undefined;
    }));
    expect(landed).toBeGreaterThan(FRAMES * 0.45);
    expect(landed).toBeLessThan(FRAMES * 0.75);
    await expectFrame(landed);
    await session.screenshot('compare-view-scrubbed');

    // Arrow keys and the step buttons move one frame.
    await page.keyboard.press('ArrowRight');
    await expectFrame(landed + 1);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expectFrame(landed - 1);
    await view.locator('[data-action="step-forward"]').click();
    await expectFrame(landed);
    await view.locator('[data-action="step-back"]').click();
    await expectFrame(landed - 1);
    // No step goes past either end.
    for (let i = 0; i < landed + 2; i++) await page.keyboard.press('ArrowLeft');
    await expectFrame(0);

    // Playing: sampled together, the two videos never show frames more than one apart; it stops
    // on the last frame.
    await page.keyboard.press(' ');
    expect(await view.locator('[data-action="play"]').textContent()).toBe('⏸');
    const samples: { driving: number; output: number }[] = [];
    while (samples.length < 60 && samples.at(-1)?.output !== FRAMES - 1) {
      const now = await shown();
      samples.push({ driving: now.driving.pixelFrame, output: now.output.pixelFrame });
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(new Set(samples.map((s) => s.output)).size).toBeGreaterThan(4);
    for (const sample of samples) expect(Math.abs(sample.driving - sample.output)).toBeLessThanOrEqual(1);
    await until('the end of playback', async () => ((await view.locator('[data-action="play"]').textContent()) === '▶' ? true : undefined));
    await expectFrame(FRAMES - 1);
    // Pausing mid-play leaves both on the frame the counter shows.
    await view.locator('[data-action="play"]').click();
    await new Promise((resolve) => setTimeout(resolve, 400));
    await page.keyboard.press(' ');
    const paused = Number(await counter.getAttribute('data-frame'));
    expect(paused).toBeGreaterThan(0);
    await expectFrame(paused);
    await session.screenshot('compare-view-frame-step');

    await page.keyboard.press('Escape');
    expect(await view.count()).toBe(0);
    expect(session.pageErrors).toEqual([]);
  });
});
