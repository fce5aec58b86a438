// The built-in editor in headless Chromium: a workflow saved when LoadVideo and SaveVideo carried
// FlashGraph's options opens updated (a notice says what changed), and upload buttons sit where
// the official frontend puts them (after the optional widgets) so both editors save the same file.
// Skips (with a notice) where /usr/bin/chromium is missing, unless FLASHGRAPH_REQUIRE_BROWSER=1.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip } from '../media/helpers.ts';
import { browserAvailable, CHROMIUM, dropFile, ensureEditorBundle, openEditor, pageNodes, REPOSITORY_ROOT, until, type EditorSession } from './harness.ts';

if (!browserAvailable) {
  if (process.env.FLASHGRAPH_REQUIRE_BROWSER === '1') throw new Error(`FLASHGRAPH_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing`);
  console.warn(`[e2e] ${CHROMIUM} not found: the former core options browser tests are skipped`);
}

const FIXTURES = join(REPOSITORY_ROOT, 'tests', 'workflow', 'fixtures');

interface SavedNode {
  id: number;
  type: string;
  widgets_values: unknown[];
}

describe.skipIf(!browserAvailable)('files with the former LoadVideo/SaveVideo options in the editor', () => {
  let session: EditorSession;

  beforeAll(async () => {
    ensureEditorBundle();
    session = await openEditor();
    // The file the nodes name, so that their previews load.
    mkdirSync(join(session.base, 'input'), { recursive: true });
    makeClip(join(session.base, 'input'), 'clip.mp4', { width: 64, height: 48, fps: '10', seconds: 1 });
  }, 60_000);

  afterAll(async () => {
    await session?.close();
  });

  const saved = () =>
    session.page.evaluate(() => (globalThis as unknown as { flashgraph: { serialize(): { nodes: SavedNode[] } } }).flashgraph.serialize().nodes);

  it('opens an old file updated, says so, and saves it in the official order', { timeout: 60_000 }, async () => {
    const { page } = session;
    await dropFile(page, 'former-core-video.json', readFileSync(join(FIXTURES, 'former-core-video.json'), 'utf8'));
    const nodes = await until('the dropped workflow', async () => {
      const list = await pageNodes(page);
      return list.length === 6 ? list : undefined;
    });
    expect(nodes.map((n) => `${n.id} ${n.type}`).sort()).toEqual(['1 FlashGraph_LoadVideo', '2 LoadVideo', '3 PrimitiveNode', '4 FlashGraph_LoadVideo', '5 FlashGraph_SaveVideo', '6 SaveVideo']);
    const notice = page.locator('.fg-notice', { hasText: 'Updated former-core-video' });
    await until('the notice', async () => ((await notice.count()) > 0 ? true : undefined));
    expect(await notice.first().textContent()).toContain('it is now FlashGraph_LoadVideo');
    // LoadVideo shows ComfyUI's one input and its upload button; FlashGraph_LoadVideo its options
    // with the button last, where the official frontend puts it.
    const widgets = (id: number) => nodes.find((n) => n.id === id)!.widgets.map((w) => w.name);
    expect(widgets(2)).toEqual(['file', 'choose file to upload']);
    expect(widgets(1)).toEqual(['file', 'force_rate', 'custom_width', 'custom_height', 'frame_load_cap', 'skip_first_frames', 'select_every_nth', 'choose file to upload']);
    const byId = new Map((await saved()).map((n) => [n.id, n]));
    expect(byId.get(1)!.widgets_values).toEqual(['clip.mp4', 5, 32, 0, 6, 1, 1, 'image']);
    expect(byId.get(2)!.widgets_values).toEqual(['clip.mp4', 'image']);
    expect(byId.get(6)!.widgets_values).toEqual(['former/mp4', 'mp4', 'h264']);
    expect(session.pageErrors, session.pageErrors.join("\n")).toEqual([]);
  });

  it('opens the shipped demo without notices', { timeout: 60_000 }, async () => {
    const { page } = session;
    const before = await page.locator('.fg-notice').count();
    await dropFile(page, 'flashportrait-demo.json', readFileSync(join(REPOSITORY_ROOT, 'workflows', 'flashportrait-demo.json'), 'utf8'));
    await until('the demo', async () => ((await pageNodes(page)).some((n) => n.type === 'FlashPortraitSampler') ? true : undefined));
    const loadVideo = (await saved()).find((n) => n.type === 'LoadVideo')!;
    expect(loadVideo.widgets_values).toEqual(['driving.mp4', 'image']);
    expect(await page.locator('.fg-notice', { hasText: 'Updated' }).count()).toBeLessThanOrEqual(before);
  });
});
