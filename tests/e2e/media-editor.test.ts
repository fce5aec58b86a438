// The editor with real media: the FlashPortrait demo workflow run from the browser (the reference
// uploaded with LoadImage's button, the saved mp4 previewed as a playing video), and an audio file
// uploaded into LoadAudio, saved by SaveAudio and played from the node and the gallery.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoMedia } from '../../nodes/flashportrait/demo/demo-media.ts';
import { writeDemoModelSet } from '../../nodes/flashportrait/demo/demo-models.ts';
import { DEMO_DRIVING_FRAMES } from '../../nodes/flashportrait/demo/demo-media.ts';
import { findMediaTools } from '../../server/media/tools.ts';
import {
  browserAvailable,
  centreOn,
  dropFile,
  ensureEditorBundle,
  openEditor,
  pageNodes,
  REPOSITORY_ROOT,
  toClient,
  until,
  widgetBox,
  type EditorSession,
  type PageNode,
} from './harness.ts';

const UPLOAD_BUTTON = 'choose file to upload';
const byType = (nodes: PageNode[], type: string) => nodes.find((node) => node.type === type)!;
const widgetValue = (node: PageNode, name: string) => node.widgets.find((w) => w.name === name)?.value;

/** The first media element of a node, as the page sees it. */
async function mediaState(page: EditorSession['page'], nodeId: number) {
  return page.evaluate((id) => {
    const editor = (globalThis as unknown as { flashgraph: { graph: { getNodeById(id: number): { media: { kind: string; url: string; element: Record<string, any> }[] } } } }).flashgraph;
    const media = editor.graph.getNodeById(id).media[0];
    if (!media) return undefined;
    const e = media.element;
    return {
      kind: media.kind, url: media.url, readyState: e.readyState as number | undefined, paused: e.paused as boolean | undefined, muted: e.muted as boolean | undefined,
      duration: e.duration as number | undefined, currentTime: e.currentTime as number | undefined,
      width: (e.videoWidth ?? e.naturalWidth) as number | undefined, height: (e.videoHeight ?? e.naturalHeight) as number | undefined,
    };
  }, nodeId);
}

/** Clicks LoadX's upload button and gives the file chooser `path` (clicking again, as a user would, if no chooser opened). */
async function uploadThroughButton(session: EditorSession, nodeId: number, path: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await centreOn(session.page, nodeId);
    const { centre } = await widgetBox(session.page, nodeId, UPLOAD_BUTTON);
    const [x, y] = await toClient(session.page, centre);
    const chooser = session.page.waitForEvent('filechooser', { timeout: 8_000 });
    await session.page.mouse.click(x, y);
    try {
      await (await chooser).setFiles(path);
      return;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** Clicks the middle of a node's media area (below its widgets). */
async function clickMedia(session: EditorSession, nodeId: number): Promise<void> {
  const point = await session.page.evaluate((id) => {
    const editor = (globalThis as unknown as { flashgraph: { graph: { getNodeById(id: number): { pos: number[]; size: number[] } } } }).flashgraph;
    const node = editor.graph.getNodeById(id);
    return [node.pos[0]! + node.size[0]! / 2, node.pos[1]! + node.size[1]! - 14] as [number, number];
  }, nodeId);
  const [x, y] = await toClient(session.page, point);
  await session.page.mouse.click(x, y);
}

describe.skipIf(!browserAvailable)('editor with real media in headless Chromium', () => {
  let session: EditorSession;

  beforeAll(async () => {
    ensureEditorBundle();
    session = await openEditor();
    const tools = findMediaTools();
    writeDemoModelSet(join(session.base, 'models'), 0);
    const { image } = writeDemoMedia(join(session.base, 'input'), tools);
    // Files a user has on their own disk, outside the server's folders.
    copyFileSync(image, join(session.base, 'my portrait.png'));
    execFileSync(tools.ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=330:duration=1.5', '-ac', '1', join(session.base, 'voice.flac')]);
  }, 60_000);

  afterAll(async () => {
    await session?.close();
  });

  it('runs the FlashPortrait demo workflow: the reference uploaded with the button, the saved mp4 plays in the node and the gallery', { timeout: 90_000 }, async () => {
    const { page } = session;
    await dropFile(page, 'flashportrait-demo.json', readFileSync(join(REPOSITORY_ROOT, 'workflows', 'flashportrait-demo.json'), 'utf8'));
    const loaded = await until('the FlashPortrait workflow', async () => {
      const nodes = await pageNodes(page);
      return nodes.some((n) => n.type === 'FlashPortraitSampler') ? nodes : undefined;
    });
    const loadImage = byType(loaded, 'LoadImage');
    await uploadThroughButton(session, loadImage.id, join(session.base, 'my portrait.png'));
    await until('the uploaded file in the combo', async () => widgetValue(byType(await pageNodes(page), 'LoadImage'), 'image') === 'my portrait.png');
    const preview = await until('the uploaded image previewed on LoadImage', async () => {
      const state = await mediaState(page, loadImage.id);
      return state?.kind === 'image' && (state.width ?? 0) > 0 ? state : undefined;
    });
    expect(preview.url).toContain('filename=my+portrait.png');
    expect(preview.url).toContain('type=input');
    expect([preview.width, preview.height]).toEqual([96, 128]);
    await session.screenshot('20-flashportrait-uploaded-reference');

    await page.keyboard.press('Control+Enter');
    const saveVideo = byType(loaded, 'SaveVideo');
    const video = await until('the mp4 playing on SaveVideo', async () => {
      const state = await mediaState(page, saveVideo.id);
      return state?.kind === 'video' && (state.readyState ?? 0) >= 2 && (state.width ?? 0) > 0 ? state : undefined;
    }, 60_000);
    expect(video.url).toMatch(/filename=.+\.mp4/);
    expect(video.url).toContain('type=output');
    expect([video.width, video.height]).toEqual([48, 64]);
    expect(video.duration).toBeCloseTo(DEMO_DRIVING_FRAMES / 25, 1);
    expect(video.paused).toBe(false);
    expect(video.muted).toBe(true);
    // A click on the picture turns its sound on (the driving clip's audio), another off.
    await centreOn(page, saveVideo.id);
    await clickMedia(session, saveVideo.id);
    expect((await mediaState(page, saveVideo.id))?.muted).toBe(false);
    await clickMedia(session, saveVideo.id);
    expect((await mediaState(page, saveVideo.id))?.muted).toBe(true);
    await session.screenshot('21-flashportrait-video-preview');

    await page.click('[data-tab="gallery"]');
    const galleryVideo = await until('the gallery video', async () =>
      page.evaluate(() => {
        const v = (globalThis as unknown as { document: { querySelector(s: string): { readyState: number; videoWidth: number; src: string } | null } }).document.querySelector('.fg-gallery video');
        return v && v.readyState >= 2 && v.videoWidth > 0 ? v.src : undefined;
      }), 20_000);
    expect(galleryVideo).toBe(new URL(video.url, page.url()).href);

    // The compare view of this run: driving video, reference and output side by side, one frame index.
    await page.click('[data-tab="history"]');
    await page.locator('.fg-history-item [data-action="compare"]').first().click();
    const view = page.locator('.fg-compare');
    const tracks = await until('the three media loaded', async () => {
      const state = await page.evaluate(() => {
        type Media = { readyState?: number; naturalWidth?: number; currentTime?: number; src: string };
        const dom = globalThis as unknown as { document: { querySelector(s: string): Media | null } };
        const of = (selector: string) => {
          const media = dom.document.querySelector(`.fg-compare ${selector}`);
          return media ? { readyState: media.readyState, naturalWidth: media.naturalWidth, src: media.src } : undefined;
        };
        return { driving: of('video[data-track="driving"]'), reference: of('img[data-track="reference"]'), output: of('video[data-track="output"]') };
      });
      return (state.driving?.readyState ?? 0) >= 2 && (state.output?.readyState ?? 0) >= 2 && (state.reference?.naturalWidth ?? 0) > 0 ? state : undefined;
    });
    expect(tracks.driving!.src).toContain('filename=driving.mp4');
    expect(tracks.reference!.src).toContain('filename=my+portrait.png');
    expect(tracks.output!.src).toBe(new URL(video.url, page.url()).href);
    const captions = async () => Object.fromEntries(await view.locator('.fg-compare-track-frame').evaluateAll((items) => items.map((item) => {
      const e = item as unknown as { dataset: { track: string }; textContent: string };
      return [e.dataset.track, e.textContent.trim()];
    })));
    const onFrame = async (n: number) => {
      const both = Object.values(await captions());
      return both.length === 2 && both.every((c) => c.startsWith(`frame ${n}/`)) ? true : undefined;
    };
    await until('frame 1 in both captions', () => onFrame(1));
    expect((await captions()).driving).toBe(`frame 1/${DEMO_DRIVING_FRAMES} · 25 fps`);
    await page.keyboard.press('ArrowRight');
    await until('frame 2 in both captions', () => onFrame(2));
    expect(await view.locator('.fg-frame-counter').getAttribute('data-frame')).toBe('1');
    await session.screenshot('22-flashportrait-compare-view');
    await page.keyboard.press('Escape');
  });

  it('uploads audio into LoadAudio, and SaveAudio plays it from the node and the gallery', { timeout: 60_000 }, async () => {
    const { page } = session;
    await dropFile(page, 'audio.json', JSON.stringify({
      '1': { class_type: 'LoadAudio', inputs: { audio: '' } },
      '2': { class_type: 'SaveAudio', inputs: { audio: ['1', 0], filename_prefix: 'audio/voice' } },
    }));
    const nodes = await until('the audio workflow', async () => {
      const list = await pageNodes(page);
      return list.some((n) => n.type === 'SaveAudio') ? list : undefined;
    });
    const loadAudio = byType(nodes, 'LoadAudio');
    await uploadThroughButton(session, loadAudio.id, join(session.base, 'voice.flac'));
    await until('the uploaded audio in the combo', async () => widgetValue(byType(await pageNodes(page), 'LoadAudio'), 'audio') === 'voice.flac');
    const input = await until('the input audio on LoadAudio', async () => {
      const state = await mediaState(page, loadAudio.id);
      return state?.kind === 'audio' && (state.duration ?? 0) > 0 ? state : undefined;
    });
    expect(input.duration).toBeCloseTo(1.5, 1);

    await page.keyboard.press('Control+Enter');
    const saveAudio = byType(nodes, 'SaveAudio');
    const saved = await until('the saved audio on SaveAudio', async () => {
      const state = await mediaState(page, saveAudio.id);
      return state?.kind === 'audio' && (state.duration ?? 0) > 0 ? state : undefined;
    }, 30_000);
    expect(saved.url).toContain('type=output');
    expect(saved.url).toContain('subfolder=audio');
    expect(saved.paused).toBe(true);
    await centreOn(page, saveAudio.id);
    await clickMedia(session, saveAudio.id);
    const playing = await until('the audio playing', async () => {
      const state = await mediaState(page, saveAudio.id);
      return state && state.paused === false && (state.currentTime ?? 0) > 0 ? state : undefined;
    });
    expect(playing.paused).toBe(false);
    await session.screenshot('22-audio-playing');
    await clickMedia(session, saveAudio.id);
    expect((await mediaState(page, saveAudio.id))?.paused).toBe(true);

    await page.click('[data-tab="gallery"]');
    const galleryAudio = await until('the gallery audio player', async () =>
      page.evaluate(() => {
        const a = (globalThis as unknown as { document: { querySelector(s: string): { readyState: number; duration: number; controls: boolean } | null } }).document.querySelector('.fg-gallery audio');
        return a && a.readyState >= 1 && a.duration > 0 ? { duration: a.duration, controls: a.controls } : undefined;
      }), 20_000);
    expect(galleryAudio.controls).toBe(true);
    expect(galleryAudio.duration).toBeCloseTo(1.5, 1);
    expect(session.pageErrors).toEqual([]);
  });
});
