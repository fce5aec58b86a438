// Several workflows, driven as a person does: tabs with their own undo history and view, unsaved
// markers, loads (a dropped file, an example, a past run) that open in a new tab instead of
// replacing unsaved work, a question before an unsaved tab closes; and the workflows sidebar on
// ComfyUI's /userdata routes, with the paths and options ComfyUI's frontend uses (v1.27.10
// src/scripts/api.ts storeUserData and listUserDataFullInfo), in both directions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, dropFile, ensureEditorBundle, openEditor, pageNodes, queueAndWait, REPOSITORY_ROOT, toClient, until, widgetBox, type EditorSession, type PageNode } from './harness.ts';

const SWATCH = readFileSync(join(REPOSITORY_ROOT, 'tests', 'e2e', 'fixtures', 'swatch-workflow.json'), 'utf8');
/** A UI-format workflow as ComfyUI's frontend writes it. */
const COMFY_UI_FILE = readFileSync(join(REPOSITORY_ROOT, 'tests', 'workflow', 'fixtures', 'hello-text.ui.json'), 'utf8');

interface TabState {
  name: string;
  active: boolean;
  modified: boolean;
}

const widgetValue = (nodes: PageNode[], type: string, name: string) => nodes.find((n) => n.type === type)?.widgets.find((w) => w.name === name)?.value;

describe.skipIf(!browserAvailable)('workflow tabs and the workflows sidebar', () => {
  let session: EditorSession;
  let page: EditorSession['page'];

  const tabs = (): Promise<TabState[]> =>
    page.locator('.fg-workflow-tab').evaluateAll((elements) =>
      elements.map((element) => {
        const e = element as unknown as { classList: { contains(c: string): boolean }; querySelector(s: string): { textContent: string } };
        return { name: e.querySelector('.fg-tab-name').textContent.trim(), active: e.classList.contains('active'), modified: e.classList.contains('modified') };
      }),
    );
  const view = () =>
    page.evaluate(() => {
      const editor = (globalThis as unknown as { flashgraph: { canvas: { ds: { scale: number; offset: number[] } } } }).flashgraph;
      return { scale: editor.canvas.ds.scale, offset: [...editor.canvas.ds.offset] };
    });
  const userdata = async (path: string, init?: RequestInit) => fetch(`${session.server.url}/api/userdata/${encodeURIComponent(path)}`, init);
  const listed = async (): Promise<string[]> => {
    const response = await fetch(`${session.server.url}/api/userdata?dir=workflows&recurse=true&split=false&full_info=true`);
    if (response.status === 404) return [];
    const body = (await response.json()) as { path: string }[];
    if (!Array.isArray(body)) throw new Error(`listing: HTTP ${response.status} ${JSON.stringify(body)}`);
    return body.map((file) => file.path).sort();
  };
  /** A click on the right arrow of the swatch's size widget: one more. */
  const bumpSize = async () => {
    const swatch = (await pageNodes(page)).find((n) => n.type === 'EditorSaveSwatch')!;
    const [x, y] = await toClient(page, (await widgetBox(page, swatch.id, 'size')).right);
    await page.mouse.click(x, y);
  };
  const dialog = () => page.locator('.fg-ask');

  /** URLs the page got a 4xx or 5xx for. */
  const failedRequests: string[] = [];
  /**
   * No page errors; the only failed requests are listings of workflows/ before it exists, a 404
   * as in ComfyUI (user_manager.py), which the browser logs as a console error.
   */
  const expectNoErrors = () => {
    expect(failedRequests.filter((url) => !url.includes('/api/userdata?dir=workflows&'))).toEqual([]);
    const errors = session.pageErrors.filter((error) => !error.startsWith('Failed to load resource: the server responded with a status of 404'));
    expect(errors).toEqual([]);
  };

  beforeAll(async () => {
    ensureEditorBundle();
    session = await openEditor();
    page = session.page;
    page.on('response', (response) => {
      if (response.status() >= 400) failedRequests.push(response.url());
    });
  }, 60_000);

  afterAll(async () => {
    await session?.close();
  });

  it('tabs keep their own undo history and view; loads open new tabs instead of replacing unsaved work', { timeout: 60_000 }, async () => {
    expect(await tabs()).toEqual([{ name: 'workflow', active: true, modified: false }]);
    // A dropped file goes into the empty, unsaved tab.
    await dropFile(page, 'swatch-workflow.json', SWATCH);
    await until('the swatch workflow', async () => ((await pageNodes(page)).length === 2 ? true : undefined));
    expect(await tabs()).toEqual([{ name: 'swatch-workflow', active: true, modified: false }]);
    await bumpSize();
    expect(widgetValue(await pageNodes(page), 'EditorSaveSwatch', 'size')).toBe(49);
    await until('the unsaved marker', async () => ((await tabs())[0]!.modified ? true : undefined));
    // Pan this tab's view: a drag on empty canvas.
    const box = (await page.locator('#fg-canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width - 60, box.y + 60);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width - 200, box.y + 140, { steps: 6 });
    await page.mouse.up();
    const swatchView = await view();

    // Examples: a new tab; the unsaved one is left as it was.
    await page.click('[data-action="examples"]');
    await page.click('[data-example="hello-text"]');
    await until('the example in a second tab', async () => ((await tabs()).length === 2 ? true : undefined));
    expect(await tabs()).toEqual([
      { name: 'swatch-workflow', active: false, modified: true },
      { name: 'hello-text', active: true, modified: false },
    ]);
    expect((await pageNodes(page)).length).toBe(6);
    // This tab's undo history is its own: nothing to take back here.
    await page.locator('#fg-canvas').focus();
    await page.keyboard.press('Control+z');
    expect((await pageNodes(page)).length).toBe(6);

    // Back to the first tab: its graph, its view, its undo history.
    await page.locator('.fg-workflow-tab').first().click();
    const back = await pageNodes(page);
    expect(widgetValue(back, 'EditorSaveSwatch', 'size')).toBe(49);
    expect(await view()).toEqual(swatchView);
    await page.locator('#fg-canvas').focus();
    await page.keyboard.press('Control+z');
    expect(widgetValue(await pageNodes(page), 'EditorSaveSwatch', 'size')).toBe(48);
    await until('no unsaved marker once undone', async () => ((await tabs())[0]!.modified ? undefined : true));
    await page.keyboard.press('Control+y');
    expect(widgetValue(await pageNodes(page), 'EditorSaveSwatch', 'size')).toBe(49);
    await until('the unsaved marker again', async () => ((await tabs())[0]!.modified ? true : undefined));
    await session.screenshot('workflow-tabs');

    // History -> Open of a run of this unsaved tab: a third tab.
    const run = await queueAndWait(page, 'the swatch run');
    await page.click('[data-tab="history"]');
    await page.locator(`.fg-history-item[data-prompt-id="${run.id}"] [data-action="open-run"]`).click();
    await until('the run in a third tab', async () => ((await tabs()).length === 3 ? true : undefined));
    expect((await tabs()).map((t) => [t.name, t.active, t.modified])).toEqual([
      ['swatch-workflow', false, true],
      ['hello-text', false, false],
      [`run-${run.id.slice(0, 8)}`, true, false],
    ]);
    // A dropped file onto this unmodified tab replaces it: nothing unsaved is lost.
    await dropFile(page, 'again.json', SWATCH);
    await until('the drop in the run tab', async () => ((await tabs())[2]?.name === 'again' ? true : undefined));
    expect((await tabs()).length).toBe(3);

    // Closing: an unmodified tab goes at once; an unsaved one asks first.
    await page.locator('.fg-workflow-tab').nth(1).locator('.fg-tab-close').click();
    expect((await tabs()).map((t) => t.name)).toEqual(['swatch-workflow', 'again']);
    await page.locator('.fg-workflow-tab').first().locator('.fg-tab-close').click();
    await dialog().waitFor();
    expect(await dialog().textContent()).toContain('swatch-workflow');
    await session.screenshot('workflow-tabs-close-unsaved');
    await dialog().locator('[data-choice="cancel"]').click();
    expect((await tabs()).map((t) => t.name)).toEqual(['swatch-workflow', 'again']);
    expect(widgetValue(await pageNodes(page), 'EditorSaveSwatch', 'size')).toBe(49);
    // The tab shows its run's output again.
    expect((await pageNodes(page)).find((n) => n.type === 'EditorSaveSwatch')!.media).toHaveLength(1);
    await page.locator('.fg-workflow-tab').first().locator('.fg-tab-close').click();
    await dialog().locator('[data-choice="discard"]').click();
    await until('the tab closed', async () => ((await tabs()).length === 1 ? true : undefined));
    expect((await tabs())[0]).toEqual({ name: 'again', active: true, modified: false });
    // New: this unmodified, unsaved tab becomes the new empty one.
    await page.click('[data-action="new"]');
    expect((await tabs()).length).toBe(1);
    expect(await pageNodes(page)).toHaveLength(0);
    expectNoErrors();
  });

  it('saves through /userdata as ComfyUI does, lists files ComfyUI saved, and saves as, renames and deletes them', { timeout: 60_000 }, async () => {
    await dropFile(page, 'swatch-workflow.json', SWATCH);
    await until('the swatch workflow', async () => ((await pageNodes(page)).length === 2 ? true : undefined));
    // Save asks for a name: a folder and a space in it, as ComfyUI allows.
    await page.locator('#fg-canvas').focus();
    await page.keyboard.press('Control+s');
    const field = dialog().locator('.fg-ask-value');
    await field.waitFor();
    expect(await field.inputValue()).toBe('swatch-workflow');
    await page.keyboard.press('Control+a');
    await page.keyboard.type('portraits/my swatch');
    await page.keyboard.press('Enter');
    await until('the saved file', async () => ((await listed()).includes('portraits/my swatch.json') ? true : undefined));
    const saved = (await (await userdata('workflows/portraits/my swatch.json')).json()) as { nodes: { type: string; widgets_values: unknown[] }[] };
    expect(saved.nodes.map((n) => n.type).sort()).toEqual(['EditorSaveSwatch', 'EditorSlowSteps']);
    await until('the tab named after the file', async () => ((await tabs())[0]?.name === 'my swatch' ? true : undefined));
    expect((await tabs())[0]!.modified).toBe(false);

    // Edited and saved again: no question, same file.
    await bumpSize();
    await until('the unsaved marker', async () => ((await tabs())[0]!.modified ? true : undefined));
    await page.keyboard.press('Control+s');
    await until('the saved edit', async () => {
      const file = (await (await userdata('workflows/portraits/my swatch.json')).json()) as typeof saved;
      return file.nodes.find((n) => n.type === 'EditorSaveSwatch')?.widgets_values[1] === 49 ? true : undefined;
    });
    await until('no unsaved marker', async () => ((await tabs())[0]!.modified ? undefined : true));
    expect(await dialog().count()).toBe(0);

    // A file saved by ComfyUI's frontend: POST /userdata/workflows%2F<name>.json?overwrite=false&full_info=true.
    const posted = await fetch(`${session.server.url}/api/userdata/${encodeURIComponent('workflows/from comfy.json')}?overwrite=false&full_info=true`, {
      method: 'POST',
      body: JSON.stringify(JSON.parse(COMFY_UI_FILE)),
    });
    expect(posted.status).toBe(200);
    await page.click('[data-sidebar="workflows"]');
    await page.locator('[data-action="refresh-workflows"]').click();
    const comfyRow = page.locator('.fg-saved-workflow[data-path="from comfy.json"]');
    await comfyRow.waitFor();
    expect(await page.locator('.fg-saved-workflow[data-path="portraits/my swatch.json"]').count()).toBe(1);
    await comfyRow.locator('.fg-saved-open').click();
    await until('the ComfyUI file in its own tab', async () => ((await tabs()).length === 2 && (await tabs())[1]!.active ? true : undefined));
    expect((await tabs())[1]).toEqual({ name: 'from comfy', active: true, modified: false });
    expect((await pageNodes(page)).map((n) => n.type)).toContain('StringConcatenate');
    // A second click on an open file shows its tab.
    await page.locator('.fg-saved-workflow[data-path="portraits/my swatch.json"] .fg-saved-open').click();
    expect((await tabs()).map((t) => t.active)).toEqual([true, false]);
    await comfyRow.locator('.fg-saved-open').click();

    // Save As: another file; the tab follows it.
    await page.click('[data-action="save-as"]');
    await field.waitFor();
    await field.fill('copy of comfy');
    await dialog().locator('[data-choice="ok"]').click();
    await until('the copy', async () => ((await listed()).includes('copy of comfy.json') ? true : undefined));
    expect(await listed()).toEqual(['copy of comfy.json', 'from comfy.json', 'portraits/my swatch.json']);
    await until('the tab following the copy', async () => ((await tabs())[1]!.name === 'copy of comfy' ? true : undefined));
    // Save As onto an existing name asks before replacing it.
    await page.click('[data-action="save-as"]');
    await field.fill('from comfy');
    await page.keyboard.press('Enter');
    await until('the replace question', async () => ((await dialog().textContent())?.includes('already exists') ? true : undefined));
    await dialog().locator('[data-choice="cancel"]').click();

    // Rename from the sidebar: moved on the server, the open tab renamed with it.
    await page.locator('.fg-saved-workflow[data-path="copy of comfy.json"] [data-action="rename"]').click();
    await field.fill('renamed');
    await page.keyboard.press('Enter');
    await until('the renamed file', async () => ((await listed()).includes('renamed.json') ? true : undefined));
    expect(await listed()).toEqual(['from comfy.json', 'portraits/my swatch.json', 'renamed.json']);
    await until('the tab renamed', async () => ((await tabs())[1]!.name === 'renamed' ? true : undefined));
    await page.locator('.fg-saved-workflow[data-path="renamed.json"]').waitFor();
    await session.screenshot('workflows-sidebar');

    // Delete, once confirmed.
    await comfyRow.locator('[data-action="delete"]').click();
    await dialog().locator('[data-choice="delete"]').click();
    await until('the deleted file gone', async () => ((await listed()).includes('from comfy.json') ? undefined : true));
    await until('the row gone', async () => ((await comfyRow.count()) === 0 ? true : undefined));

    // After a reload the tabs are back, each with its file and graph.
    await page.click('[data-sidebar="workflows"]');
    await page.locator('.fg-workflow-tab').first().click();
    await bumpSize();
    await until('the unsaved marker', async () => ((await tabs())[0]!.modified ? true : undefined));
    await page.locator('.fg-workflow-tab').nth(1).click();
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await tabs()).toEqual([
      { name: 'my swatch', active: false, modified: true },
      { name: 'renamed', active: true, modified: false },
    ]);
    expect((await pageNodes(page)).map((n) => n.type)).toContain('StringConcatenate');
    await page.locator('.fg-workflow-tab').first().click();
    expect(widgetValue(await pageNodes(page), 'EditorSaveSwatch', 'size')).toBe(50);

    // Open… from the toolbar while this tab is unsaved: the file opens in a new tab.
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('[data-action="open"]')]);
    await chooser.setFiles({ name: 'picked.json', mimeType: 'application/json', buffer: Buffer.from(SWATCH) });
    await until('the picked file in a third tab', async () => ((await tabs()).length === 3 ? true : undefined));
    expect(await tabs()).toEqual([
      { name: 'my swatch', active: false, modified: true },
      { name: 'renamed', active: false, modified: false },
      { name: 'picked', active: true, modified: false },
    ]);
    expectNoErrors();
  });
});
