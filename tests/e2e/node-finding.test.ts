// Finding nodes, driven as a person does: the node library sidebar (categories, search, pack
// badges, a drag onto the canvas), the search dialog's input and output type filters, and a link
// released on empty canvas, which opens the search filtered by the link's type and connects the
// node chosen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectInfo } from '../../types/api.ts';
import { browserAvailable, ensureEditorBundle, openEditor, pageNodes, socketPosition, toClient, until, type EditorSession } from './harness.ts';

interface PageLink {
  origin: number;
  originSlot: number;
  target: number;
  targetSlot: number;
  type: string;
}

async function links(page: EditorSession['page']): Promise<PageLink[]> {
  return page.evaluate(() => {
    const editor = (globalThis as unknown as { flashgraph: { graph: { serialize(): { links: [number, number, number, number, number, string][] } } } }).flashgraph;
    return editor.graph.serialize().links.map(([, origin, originSlot, target, targetSlot, type]) => ({ origin, originSlot, target, targetSlot, type }));
  });
}

describe.skipIf(!browserAvailable)('finding nodes', () => {
  let session: EditorSession;
  let page: EditorSession['page'];
  let objectInfo: ObjectInfo;

  beforeAll(async () => {
    ensureEditorBundle();
    session = await openEditor();
    page = session.page;
    objectInfo = (await (await fetch(`${session.server.url}/object_info`)).json()) as ObjectInfo;
  }, 60_000);

  afterAll(async () => {
    await session?.close();
  });

  it('node library: categories, search with pack badges, drag onto the canvas', async () => {
    await page.click('[data-action="new"]');
    await page.click('[data-sidebar="nodes"]');
    const library = page.locator('fg-node-library');
    // Folders open on click: testing › editor holds the test pack's classes.
    await library.locator('[data-category="testing"] > .fg-library-category').click();
    await library.locator('[data-category="testing/editor"] > .fg-library-category').click();
    const slowItem = library.locator('.fg-library-node[data-type="EditorSlowSteps"]');
    expect(await slowItem.locator('.fg-library-name').textContent()).toBe('Slow Steps');
    // The pack badge: ComfyUI's node source of python_module custom_nodes.editor-test-pack.
    expect(objectInfo.EditorSlowSteps!.python_module).toBe('custom_nodes.editor-test-pack');
    expect(await slowItem.locator('.fg-pack-badge').textContent()).toBe('editor-test-pack');
    await session.screenshot('node-library-categories');

    // Drag the class onto the canvas with the mouse.
    const box = (await slowItem.boundingBox())!;
    const canvasBox = (await page.locator('#fg-canvas').boundingBox())!;
    const drop: [number, number] = [canvasBox.x + canvasBox.width * 0.35, canvasBox.y + canvasBox.height * 0.3];
    await page.mouse.move(box.x + 20, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + 60, box.y + 40, { steps: 4 });
    await page.mouse.move(...drop, { steps: 8 });
    await page.mouse.up();
    const added = await until('the dragged node', async () => (await pageNodes(page)).find((node) => node.type === 'EditorSlowSteps'));
    const [x, y] = await toClient(page, added.pos);
    expect(Math.abs(x - drop[0])).toBeLessThan(2);
    expect(Math.abs(y - drop[1])).toBeLessThan(2);

    // Search: core and pack classes alike, each with its pack.
    await library.locator('.fg-library-search').fill('load image');
    const found = library.locator('.fg-library-node[data-type="LoadImage"]');
    await found.waitFor();
    expect(await found.locator('.fg-pack-badge').textContent()).toBe('Comfy Core');
    await library.locator('.fg-library-search').fill('swatch');
    await library.locator('.fg-library-node[data-type="EditorSaveSwatch"]').waitFor();
    expect(await library.locator('.fg-library-node').count()).toBe(1);
    await session.screenshot('node-library-search');
    // A click adds the class in the middle of the view.
    await library.locator('.fg-library-node[data-type="EditorSaveSwatch"]').click();
    await until('the clicked node', async () => (await pageNodes(page)).find((node) => node.type === 'EditorSaveSwatch'));
    await page.click('[data-sidebar="nodes"]');
    expect(await library.count()).toBe(0);
  });

  it('search dialog filters by input and output type', async () => {
    await page.click('[data-action="new"]');
    const canvasBox = (await page.locator('#fg-canvas').boundingBox())!;
    const dialog = page.locator('.fg-node-search');
    for (let attempt = 1; ; attempt++) {
      await page.mouse.dblclick(canvasBox.x + 300, canvasBox.y + 200);
      try {
        await dialog.waitFor({ timeout: 3000 });
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
    const shown = async () => page.locator('.fg-node-search .fg-search-item').evaluateAll((items) => items.map((item) => (item as unknown as { dataset: { type: string } }).dataset.type));
    const types = (spec: unknown) => (Array.isArray(spec) && Array.isArray(spec[0]) ? 'COMBO' : String((spec as unknown[])[0]));
    const inputTypes = (name: string) => [...Object.values(objectInfo[name]!.input.required), ...Object.values(objectInfo[name]!.input.optional ?? {})].map(types);
    const outputTypes = (name: string) => objectInfo[name]!.output.map((o) => (Array.isArray(o) ? 'COMBO' : o));

    await page.locator('.fg-search-output-type').selectOption('IMAGE');
    const givingImages = await until('results giving an IMAGE', async () => {
      const list = await shown();
      return list.length > 0 && list.every((name) => outputTypes(name).some((t) => t === 'IMAGE' || t === '*')) ? list : undefined;
    });
    expect(givingImages).toContain('LoadImage');
    expect(givingImages).not.toContain('EditorSaveSwatch');
    await page.keyboard.type('load');
    await until('LoadImage first', async () => ((await shown())[0] === 'LoadImage' ? true : undefined));
    await session.screenshot('node-search-output-filter');

    await page.locator('.fg-search-output-type').selectOption('');
    await page.locator('.fg-search-input-type').selectOption('VIDEO');
    await page.locator('.fg-search-query').fill('');
    const takingVideo = await until('results taking a VIDEO', async () => {
      const list = await shown();
      return list.length > 0 && list.every((name) => inputTypes(name).some((t) => t === 'VIDEO' || t === '*')) ? list : undefined;
    });
    expect(takingVideo).toContain('GetVideoComponents');
    expect(takingVideo).toContain('SaveVideo');
    expect(takingVideo).not.toContain('LoadImage');
    // Arrow keys and Enter pick a result.
    await page.locator('.fg-search-query').fill('components');
    await until('one result', async () => ((await shown()).length === 1 ? true : undefined));
    await page.keyboard.press('Enter');
    const nodes = await until('the picked node', async () => {
      const list = await pageNodes(page);
      return list.length === 1 ? list : undefined;
    });
    expect(nodes[0]!.type).toBe('GetVideoComponents');
    expect(await dialog.count()).toBe(0);
  });

  it('a link released on empty canvas opens the search filtered by its type and connects the chosen node', async () => {
    await page.click('[data-action="new"]');
    await page.click('[data-sidebar="nodes"]');
    await page.locator('.fg-library-search').fill('slow steps');
    const item = page.locator('.fg-library-node[data-type="EditorSlowSteps"]');
    await item.click();
    await page.click('[data-sidebar="nodes"]');
    const slow = await until('the slow node', async () => (await pageNodes(page)).find((node) => node.type === 'EditorSlowSteps'));
    // Drag from its INT output to empty canvas on the right.
    const from = await toClient(page, await socketPosition(page, slow.id, false, 0));
    const release: [number, number] = [from[0] + 260, from[1] + 60];
    await page.mouse.move(...from);
    await page.mouse.down();
    await page.mouse.move(from[0] + 100, from[1] + 20, { steps: 5 });
    await page.mouse.move(...release, { steps: 5 });
    await page.mouse.up();
    const dialog = page.locator('.fg-node-search');
    await dialog.waitFor();
    expect(await page.locator('.fg-search-input-type').inputValue()).toBe('INT');
    const offered = await page.locator('.fg-node-search .fg-search-item').evaluateAll((items) => items.map((item) => (item as unknown as { dataset: { type: string } }).dataset.type));
    expect(offered).toContain('EditorSaveSwatch');
    expect(offered).not.toContain('LoadImage');
    await page.keyboard.type('swatch');
    await session.screenshot('link-release-search');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    const swatch = await until('the connected swatch', async () => (await pageNodes(page)).find((node) => node.type === 'EditorSaveSwatch'));
    expect(await links(page)).toEqual([{ origin: slow.id, originSlot: 0, target: swatch.id, targetSlot: 0, type: 'INT' }]);
    const [x, y] = await toClient(page, swatch.pos);
    expect(Math.abs(x - release[0])).toBeLessThan(2);
    expect(Math.abs(y - release[1])).toBeLessThan(2);
    await session.screenshot('link-release-connected');

    // Undo takes the new node and its link back in one step.
    await page.locator('#fg-canvas').focus();
    await page.keyboard.press('Control+z');
    expect((await pageNodes(page)).map((node) => node.type)).toEqual(['EditorSlowSteps']);
    expect(await links(page)).toEqual([]);

    // From an input backwards: the search offers classes giving the input's type.
    const to = await toClient(page, await socketPosition(page, slow.id, true, 0));
    await page.mouse.move(...to);
    await page.mouse.down();
    await page.mouse.move(to[0] - 120, to[1] + 10, { steps: 5 });
    await page.mouse.move(to[0] - 250, to[1] + 40, { steps: 5 });
    await page.mouse.up();
    await dialog.waitFor();
    expect(await page.locator('.fg-search-output-type').inputValue()).toBe('INT');
    await page.keyboard.press('Escape');
    expect(await dialog.count()).toBe(0);
    expect(await pageNodes(page)).toHaveLength(1);
    expect(session.pageErrors).toEqual([]);
  });
});
