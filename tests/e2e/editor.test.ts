// The editor end to end: a real server, the built bundle, headless Chromium, real input events.
// Skips (with a notice) where /usr/bin/chromium is missing, unless FLASHGRAPH_REQUIRE_BROWSER=1.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserAvailable,
  CHROMIUM,
  dropFile,
  ensureEditorBundle,
  openEditor,
  pageNodes,
  REPOSITORY_ROOT,
  runCli,
  socketPosition,
  toClient,
  until,
  widgetBox,
  type EditorSession,
  type PageNode,
} from './harness.ts';

const requireBrowser = process.env.FLASHGRAPH_REQUIRE_BROWSER === '1';
if (!browserAvailable) {
  if (requireBrowser) throw new Error(`FLASHGRAPH_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install chromium)`);
  console.warn(`[e2e] ${CHROMIUM} not found: the editor's browser tests are skipped (install Debian's chromium to run them)`);
}

const FIXTURES = join(REPOSITORY_ROOT, 'tests', 'e2e', 'fixtures');

const byType = (nodes: PageNode[], type: string) => nodes.find((node) => node.type === type);
const widgetValue = (node: PageNode | undefined, name: string) => node?.widgets.find((w) => w.name === name)?.value;

describe.skipIf(!browserAvailable)('editor in headless Chromium', () => {
  let session: EditorSession;
  let page: EditorSession['page'];

  beforeAll(async () => {
    ensureEditorBundle();
    session = await openEditor();
    page = session.page;
  }, 60_000);

  afterAll(async () => {
    await session?.close();
  });

  it("loads the node packs' editor extensions", async () => {
    expect(await page.getAttribute('body', 'data-pack-extension')).toBe('loaded');
  });

  it('opens a dropped workflow, edits a widget, shows progress and the output, exports a file the CLI runs', { timeout: 60_000 }, async () => {
    await session.screenshot('01-empty-editor');
    await dropFile(page, 'swatch-workflow.json', readFileSync(join(FIXTURES, 'swatch-workflow.json'), 'utf8'));
    const loaded = await until('the dropped workflow', async () => {
      const nodes = await pageNodes(page);
      return nodes.length === 2 ? nodes : undefined;
    });
    const save = byType(loaded, 'EditorSaveSwatch')!;
    expect(widgetValue(save, 'size')).toBe(48);
    await session.screenshot('02-dropped-workflow');

    // Two clicks on the right arrow of the "size" number widget.
    const { right } = await widgetBox(page, save.id, 'size');
    const [x, y] = await toClient(page, right);
    await page.mouse.click(x, y);
    await page.mouse.click(x, y);
    expect(widgetValue(byType(await pageNodes(page), 'EditorSaveSwatch'), 'size')).toBe(50);
    // Clicking the other node brings it to the front, which is no edit: the next undo takes back
    // the arrow clicks (two quick ones are one record), and redo puts them back.
    const slowNode = byType(loaded, 'EditorSlowSteps')!;
    await page.mouse.click(...(await toClient(page, [slowNode.pos[0] + 40, slowNode.pos[1] - 12])));
    await until('the slow node in front', async () => ((await pageNodes(page)).at(-1)?.type === 'EditorSlowSteps' ? true : undefined));
    await page.keyboard.press('Control+z');
    expect(widgetValue(byType(await pageNodes(page), 'EditorSaveSwatch'), 'size')).toBeLessThan(50);
    await page.keyboard.press('Control+y');
    expect(widgetValue(byType(await pageNodes(page), 'EditorSaveSwatch'), 'size')).toBe(50);

    await page.keyboard.press('Control+Enter');
    const slow = await until('the slow node running with progress', async () => {
      const node = byType(await pageNodes(page), 'EditorSlowSteps');
      return node?.running && (node.progress ?? 0) > 0 ? node : undefined;
    });
    expect(slow.progress).toBeGreaterThan(0);
    expect(await page.locator('.fg-running').textContent()).toContain('Slow Steps');
    expect(Number(await page.locator('progress.fg-progress').evaluate((el) => (el as unknown as { value: number }).value))).toBeGreaterThan(0);
    await session.screenshot('03-running-highlight-and-progress');

    const done = await until('the swatch preview on the output node', async () => {
      const node = byType(await pageNodes(page), 'EditorSaveSwatch');
      return node && node.media.length > 0 ? node : undefined;
    });
    expect(done.media[0]).toContain('type=output');
    await page.click('[data-tab="gallery"]');
    const size = await until('the gallery image', async () =>
      page.evaluate(() => {
        const image = (globalThis as unknown as { document: { querySelector(s: string): { complete: boolean; naturalWidth: number } | null } }).document.querySelector('.fg-gallery img');
        return image?.complete && image.naturalWidth > 0 ? image.naturalWidth : undefined;
      }),
    );
    // The edited widget reached the server: the PNG is 50 px wide.
    expect(size).toBe(50);
    await session.screenshot('04-output-preview');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="export"]')]);
    const exported = join(session.base, 'exported.json');
    await download.saveAs(exported);
    const workflow = JSON.parse(readFileSync(exported, 'utf8')) as { nodes: unknown[]; links: unknown[]; version: number };
    expect(workflow.nodes).toHaveLength(2);
    expect(workflow.links).toHaveLength(1);
    const result = runCli(exported);
    expect(result.status).toBe('success');
    expect(result.files.some((file) => file.endsWith('.png'))).toBe(true);

    // The autosave brings the edited workflow back after a reload.
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    const restored = await pageNodes(page);
    expect(restored).toHaveLength(2);
    expect(widgetValue(byType(restored, 'EditorSaveSwatch'), 'size')).toBe(50);
  });

  it('builds a graph from scratch with the node search and a dragged connection, then runs it', { timeout: 60_000 }, async () => {
    await page.click('[data-action="new"]');
    expect(await pageNodes(page)).toHaveLength(0);

    const addNode = async (at: [number, number], query: string, refine: string, expected: RegExp) => {
      const [x, y] = await toClient(page, at);
      const search = page.locator('.fg-node-search .fg-search-query');
      // A busy machine can space the two clicks beyond litegraph's double-click time: try again.
      for (let attempt = 1; ; attempt++) {
        await page.mouse.dblclick(x, y);
        try {
          await search.waitFor({ timeout: 3000 });
          break;
        } catch (error) {
          if (attempt === 3) throw error;
        }
      }
      await search.pressSequentially(query, { delay: 5 });
      return async () => {
        await search.pressSequentially(refine, { delay: 5 });
        await until('the search result', async () => expected.test((await page.locator('.fg-node-search .fg-search-item').first().textContent()) ?? ''));
        await search.press('Enter');
      };
    };

    // Search by category: everything in testing/editor is offered.
    const pickSlow = await addNode([80, 120], 'testing/editor', ' slow', /slow/i);
    const offered = await until('the category results', async () => {
      const items = await page.locator('.fg-node-search .fg-search-item').allTextContents();
      return items.length >= 3 ? items : undefined;
    });
    expect(offered.length).toBeGreaterThanOrEqual(3);
    await pickSlow();
    await until('the slow node', async () => ((await pageNodes(page)).length === 1 ? true : undefined));
    // Undo and redo the insertion.
    await page.locator('#fg-canvas').focus();
    await page.keyboard.press('Control+z');
    expect(await pageNodes(page)).toHaveLength(0);
    await page.keyboard.press('Control+y');
    expect(await pageNodes(page)).toHaveLength(1);

    const pickSwatch = await addNode([520, 120], 'swatch', '', /swatch/i);
    await pickSwatch();
    const nodes = await until('two nodes', async () => {
      const list = await pageNodes(page);
      return list.length === 2 ? list : undefined;
    });
    const slow = byType(nodes, 'EditorSlowSteps')!;
    const swatch = byType(nodes, 'EditorSaveSwatch')!;
    await session.screenshot('05-two-nodes-from-search');

    // Drag from the slow node's output to the swatch's "red" socket.
    const from = await toClient(page, await socketPosition(page, slow.id, false, 0));
    const to = await toClient(page, await socketPosition(page, swatch.id, true, 0));
    await page.mouse.move(...from);
    await page.mouse.down();
    await page.mouse.move((from[0] + to[0]) / 2, (from[1] + to[1]) / 2, { steps: 5 });
    await page.mouse.move(...to, { steps: 5 });
    await page.mouse.up();
    const linked = await page.evaluate(() => {
      const editor = (globalThis as unknown as { flashgraph: { graph: { serialize(): { links: unknown[][] } } } }).flashgraph;
      return editor.graph.serialize().links;
    });
    expect(linked).toHaveLength(1);
    expect(linked[0]?.[5]).toBe('INT');
    await session.screenshot('06-connected');

    await page.keyboard.press('Control+Enter');
    const done = await until('the output of the new graph', async () => {
      const node = byType(await pageNodes(page), 'EditorSaveSwatch');
      return node && node.media.length > 0 ? node : undefined;
    });
    expect(done.hasErrors).toBe(false);
    await session.screenshot('07-scratch-graph-ran');

    // Select the swatch by its title, copy, paste at the pointer, delete the copy, mute the original.
    const title = await toClient(page, [swatch.pos[0] + 60, swatch.pos[1] - 15]);
    await page.mouse.click(...title);
    await page.keyboard.press('Control+c');
    await page.mouse.move(title[0], title[1] + 330);
    await page.keyboard.press('Control+v');
    const pasted = await until('the pasted copy', async () => {
      const list = await pageNodes(page);
      return list.length === 3 ? list : undefined;
    });
    expect(pasted.filter((n) => n.type === 'EditorSaveSwatch')).toHaveLength(2);
    await page.keyboard.press('Delete');
    expect(await pageNodes(page)).toHaveLength(2);
    // Another spot of the title: litegraph reads a second click on the very same pixel as a double-click.
    await page.mouse.move(title[0] + 40, title[1]);
    await page.mouse.click(title[0] + 40, title[1], { delay: 30 });
    await page.keyboard.press('Control+m');
    const modes = await page.evaluate(() => {
      const editor = (globalThis as unknown as { flashgraph: { graph: { serialize(): { nodes: { type: string; mode: number }[] } } } }).flashgraph;
      return Object.fromEntries(editor.graph.serialize().nodes.map((n) => [n.type, n.mode]));
    });
    expect(modes).toEqual({ EditorSlowSteps: 0, EditorSaveSwatch: 2 });
    await session.screenshot('07b-copy-paste-delete-mute');
  });

  it('highlights the input of a validation error and shows a failing node its error', async () => {
    // A hand-edited file: "size" above its maximum of 512.
    const invalid = JSON.parse(readFileSync(join(FIXTURES, 'swatch-workflow.json'), 'utf8')) as Record<string, { inputs: Record<string, unknown> }>;
    invalid['2']!.inputs.size = 9999;
    await dropFile(page, 'invalid.json', JSON.stringify(invalid));
    await until('the invalid workflow', async () => widgetValue(byType(await pageNodes(page), 'EditorSaveSwatch'), 'size') === 9999);
    await page.keyboard.press('Control+Enter');
    const flagged = await until('the validation error on the node', async () => {
      const node = byType(await pageNodes(page), 'EditorSaveSwatch');
      return node && node.inputErrors.length > 0 ? node : undefined;
    });
    expect(flagged.hasErrors).toBe(true);
    expect(flagged.inputErrors[0]?.[0]).toBe('size');
    expect(flagged.inputErrors[0]?.[1]).toMatch(/9999|max/i);
    expect(await page.locator('.fg-notice.error').first().textContent()).toContain('size');
    expect(byType(await pageNodes(page), 'EditorSlowSteps')?.running).toBe(false);
    await session.screenshot('08-validation-error');

    await dropFile(page, 'fail.json', JSON.stringify({ '1': { class_type: 'EditorFail', inputs: { message: 'the test node failed on purpose' } } }));
    await until('the failing workflow', async () => ((await pageNodes(page))[0]?.type === 'EditorFail' ? true : undefined));
    await page.keyboard.press('Control+Enter');
    const failed = await until('the error on the failing node', async () => {
      const node = (await pageNodes(page))[0];
      return node?.errorMessage ? node : undefined;
    });
    expect(failed.errorMessage).toContain('the test node failed on purpose');
    expect(failed.hasErrors).toBe(true);
    expect(await page.locator('.fg-notice.error').last().textContent()).toContain('the test node failed on purpose');
    await session.screenshot('09-execution-error');
  });

  it('opens an example workflow from the menu and shows text outputs and the history', async () => {
    await page.click('[data-action="examples"]');
    await page.click('[data-example="hello-text"]');
    await until('the example', async () => ((await pageNodes(page)).length === 6 ? true : undefined));
    await page.click('[data-action="queue"]');
    const preview = await until('the PreviewAny text', async () => {
      const node = byType(await pageNodes(page), 'PreviewAny');
      return node && node.texts.length > 0 ? node : undefined;
    });
    expect(preview.texts[0]).toBe('42');
    await page.click('[data-tab="history"]');
    // The runs of this file so far: at least the swatch, the failing node and this example.
    await until('the history entries', async () => ((await page.locator('.fg-history-item').count()) >= 3 ? true : undefined));
    await session.screenshot('10-example-and-history');
    // Re-open the first run (the dropped swatch workflow) from its extra_pnginfo.
    await page.locator('.fg-history-item').last().locator('[data-action="open-run"]').click();
    const reopened = await pageNodes(page);
    expect(reopened.map((n) => n.type).sort()).toEqual(['EditorSaveSwatch', 'EditorSlowSteps']);
    expect(session.pageErrors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });
});
