// Two editor features end to end: subgraph outputs kept per instance (two instances of one
// subgraph, each opened in turn, show their own inner PreviewAny text; a muted third shows none),
// and remote combos (LoadImageOutput's refresh button lists and selects the newest output file,
// which then runs into a PreviewImage). Real server, built bundle, headless Chromium, real input events.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  breadcrumb, browserAvailable, centreOn, CHROMIUM, doubleClickBody, dropFile, ensureEditorBundle, openEditor, pageNodes, queueAndWait, REPOSITORY_ROOT, toClient, until, widgetBox,
  type EditorSession, type PageNode,
} from './harness.ts';

const requireBrowser = process.env.FLASHGRAPH_REQUIRE_BROWSER === '1';
if (!browserAvailable && requireBrowser) throw new Error(`FLASHGRAPH_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install chromium)`);

const FIXTURES = join(REPOSITORY_ROOT, 'tests', 'e2e', 'fixtures');
const ECHO = '5b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8';

const byType = (nodes: PageNode[], type: string) => nodes.find((node) => node.type === type);
const byId = (nodes: PageNode[], id: number) => nodes.find((node) => node.id === id);

async function backToRoot(page: Page): Promise<void> {
  await page.locator('.fg-breadcrumb button.fg-crumb', { hasText: 'Root' }).click();
  await until('the root graph', async () => ((await breadcrumb(page)).length === 0 ? true : undefined));
}

/** The combo's listed values and its value. */
async function comboState(page: Page, nodeId: number, name: string): Promise<{ values: string[]; value: unknown }> {
  return page.evaluate(
    ({ nodeId, name }) => {
      type W = { name: string; value: unknown; options: { values?: string[] } };
      const editor = (globalThis as unknown as { flashgraph: { shownGraph: { getNodeById(id: number): { widgets: W[] } } } }).flashgraph;
      const widget = editor.shownGraph.getNodeById(nodeId).widgets.find((w) => w.name === name)!;
      return { values: [...(widget.options.values ?? [])], value: widget.value };
    },
    { nodeId, name },
  );
}

describe.skipIf(!browserAvailable)('subgraph instances and remote combos (headless Chromium)', () => {
  let session: EditorSession;
  let page: Page;

  beforeAll(async () => {
    ensureEditorBundle();
    session = await openEditor();
    page = session.page;
  }, 60_000);

  afterAll(async () => {
    await session?.close();
  });

  it('shows each subgraph instance its own inner outputs', { timeout: 120_000 }, async () => {
    await dropFile(page, 'two-instances-workflow.json', readFileSync(join(FIXTURES, 'two-instances-workflow.json'), 'utf8'));
    const loaded = await until('the dropped workflow', async () => {
      const nodes = await pageNodes(page);
      return nodes.length === 6 ? nodes : undefined;
    });
    expect(loaded.filter((n) => n.type === ECHO).map((n) => n.id)).toEqual([2, 4, 6]);
    const run = await queueAndWait(page, 'the run of both instances');
    expect(run.status).toBe('success');
    expect(Object.keys(run.prompt).sort()).toEqual(['1', '2:1', '3', '4:1', '5'].sort());

    // Each instance, opened in turn (and again), shows the text its own input fed in.
    for (const [instance, text] of [
      [2, ['7']],
      [4, ['9']],
      [2, ['7']],
    ] as const) {
      await doubleClickBody(page, byId(await pageNodes(page), instance)!);
      expect(await breadcrumb(page)).toEqual(['Root', 'Echo']);
      const preview = await until(`the inner preview of instance ${instance}`, async () => {
        const node = byType(await pageNodes(page), 'PreviewAny');
        return node && node.texts.length > 0 ? node : undefined;
      });
      expect(preview.texts).toEqual(text);
      await session.screenshot(`60-instance-${instance}-inside`);
      await backToRoot(page);
    }

    // The muted third instance never ran: opened through it, the inner node shows nothing.
    await doubleClickBody(page, byId(await pageNodes(page), 6)!);
    await page.waitForTimeout(200);
    expect(byType(await pageNodes(page), 'PreviewAny')?.texts).toEqual([]);
    await backToRoot(page);
    expect(session.pageErrors).toEqual([]);
  });

  it('refreshes a remote combo: LoadImageOutput lists and selects the newest output, which then runs', { timeout: 120_000 }, async () => {
    // A swatch saver, and LoadImageOutput feeding a muted PreviewImage.
    const workflow = {
      '1': { class_type: 'EditorSaveSwatch', inputs: { red: 30, size: 24, filename_prefix: 'remote-swatch' } },
      '2': { class_type: 'LoadImageOutput', inputs: { image: '' } },
      '3': { class_type: 'PreviewImage', inputs: { images: ['2', 0] } },
    };
    await dropFile(page, 'remote-combo.json', JSON.stringify(workflow));
    const loaded = await until('the dropped workflow', async () => {
      const nodes = await pageNodes(page);
      return nodes.length === 3 && byType(nodes, 'LoadImageOutput') ? nodes : undefined;
    });
    const loader = byType(loaded, 'LoadImageOutput')!;
    const preview = byType(loaded, 'PreviewImage')!;
    expect(loader.widgets.map((w) => w.name)).toContain('refresh');
    // Fetched once when the node was made: nothing in output/ yet.
    expect((await comboState(page, loader.id, 'image')).values).toEqual([]);

    // Mute the preview (click its title, Ctrl+M) and run: only the swatch is saved.
    await centreOn(page, preview.id);
    const title = await toClient(page, [preview.pos[0] + 60, preview.pos[1] - 15]);
    await page.mouse.click(...title, { delay: 20 });
    await page.keyboard.press('Control+m');
    await until('the muted preview', async () => page.evaluate((id) => (globalThis as unknown as { flashgraph: { graph: { getNodeById(id: number): { mode: number } } } }).flashgraph.graph.getNodeById(id).mode === 2, preview.id));
    const first = await queueAndWait(page, 'the swatch run');
    expect(first.status).toBe('success');
    expect(Object.values(first.prompt).map((n) => n.class_type)).toEqual(['EditorSaveSwatch', 'LoadImageOutput']);

    // The refresh button: a real click on it.
    const { centre } = await widgetBox(page, loader.id, 'refresh');
    await page.mouse.click(...(await toClient(page, centre)), { delay: 20 });
    const refreshed = await until('the refreshed list', async () => {
      const state = await comboState(page, loader.id, 'image');
      return state.values.length > 0 ? state : undefined;
    });
    expect(refreshed.values).toEqual(['remote-swatch_00001_.png [output]']);
    expect(refreshed.value).toBe('remote-swatch_00001_.png [output]');
    // The node previews the chosen file from output/.
    const shown = byId(await pageNodes(page), loader.id)!;
    expect(shown.media[0]).toContain('filename=remote-swatch_00001_.png');
    expect(shown.media[0]).toContain('type=output');
    await session.screenshot('61-remote-combo-refreshed');

    // Unmute the preview and run: LoadImageOutput -> PreviewImage shows the 24 px swatch.
    await page.mouse.click(...title, { delay: 20 });
    await page.keyboard.press('Control+m');
    const second = await queueAndWait(page, 'the preview run');
    expect(second.status).toBe('success');
    expect(Object.values(second.prompt).find((n) => n.class_type === 'LoadImageOutput')?.inputs.image).toBe('remote-swatch_00001_.png [output]');
    const width = await until('the previewed image', async () =>
      page.evaluate((id) => {
        type Media = { element: { complete: boolean; naturalWidth: number } };
        const node = (globalThis as unknown as { flashgraph: { graph: { getNodeById(id: number): { media: Media[] } } } }).flashgraph.graph.getNodeById(id);
        const image = node.media[0]?.element;
        return image?.complete && image.naturalWidth > 0 ? image.naturalWidth : undefined;
      }, preview.id),
    );
    expect(width).toBe(24);
    await session.screenshot('62-remote-combo-previewed');

    expect(session.pageErrors).toEqual([]);
  });
});
