// Seeing the graph, end to end: an opened example is fitted into the view with no node over
// another; `.` fits the view again after panning; the zoom buttons and the minimap move the view;
// Ctrl+G puts a group around the selection; hovering a link's midpoint shows what it joins; a node
// that grows when it shows its output pushes the node under it down. Mouse and keyboard only.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserAvailable, dropFile, pageNodes, queueAndWait, toClient, until } from './harness.ts';
import { sharedEditor } from './shared-editor.ts';

interface Box {
  id: number;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Each node of the shown graph as a page rectangle (title bar included), and the canvas's. */
async function boxes(page: Page): Promise<{ nodes: Box[]; canvas: Omit<Box, 'id'>; scale: number; offset: [number, number] }> {
  return page.evaluate(() => {
    type Node = { id: number; pos: number[]; size: number[] };
    const editor = (globalThis as unknown as {
      flashgraph: {
        shownGraph: { _nodes: Node[] };
        canvas: { ds: { scale: number; offset: number[]; convertOffsetToCanvas(p: number[]): number[] }; canvas: { getBoundingClientRect(): { left: number; top: number; right: number; bottom: number } } };
      };
    }).flashgraph;
    const rect = editor.canvas.canvas.getBoundingClientRect();
    const at = (x: number, y: number) => editor.canvas.ds.convertOffsetToCanvas([x, y]);
    const nodes = editor.shownGraph._nodes.map((node) => {
      const [left, top] = at(node.pos[0]!, node.pos[1]! - 30);
      const [right, bottom] = at(node.pos[0]! + node.size[0]!, node.pos[1]! + node.size[1]!);
      return { id: node.id, left: rect.left + left!, top: rect.top + top!, right: rect.left + right!, bottom: rect.top + bottom! };
    });
    return { nodes, canvas: { left: rect.left, top: rect.top, right: rect.right, bottom: rect.bottom }, scale: editor.canvas.ds.scale, offset: [editor.canvas.ds.offset[0]!, editor.canvas.ds.offset[1]!] };
  });
}

const overlapping = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

function overlaps(nodes: Box[]): [number, number][] {
  return nodes.flatMap((a, i) => nodes.slice(i + 1).filter((b) => overlapping(a, b)).map((b): [number, number] => [a.id, b.id]));
}

/** A workflow where a Save Swatch (it shows its image once run) sits right above a primitive. */
const GROWING = {
  last_node_id: 2,
  last_link_id: 0,
  nodes: [
    { id: 1, type: 'EditorSaveSwatch', pos: [100, 100], size: [240, 110], flags: {}, order: 0, mode: 0, inputs: [], outputs: [], properties: {}, widgets_values: [200, 32, 'grow'] },
    { id: 2, type: 'PrimitiveInt', pos: [120, 260], size: [240, 90], flags: {}, order: 1, mode: 0, inputs: [], outputs: [{ name: 'INT', type: 'INT', links: null }], properties: {}, widgets_values: [5, 'fixed'] },
  ],
  links: [],
  version: 0.4,
};

describe.skipIf(!browserAvailable)('seeing the graph (headless Chromium)', () => {
  const editor = sharedEditor();

  it('fits an opened example with no overlaps; `.`, the zoom buttons and the minimap move the view', { timeout: 60_000 }, async () => {
    const { page, session } = editor;
    await page.locator('button[data-action="examples"]').click();
    await page.locator('button[data-example="flashportrait-demo"]').click();
    await until('the demo', async () => ((await pageNodes(page)).length === 8 ? true : undefined));
    const fitted = await boxes(page);
    for (const node of fitted.nodes) {
      expect(node.left).toBeGreaterThanOrEqual(fitted.canvas.left);
      expect(node.right).toBeLessThanOrEqual(fitted.canvas.right);
      expect(node.top).toBeGreaterThanOrEqual(fitted.canvas.top);
      expect(node.bottom).toBeLessThanOrEqual(fitted.canvas.bottom);
    }
    expect(overlaps(fitted.nodes)).toEqual([]);
    await session.screenshot('view-01-demo-fitted');

    // Drag the empty canvas away, then `.`: the same fitted view.
    const empty = [fitted.canvas.left + 20, fitted.canvas.bottom - 20] as const;
    await page.mouse.move(...empty);
    await page.mouse.down();
    await page.mouse.move(empty[0] + 200, empty[1] - 300, { steps: 8 });
    await page.mouse.up();
    expect((await boxes(page)).offset).not.toEqual(fitted.offset);
    await page.keyboard.press('.');
    const refitted = await boxes(page);
    expect(refitted.scale).toBeCloseTo(fitted.scale, 5);
    expect(refitted.offset[0]).toBeCloseTo(fitted.offset[0], 3);
    expect(refitted.offset[1]).toBeCloseTo(fitted.offset[1], 3);

    // The zoom buttons: 1.2 times in, then back out; the level shown follows.
    await page.locator('button[data-action="zoom-in"]').click();
    expect((await boxes(page)).scale).toBeCloseTo(fitted.scale * 1.2, 5);
    // The label is redrawn on the editor's next update.
    await until('the zoom level shown', async () => ((await page.locator('.fg-zoom-level').textContent()) === `${Math.round(fitted.scale * 120)}%` ? true : undefined));
    await page.locator('button[data-action="zoom-out"]').click();
    expect((await boxes(page)).scale).toBeCloseTo(fitted.scale, 5);

    // A click on the minimap's top-left corner brings that corner of the graph to the middle.
    const minimap = (await page.locator('.fg-minimap canvas').boundingBox())!;
    await page.mouse.click(minimap.x + 8, minimap.y + 8);
    const moved = await boxes(page);
    const topLeft = moved.nodes.reduce((a, b) => (a.left + a.top < b.left + b.top ? a : b));
    const middle = [(moved.canvas.left + moved.canvas.right) / 2, (moved.canvas.top + moved.canvas.bottom) / 2];
    expect(Math.abs(topLeft.left - middle[0]!)).toBeLessThan(120);
    expect(Math.abs(topLeft.top - middle[1]!)).toBeLessThan(120);
    await session.screenshot('view-02-minimap-click');
    // The minimap can be hidden (and comes back).
    await page.locator('button[data-action="toggle-minimap"]').click();
    expect(await page.locator('.fg-minimap').count()).toBe(0);
    await page.locator('button[data-action="toggle-minimap"]').click();
    expect(await page.locator('.fg-minimap').count()).toBe(1);
    await page.keyboard.press('.');
  });

  it('groups the selection with Ctrl+G and shows what a link joins on hover', { timeout: 60_000 }, async () => {
    const { page, session } = editor;
    const nodes = await pageNodes(page);
    const pick = (type: string) => nodes.find((node) => node.type === type)!;
    const [first, second] = [pick('GetVideoComponents'), pick('FlashPortraitFeatureExtractor')];
    const selected = () =>
      page.evaluate(() => [...(globalThis as unknown as { flashgraph: { canvas: { selectedItems: Set<{ id: number }> } } }).flashgraph.canvas.selectedItems].map((item) => item.id).sort());
    await page.mouse.click(...(await toClient(page, [first.pos[0] + 60, first.pos[1] - 15])), { delay: 20 });
    await until('the first node selected', async () => ((await selected()).includes(first.id) ? true : undefined));
    await page.keyboard.down('Shift');
    await page.mouse.click(...(await toClient(page, [second.pos[0] + 60, second.pos[1] - 15])), { delay: 20 });
    await page.keyboard.up('Shift');
    expect(await selected()).toEqual([first.id, second.id].sort());
    await page.keyboard.press('Control+g');
    const groups = await page.evaluate(() => {
      const editor = (globalThis as unknown as { flashgraph: { shownGraph: { _groups: { title: string; nodes: { id: number }[]; _bounding: number[] }[] } } }).flashgraph;
      return editor.shownGraph._groups.map((group) => ({ title: group.title, nodes: group.nodes.map((node) => node.id).sort() }));
    });
    expect(groups).toEqual([{ title: 'Group', nodes: [first.id, second.id].sort() }]);
    await page.mouse.click(...(await toClient(page, [first.pos[0] + 100, first.pos[1] + 200])));

    // The link from the video's frames to the feature extractor: hover its midpoint.
    const link = await page.evaluate(
      ([from, to]) => {
        const editor = (globalThis as unknown as { flashgraph: { shownGraph: { links: Map<number, { origin_id: number; target_id: number; _pos: number[] }> } } }).flashgraph;
        const found = [...editor.shownGraph.links.values()].find((l) => l.origin_id === from && l.target_id === to)!;
        return [found._pos[0]!, found._pos[1]!] as [number, number];
      },
      [first.id, second.id],
    );
    const point = await toClient(page, link);
    await page.mouse.move(point[0] + 40, point[1] + 40);
    await page.mouse.move(...point, { steps: 4 });
    const hovered = await until('the link tooltip', async () =>
      page.evaluate(() => {
        const editor = (globalThis as unknown as { flashgraph: { canvas: { over_link_center?: { type: string } } } }).flashgraph;
        return editor.canvas.over_link_center?.type;
      }),
    );
    expect(hovered).toBe('IMAGE');
    await page.waitForTimeout(100);
    const shot = await session.screenshot('view-03-group-and-link-tooltip');
    expect(shot).toContain('view-03');
    await page.mouse.move(10, 500);
  });

  it('pushes the node under a node that grows to show its output', { timeout: 60_000 }, async () => {
    const { page, session } = editor;
    await page.locator('button[data-action="new"]').click();
    await dropFile(page, 'growing.json', JSON.stringify(GROWING));
    await until('the growing workflow', async () => ((await pageNodes(page)).length === 2 ? true : undefined));
    const before = await boxes(page);
    expect(overlaps(before.nodes)).toEqual([]);
    const entry = await queueAndWait(page, 'the swatch run');
    expect(entry.status).toBe('success');
    const after = await until('the swatch to show its image', async () => {
      const shown = await boxes(page);
      const swatch = shown.nodes.find((node) => node.id === 1)!;
      return swatch.bottom - swatch.top > before.nodes.find((node) => node.id === 1)!.bottom - before.nodes.find((node) => node.id === 1)!.top + 50 ? shown : undefined;
    });
    expect(overlaps(after.nodes)).toEqual([]);
    // The primitive moved down by what the swatch grew; it kept its x.
    const [swatchBefore, primitiveBefore] = [before.nodes[0]!, before.nodes[1]!];
    const [swatchAfter, primitiveAfter] = [after.nodes[0]!, after.nodes[1]!];
    expect(primitiveAfter.top - primitiveBefore.top).toBeCloseTo(swatchAfter.bottom - swatchBefore.bottom, 3);
    expect(primitiveAfter.left).toBeCloseTo(primitiveBefore.left, 3);
    await session.screenshot('view-04-grown-node-pushed-its-neighbour');
    expect(session.pageErrors.filter((error) => !error.includes('404 (Not Found)'))).toEqual([]);
  });
});
