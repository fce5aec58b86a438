// Multi-line text widgets as real textareas over the canvas (client/src/text-widgets.ts): typing
// with real keys, canvas shortcuts kept out of the text, Ctrl+Enter queueing, pan/zoom, linked
// inputs, deletion and export/reload. Skips where /usr/bin/chromium is missing, as editor.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, CHROMIUM, centreOn, REPOSITORY_ROOT, dropFile, ensureEditorBundle, openEditor, pageNodes, toClient, until, type EditorSession, type PageNode } from './harness.ts';

if (!browserAvailable) {
  if (process.env.FLASHGRAPH_REQUIRE_BROWSER === '1') throw new Error(`FLASHGRAPH_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing`);
  console.warn(`[e2e] ${CHROMIUM} not found: the text widget browser tests are skipped`);
}

// Node 1 feeds PreviewAny; node 3's text input is linked from node 1 (its textarea greyed).
const PROMPT = {
  '1': { class_type: 'PrimitiveStringMultiline', inputs: { value: 'first line' } },
  '2': { class_type: 'PreviewAny', inputs: { source: ['1', 0] } },
  '3': { class_type: 'PrimitiveStringMultiline', inputs: { value: ['1', 0] } },
};

const widgetValue = (node: PageNode | undefined, name: string) => node?.widgets.find((w) => w.name === name)?.value;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

describe.skipIf(!browserAvailable)('multi-line text widgets in headless Chromium', () => {
  let session: EditorSession;
  let page: EditorSession['page'];

  /** The textarea of a node's widget, its client box (undefined while hidden) and state. */
  const textarea = (nodeId: number, name = 'value') => page.locator(`textarea.fg-textarea[data-node="${nodeId}"][data-widget="${name}"]`);
  const boxOf = async (nodeId: number, name = 'value'): Promise<Box | undefined> => {
    const area = textarea(nodeId, name);
    if ((await area.count()) === 0 || !(await area.isVisible())) return undefined;
    return (await area.boundingBox()) ?? undefined;
  };
  /** Where the widget's box starts in page coordinates (its left edge at the node margin). */
  const widgetOrigin = async (nodeId: number, name = 'value') => {
    const at = await page.evaluate(
      ({ nodeId, name }) => {
        const editor = (globalThis as unknown as { flashgraph: { shownGraph: { getNodeById(id: number): { pos: number[]; widgets: { name: string; y: number }[] } } } }).flashgraph;
        const node = editor.shownGraph.getNodeById(nodeId);
        const widget = node.widgets.find((w) => w.name === name)!;
        return [node.pos[0]! + 15, node.pos[1]! + widget.y] as [number, number];
      },
      { nodeId, name },
    );
    return toClient(page, at);
  };
  const close = (a: number, b: number) => Math.abs(a - b) < 2;

  beforeAll(async () => {
    ensureEditorBundle();
    session = await openEditor();
    page = session.page;
  }, 60_000);

  afterAll(async () => {
    await session?.close();
  });

  it('types into a textarea, keeps canvas shortcuts out of it, queues with Ctrl+Enter', { timeout: 60_000 }, async () => {
    await dropFile(page, 'multiline.api.json', JSON.stringify(PROMPT));
    const nodes = await until('the dropped prompt', async () => {
      const list = await pageNodes(page);
      return list.length === 3 ? list : undefined;
    });
    const source = nodes.find((n) => n.type === 'PrimitiveStringMultiline' && widgetValue(n, 'value') === 'first line')!;
    const linked = nodes.find((n) => n.type === 'PrimitiveStringMultiline' && n.id !== source.id)!;
    await centreOn(page, source.id);
    await until('the textarea', async () => boxOf(source.id));
    expect(await textarea(source.id).inputValue()).toBe('first line');
    // The linked input's textarea is there but greyed.
    await centreOn(page, linked.id);
    await until('the linked textarea', async () => boxOf(linked.id));
    expect(await textarea(linked.id).isDisabled()).toBe(true);
    await centreOn(page, source.id);
    await session.screenshot('40-text-widget');

    // Select the node by its title, then type in its textarea: Delete must not remove the node.
    const title = await toClient(page, [source.pos[0] + 60, source.pos[1] - 15]);
    await page.mouse.click(...title);
    await textarea(source.id).click();
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Delete');
    await page.keyboard.type('a cat, 猫');
    await page.keyboard.press('Enter');
    await page.keyboard.type('second line x');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Delete');
    expect(await pageNodes(page)).toHaveLength(3);
    const typed = 'a cat, 猫\nsecond line ';
    expect(widgetValue((await pageNodes(page)).find((n) => n.id === source.id), 'value')).toBe(typed);
    // Ctrl+C / Ctrl+V copy text, not nodes.
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Control+c');
    await page.keyboard.press('ArrowRight');
    expect(await pageNodes(page)).toHaveLength(3);
    await session.screenshot('41-text-typed');

    // Ctrl+Enter from the textarea queues; PreviewAny shows the typed text.
    await page.keyboard.press('Control+Enter');
    const preview = await until('the PreviewAny text', async () => {
      const node = (await pageNodes(page)).find((n) => n.type === 'PreviewAny');
      return node && node.texts.length > 0 ? node : undefined;
    });
    expect(preview.texts[0]).toBe(typed);
    expect(await textarea(source.id).inputValue()).toBe(typed);
    await session.screenshot('42-text-queued');
  });

  it('follows pan and zoom, hides when zoomed far out', { timeout: 60_000 }, async () => {
    const source = (await pageNodes(page)).find((n) => n.type === 'PrimitiveStringMultiline' && String(widgetValue(n, 'value')).startsWith('a cat'))!;
    await centreOn(page, source.id);
    const before = await until('the textarea', async () => boxOf(source.id));
    const origin = await widgetOrigin(source.id);
    expect(close(before.x, origin[0]) && close(before.y, origin[1])).toBe(true);

    // Pan by dragging the empty canvas.
    const empty = await toClient(page, [source.pos[0] - 150, source.pos[1] - 120]);
    await page.mouse.move(...empty);
    await page.mouse.down();
    await page.mouse.move(empty[0] + 60, empty[1] + 40, { steps: 5 });
    await page.mouse.up();
    const panned = await until('the textarea after the pan', async () => {
      const box = await boxOf(source.id);
      return box && close(box.x, before.x + 60) && close(box.y, before.y + 40) ? box : undefined;
    });
    const pannedOrigin = await widgetOrigin(source.id);
    expect(close(panned.x, pannedOrigin[0]) && close(panned.y, pannedOrigin[1])).toBe(true);

    // Zoom in with the wheel over the canvas: the textarea scales with the node.
    await page.mouse.move(empty[0] + 60, empty[1] + 40);
    await page.mouse.wheel(0, -300);
    const zoomed = await until('the textarea after the zoom', async () => {
      const box = await boxOf(source.id);
      return box && box.width > panned.width * 1.05 ? box : undefined;
    });
    const zoomedOrigin = await widgetOrigin(source.id);
    expect(close(zoomed.x, zoomedOrigin[0]) && close(zoomed.y, zoomedOrigin[1])).toBe(true);
    await session.screenshot('43-text-zoomed');

    // Far out, below the low-quality threshold, the textarea hides (the canvas draws its box).
    for (let i = 0; i < 12; i++) await page.mouse.wheel(0, 300);
    await until('the textarea hidden', async () => ((await boxOf(source.id)) === undefined ? true : undefined));
    expect(await page.evaluate(() => (globalThis as unknown as { flashgraph: { canvas: { low_quality: boolean } } }).flashgraph.canvas.low_quality)).toBe(true);
    await session.screenshot('44-text-zoomed-out');
    await centreOn(page, source.id);
    await page.evaluate(() => {
      const editor = (globalThis as unknown as { flashgraph: { canvas: { ds: { scale: number }; setDirty(a: boolean, b: boolean): void } } }).flashgraph;
      editor.canvas.ds.scale = 1;
      editor.canvas.setDirty(true, true);
    });
    await centreOn(page, source.id);
    const back = await until('the textarea back', async () => boxOf(source.id));

    // Drag the node's bottom-right corner: the box takes the new room.
    const size = await page.evaluate((id) => {
      const editor = (globalThis as unknown as { flashgraph: { shownGraph: { getNodeById(id: number): { size: number[] } } } }).flashgraph;
      return editor.shownGraph.getNodeById(id).size as [number, number];
    }, source.id);
    const corner = await toClient(page, [source.pos[0] + size[0] - 4, source.pos[1] + size[1] - 4]);
    await page.mouse.move(...corner);
    await page.mouse.down();
    await page.mouse.move(corner[0] + 40, corner[1] + 30, { steps: 4 });
    await page.mouse.move(corner[0] + 80, corner[1] + 60, { steps: 4 });
    await page.mouse.up();
    const resized = await until('the resized textarea', async () => {
      const box = await boxOf(source.id);
      return box && box.height > back.height + 40 && box.width > back.width + 60 ? box : undefined;
    });
    expect(resized.height).toBeGreaterThan(back.height + 40);
    await session.screenshot('44b-text-resized');
  });

  it('exports and reloads the text exactly, removes the textarea of a deleted node', { timeout: 60_000 }, async () => {
    const typed = 'a cat, 猫\nsecond line ';
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="export"]')]);
    const exported = join(session.base, 'text.json');
    await download.saveAs(exported);
    const workflow = JSON.parse(readFileSync(exported, 'utf8')) as { nodes: { type: string; widgets_values: unknown[] }[] };
    expect(workflow.nodes.filter((n) => n.type === 'PrimitiveStringMultiline').map((n) => n.widgets_values[0])).toContain(typed);

    // The autosave brings it back after a reload, and so does opening the exported file.
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    const restored = await pageNodes(page);
    const source = restored.find((n) => widgetValue(n, 'value') === typed)!;
    expect(source).toBeDefined();
    await dropFile(page, 'text.json', readFileSync(exported, 'utf8'));
    await until('the reopened file', async () => ((await pageNodes(page)).some((n) => widgetValue(n, 'value') === typed) ? true : undefined));
    await centreOn(page, source.id);
    await until('the textarea of the reopened file', async () => ((await textarea(source.id).count()) === 1 && (await textarea(source.id).inputValue()) === typed ? true : undefined));

    // Collapsed, the node hides its textarea; expanded, it shows again.
    const collapse = () =>
      page.evaluate((id) => {
        const editor = (globalThis as unknown as { flashgraph: { shownGraph: { getNodeById(id: number): { collapse(): void } }; canvas: { setDirty(a: boolean, b: boolean): void } } }).flashgraph;
        editor.shownGraph.getNodeById(id).collapse();
        editor.canvas.setDirty(true, true);
      }, source.id);
    await collapse();
    await until('the textarea hidden with its node collapsed', async () => ((await boxOf(source.id)) === undefined ? true : undefined));
    await collapse();
    await until('the textarea back with its node expanded', async () => boxOf(source.id));

    // Delete the node (selected by its title, the canvas focused): its textarea goes.
    const node = (await pageNodes(page)).find((n) => n.id === source.id)!;
    const title = await toClient(page, [node.pos[0] + 60, node.pos[1] - 15]);
    await page.mouse.click(...title);
    await page.keyboard.press('Delete');
    await until('the node removed', async () => ((await pageNodes(page)).length === 2 ? true : undefined));
    await until('its textarea removed', async () => ((await textarea(source.id).count()) === 0 ? true : undefined));
    await session.screenshot('45-text-node-deleted');
    // A new workflow leaves no textarea behind.
    await page.click('[data-action="new"]');
    await until('no textareas', async () => ((await page.locator('textarea.fg-textarea').count()) === 0 ? true : undefined));
    expect(session.pageErrors).toEqual([]);
  });

  it('shows the textareas of a subgraph only while it is open', { timeout: 60_000 }, async () => {
    await dropFile(page, 'multiline.api.json', JSON.stringify(PROMPT));
    const nodes = await until('the dropped prompt', async () => {
      const list = await pageNodes(page);
      return list.length === 3 ? list : undefined;
    });
    const source = nodes.find((n) => widgetValue(n, 'value') === 'first line')!;
    // Convert the source node into a subgraph (as the context menu's "Convert to Subgraph").
    await page.evaluate((id) => {
      const editor = (globalThis as unknown as { flashgraph: { graph: { getNodeById(id: number): unknown; convertToSubgraph(items: Set<unknown>): unknown }; canvas: { setDirty(a: boolean, b: boolean): void } } }).flashgraph;
      editor.graph.convertToSubgraph(new Set([editor.graph.getNodeById(id)]));
      editor.canvas.setDirty(true, true);
    }, source.id);
    const root = await until('the subgraph node', async () => {
      const list = await pageNodes(page);
      return list.length === 3 && !list.some((n) => widgetValue(n, 'value') === 'first line') ? list : undefined;
    });
    const visibleAreas = () => page.locator('textarea.fg-textarea:visible');
    // At the root only the linked node's textarea shows; the converted node's one is gone.
    await until('one textarea at the root', async () => ((await visibleAreas().count()) === 1 ? true : undefined));
    const outer = root.find((n) => n.type !== 'PrimitiveStringMultiline' && n.type !== 'PreviewAny')!;
    await page.evaluate((id) => {
      const editor = (globalThis as unknown as { flashgraph: { graph: { getNodeById(id: number): unknown }; openSubgraphOf(node: unknown): void } }).flashgraph;
      editor.openSubgraphOf(editor.graph.getNodeById(id));
    }, outer.id);
    const inner = await until('the node inside', async () => (await pageNodes(page)).find((n) => widgetValue(n, 'value') === 'first line'));
    await centreOn(page, inner.id);
    await until('the inner textarea', async () => ((await visibleAreas().count()) === 1 && (await boxOf(inner.id)) ? true : undefined));
    expect(await textarea(inner.id).inputValue()).toBe('first line');
    await session.screenshot('46-text-in-subgraph');
    await page.evaluate(() => (globalThis as unknown as { flashgraph: { navigateTo(depth: number): void } }).flashgraph.navigateTo(0));
    await until('the inner textarea hidden at the root', async () => ((await visibleAreas().count()) === 1 && (await page.locator('textarea.fg-textarea').count()) <= 2 ? true : undefined));
    expect(session.pageErrors).toEqual([]);
  });

  it("lays out FlashPortrait's prompt boxes in the sampler and queues unicode text exactly", { timeout: 60_000 }, async () => {
    await dropFile(page, 'flashportrait-demo.json', readFileSync(join(REPOSITORY_ROOT, 'workflows', 'flashportrait-demo.json'), 'utf8'));
    const sampler = await until('the demo workflow', async () => (await pageNodes(page)).find((n) => n.type === 'FlashPortraitSampler'));
    await centreOn(page, sampler.id);
    const prompt = await until('the prompt textarea', async () => boxOf(sampler.id, 'prompt'));
    const negative = await until('the negative prompt textarea', async () => boxOf(sampler.id, 'negative_prompt'));
    expect(await textarea(sampler.id, 'prompt').inputValue()).toBe('The man is singing');
    // One below the other, above the next widget (seed), inside the node.
    const seedTop = await page.evaluate((id) => {
      const editor = (globalThis as unknown as { flashgraph: { shownGraph: { getNodeById(id: number): { pos: number[]; widgets: { name: string; y: number }[] } } } }).flashgraph;
      const node = editor.shownGraph.getNodeById(id);
      return [node.pos[0]!, node.pos[1]! + node.widgets.find((w) => w.name === 'seed')!.y] as [number, number];
    }, sampler.id);
    const seed = await toClient(page, seedTop);
    expect(prompt.y + prompt.height).toBeLessThanOrEqual(negative.y + 1);
    expect(negative.y + negative.height).toBeLessThanOrEqual(seed[1] + 1);
    expect(prompt.height).toBeGreaterThanOrEqual(40);

    const text = '模糊, 静止\n  tabs\tand "quotes" — ✓';
    await textarea(sampler.id, 'negative_prompt').click();
    await page.keyboard.press('Control+a');
    await page.keyboard.insertText(text);
    // Leaving the textarea (a click on empty canvas) commits: undo and autosave take the new text.
    await page.mouse.click(...(await toClient(page, [sampler.pos[0] - 200, sampler.pos[1] + 650])));
    const queued = await page.evaluate((id) => {
      const editor = (globalThis as unknown as { flashgraph: { apiPrompt(): { prompt: Record<string, { inputs: Record<string, unknown> }> } } }).flashgraph;
      return editor.apiPrompt().prompt[String(id)]!.inputs.negative_prompt;
    }, sampler.id);
    expect(queued).toBe(text);
    const saved = await page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('flashgraph.workflow') ?? '');
    expect(saved).toContain(JSON.stringify(text).slice(1, -1));
    await session.screenshot('47-flashportrait-prompts');
    // Undo takes the edit back into the textarea.
    await page.keyboard.press('Control+z');
    await until('the undone text', async () => ((await textarea(sampler.id, 'negative_prompt').inputValue()) === 'blurry, static' ? true : undefined));
    // The demo's input files (reference.png, driving.mp4) are not on this server: their previews 404.
    expect(session.pageErrors.filter((e) => !/status of 404/.test(e))).toEqual([]);
  });
});
