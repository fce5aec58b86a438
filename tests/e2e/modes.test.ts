// Node modes in the editor, end to end: Ctrl+M mutes and Ctrl+B bypasses the selected nodes, on
// the root and inside a subgraph; the node menu's Mode entry offers Always, Never and Bypass
// (litegraph's On Event and On Trigger are gone); muted nodes are drawn faded and bypassed ones
// purple as in ComfyUI's frontend (src/scripts/app.ts #addDrawNodeHandler: alpha 0.4 muted,
// 0.2 with NODE_BYPASS_BGCOLOR #FF00FF bypassed, v1.27.10); queueing a graph whose outputs are
// all muted says so; a run leaves muted nodes out and passes bypassed ones through.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { breadcrumb, browserAvailable, doubleClickBody, dropFile, pageNodes, queueAndWait, REPOSITORY_ROOT, toClient, until, type EditorSession, type PageNode } from './harness.ts';
import { sharedEditor } from './shared-editor.ts';

const FIXTURES = join(REPOSITORY_ROOT, 'tests', 'e2e', 'fixtures');
const SUBGRAPH_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

const byType = (nodes: PageNode[], type: string) => nodes.find((node) => node.type === type)!;

/** The modes of the shown graph's nodes by type. */
async function modes(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const editor = (globalThis as unknown as { flashgraph: { shownGraph: { _nodes: { type: string; mode: number }[] } } }).flashgraph;
    return Object.fromEntries(editor.shownGraph._nodes.map((node) => [node.type, node.mode]));
  });
}

interface PageCanvas {
  width: number;
  clientWidth: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** The canvas pixel (RGBA) at a point of graph space, as drawn on the last frame. */
async function pixelAt(page: Page, point: [number, number]): Promise<number[]> {
  return page.evaluate((point) => {
    const editor = (globalThis as unknown as {
      flashgraph: { canvas: { draw(a: boolean, b: boolean): void; ds: { convertOffsetToCanvas(p: number[]): number[] }; canvas: PageCanvas } };
    }).flashgraph;
    editor.canvas.draw(true, true);
    const [x, y] = editor.canvas.ds.convertOffsetToCanvas(point);
    const ratio = editor.canvas.canvas.width / editor.canvas.canvas.clientWidth;
    return Array.from(editor.canvas.canvas.getContext('2d')!.getImageData(Math.round(x! * ratio), Math.round(y! * ratio), 1, 1).data);
  }, point);
}

/** A click on a node's title bar: selects it alone. */
async function clickTitle(page: Page, node: PageNode): Promise<void> {
  await page.mouse.click(...(await toClient(page, [node.pos[0] + 60, node.pos[1] - 15])), { delay: 20 });
}

/** Right-click on a node's title, Mode, then the entry `pick`; returns the entries the Mode menu listed. */
async function pickMode(page: Page, node: PageNode, pick: string, session?: EditorSession, screenshot?: string): Promise<string[]> {
  const [x, y] = await toClient(page, [node.pos[0] + 60, node.pos[1] - 15]);
  await page.mouse.click(x, y, { button: 'right' });
  await page.locator('.litecontextmenu .litemenu-entry', { hasText: /^Mode$/ }).first().click();
  const submenu = page.locator('.litecontextmenu').last();
  await submenu.locator('.litemenu-entry', { hasText: pick }).first().waitFor({ timeout: 5000 });
  const entries = (await submenu.locator('.litemenu-entry').allTextContents()).map((text) => text.trim());
  if (session && screenshot) await session.screenshot(screenshot);
  await submenu.locator('.litemenu-entry', { hasText: pick }).first().click();
  return entries;
}

describe.skipIf(!browserAvailable)('node modes in the editor (headless Chromium)', () => {
  const editor = sharedEditor();

  it('mutes and bypasses with the keys and the Mode menu, on the root and inside a subgraph, and runs accordingly', { timeout: 90_000 }, async () => {
    const { page, session } = editor;
    await dropFile(page, 'subgraph-workflow.json', readFileSync(join(FIXTURES, 'subgraph-workflow.json'), 'utf8'));
    const root = await until('the dropped workflow', async () => {
      const nodes = await pageNodes(page);
      return nodes.length === 3 ? nodes : undefined;
    });
    const preview = byType(root, 'PreviewAny');
    const inside: [number, number] = [preview.pos[0] + 200, preview.pos[1] + 100];
    const before = await pixelAt(page, inside);

    // Ctrl+M mutes the selected PreviewAny: drawn at 0.4 alpha, so nearer the background.
    await clickTitle(page, preview);
    await page.keyboard.press('Control+m');
    expect((await modes(page)).PreviewAny).toBe(2);
    const muted = await pixelAt(page, inside);
    expect(muted).not.toEqual(before);

    // Ctrl+B on the primitive: purple (red and blue well above green), Ctrl+B again: back on.
    const primitive = byType(root, 'PrimitiveInt');
    await clickTitle(page, primitive);
    await page.keyboard.press('Control+b');
    expect((await modes(page)).PrimitiveInt).toBe(4);
    const [r, g, b] = await pixelAt(page, [primitive.pos[0] + 200, primitive.pos[1] + 60]);
    expect(r! - g!).toBeGreaterThan(20);
    expect(b! - g!).toBeGreaterThan(20);
    await session.screenshot('modes-01-root-muted-and-bypassed');
    await page.keyboard.press('Control+b');
    expect((await modes(page)).PrimitiveInt).toBe(0);

    // Inside the subgraph: bypass the slow node with Ctrl+B, mute the swatch from the Mode menu.
    await doubleClickBody(page, byType(root, SUBGRAPH_ID));
    expect(await breadcrumb(page)).toEqual(['Root', 'Slow swatch']);
    const inner = await pageNodes(page);
    await clickTitle(page, byType(inner, 'EditorSlowSteps'));
    await page.keyboard.press('Control+b');
    const entries = await pickMode(page, byType(inner, 'EditorSaveSwatch'), 'Never', session, 'modes-02-mode-menu');
    expect(entries).toEqual(['Always', 'Never (mute)', 'Bypass']);
    expect(await modes(page)).toMatchObject({ EditorSlowSteps: 4, EditorSaveSwatch: 2 });
    // Litegraph's "On Trigger" added execution sockets; no node gained any.
    expect(byType(await pageNodes(page), 'EditorSlowSteps').widgets.length).toBe(byType(inner, 'EditorSlowSteps').widgets.length);
    await session.screenshot('modes-03-subgraph-bypassed-and-muted');

    // Every output is muted now: queueing says so and queues nothing.
    await page.locator('#fg-canvas').focus();
    await page.keyboard.press('Control+Enter');
    const notice = page.locator('.fg-notice.error', { hasText: 'every output node is muted or bypassed' });
    await notice.waitFor({ timeout: 5000 });
    expect(await notice.textContent()).toContain('Save Swatch (in subgraph Slow swatch) is muted');
    expect(await notice.textContent()).toContain('Preview Any is muted');
    await session.screenshot('modes-04-nothing-to-run');

    // The swatch back on: the run leaves the muted preview out and sends the primitive straight
    // into the swatch through the bypassed slow node.
    await pickMode(page, byType(inner, 'EditorSaveSwatch'), 'Always');
    expect((await modes(page)).EditorSaveSwatch).toBe(0);
    const entry = await queueAndWait(page, 'the run with a bypassed node');
    expect(entry.status).toBe('success');
    expect(Object.keys(entry.prompt).sort()).toEqual(['1', '2:2', '2:3']);
    expect(entry.prompt['2:2']!.inputs.red).toEqual(['1', 0]);
    expect(entry.outputs['2:2']?.images).toHaveLength(1);

    // The modes survive a reload (autosave) and show on the subgraph's nodes.
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect((await modes(page)).PreviewAny).toBe(2);
    expect(session.pageErrors).toEqual([]);
  });

  it("opens a node saved in litegraph's On Trigger mode as always, without its execution sockets", { timeout: 30_000 }, async () => {
    const { page } = editor;
    const triggered = {
      last_node_id: 1,
      last_link_id: 0,
      nodes: [{
        id: 1, type: 'PrimitiveInt', pos: [100, 100], size: [240, 110], flags: {}, order: 0, mode: 3,
        inputs: [{ name: 'onTrigger', type: -1, link: null, nameLocked: true }],
        outputs: [{ name: 'INT', type: 'INT', links: null }, { name: 'onExecuted', type: -1, links: null, nameLocked: true }],
        properties: {}, widgets_values: [3, 'fixed'],
      }],
      links: [],
      version: 0.4,
    };
    await dropFile(page, 'triggered.json', JSON.stringify(triggered));
    await until('the triggered node', async () => ((await pageNodes(page))[0]?.type === 'PrimitiveInt' ? true : undefined));
    const node = await page.evaluate(() => {
      const editor = (globalThis as unknown as { flashgraph: { shownGraph: { _nodes: { mode: number; inputs: { name: string }[]; outputs: { name: string }[] }[] } } }).flashgraph;
      const [only] = editor.shownGraph._nodes;
      return { mode: only!.mode, inputs: only!.inputs.map((i) => i.name), outputs: only!.outputs.map((o) => o.name) };
    });
    expect(node).toEqual({ mode: 0, inputs: ['value'], outputs: ['INT'] });
  });
});
