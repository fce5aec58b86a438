// Subgraphs in the editor, end to end: a dropped ComfyUI workflow with a subgraph shows its
// subgraph node, runs with progress on it and outputs on the inner nodes, opens on a
// double-click, takes edits inside, converts a selection to a subgraph, exports files the CLI
// runs, and survives a reload. Real server, built bundle, headless Chromium, real input events.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  breadcrumb, browserAvailable, CHROMIUM, doubleClickBody, dropFile, ensureEditorBundle, openEditor, pageNodes, queueAndWait, REPOSITORY_ROOT, runCli, toClient, until, widgetBox,
  type EditorSession, type PageNode,
} from './harness.ts';

const requireBrowser = process.env.FLASHGRAPH_REQUIRE_BROWSER === '1';
if (!browserAvailable && requireBrowser) throw new Error(`FLASHGRAPH_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install chromium)`);

const FIXTURES = join(REPOSITORY_ROOT, 'tests', 'e2e', 'fixtures');
const SUBGRAPH_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

const byType = (nodes: PageNode[], type: string) => nodes.find((node) => node.type === type);
const widgetValue = (node: PageNode | undefined, name: string) => node?.widgets.find((w) => w.name === name)?.value;

/** Inner nodes of every subgraph definition, with what the page shows on them. */
async function innerNodes(page: Page): Promise<{ subgraph: string; id: number; type: string; media: string[]; widgets: { name: string; value: unknown }[] }[]> {
  return page.evaluate(() => {
    type AnyNode = Record<string, any>;
    const editor = (globalThis as unknown as { flashgraph: { graph: { subgraphs: Map<string, { _nodes: AnyNode[] }> } } }).flashgraph;
    return [...editor.graph.subgraphs].flatMap(([subgraph, graph]) =>
      graph._nodes.map((node) => ({
        subgraph,
        id: node.id,
        type: node.type,
        media: (node.media ?? []).map((m: { url: string }) => m.url),
        widgets: (node.widgets ?? []).map((w: { name: string; value: unknown }) => ({ name: w.name, value: w.value })),
      })),
    );
  });
}

/** Two clicks on a number widget's right arrow. */
async function clickArrow(page: Page, nodeId: number, widget: string, times: number): Promise<void> {
  const { right } = await widgetBox(page, nodeId, widget);
  const [x, y] = await toClient(page, right);
  for (let i = 0; i < times; i++) {
    // Another spot each time: litegraph reads a second click on the very same pixel as a double-click.
    await page.mouse.click(x - i * 2, y, { delay: 20 });
  }
}

/** Selects nodes by their titles (shift-click adds to the selection), then "Convert to Subgraph" from the right-click menu. */
async function convertSelection(page: Page, nodes: PageNode[], session: EditorSession, screenshot?: string): Promise<void> {
  const titles = await Promise.all(nodes.map((node) => toClient(page, [node.pos[0] + 50, node.pos[1] - 15])));
  const selected = () => page.evaluate(() => (globalThis as unknown as { flashgraph: { canvas: { selectedItems: Set<unknown> } } }).flashgraph.canvas.selectedItems.size);
  // A busy machine can turn a slow click into a drag that selects nothing new: select again.
  for (let attempt = 1; ; attempt++) {
    await page.mouse.click(...titles[0]!, { delay: 20 });
    await page.keyboard.down('Shift');
    for (const title of titles.slice(1)) await page.mouse.click(...title, { delay: 20 });
    await page.keyboard.up('Shift');
    if ((await selected()) === nodes.length || attempt === 3) break;
  }
  expect(await selected()).toBe(nodes.length);
  const last = titles.at(-1)!;
  await page.mouse.click(last[0] + 10, last[1], { button: 'right' });
  const entry = page.locator('.litecontextmenu .litemenu-entry', { hasText: 'Convert to Subgraph' });
  await entry.first().waitFor({ timeout: 5000 });
  if (screenshot) await session.screenshot(screenshot);
  await entry.first().click();
}

describe.skipIf(!browserAvailable)('subgraphs in the editor (headless Chromium)', () => {
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

  it('opens a ComfyUI file with a subgraph, runs it, edits inside it, exports a file the CLI runs, restores it after a reload', { timeout: 120_000 }, async () => {
    await dropFile(page, 'subgraph-workflow.json', readFileSync(join(FIXTURES, 'subgraph-workflow.json'), 'utf8'));
    const loaded = await until('the dropped subgraph workflow', async () => {
      const nodes = await pageNodes(page);
      return nodes.length === 3 ? nodes : undefined;
    });
    // 1. The subgraph node: its title, sockets and promoted widget, as ComfyUI's frontend shows it.
    const instance = byType(loaded, SUBGRAPH_ID)!;
    expect(instance.title).toBe('Slow swatch');
    expect(widgetValue(instance, 'size')).toBe(40);
    const sockets = await page.evaluate((id) => {
      const editor = (globalThis as unknown as { flashgraph: { graph: { getNodeById(id: number): { inputs: { name: string; link: number | null }[]; outputs: { name: string; links: number[] | null }[] } } } }).flashgraph;
      const node = editor.graph.getNodeById(id);
      return { inputs: node.inputs.map((i) => [i.name, i.link !== null]), outputs: node.outputs.map((o) => [o.name, (o.links ?? []).length]) };
    }, instance.id);
    expect(sockets).toEqual({ inputs: [['value', true], ['size', false]], outputs: [['value', 1]] });
    expect(await page.locator('.fg-notice.error').count()).toBe(0);
    await session.screenshot('30-subgraph-dropped');

    // 2. Edit the promoted widget on the root (40 -> 42), queue: the subgraph node runs with progress.
    await clickArrow(page, instance.id, 'size', 2);
    expect(widgetValue(byType(await pageNodes(page), SUBGRAPH_ID), 'size')).toBe(42);
    await page.locator('#fg-canvas').focus();
    await page.keyboard.press('Control+Enter');
    const running = await until('the subgraph node running with progress', async () => {
      const node = byType(await pageNodes(page), SUBGRAPH_ID);
      return node?.running && (node.progress ?? 0) > 0 ? node : undefined;
    });
    expect(running.progress).toBeGreaterThan(0);
    expect(await page.locator('.fg-running').textContent()).toContain('Slow swatch › Slow Steps');
    await session.screenshot('31-subgraph-node-running');

    const preview = await until('the root PreviewAny text', async () => {
      const node = byType(await pageNodes(page), 'PreviewAny');
      return node && node.texts.length > 0 ? node : undefined;
    });
    expect(preview.texts).toEqual(['7']);
    // The inner SaveSwatch shows its image; the gallery has it too, 42 px wide.
    const swatch = await until('the inner swatch output', async () => {
      const node = (await innerNodes(page)).find((n) => n.type === 'EditorSaveSwatch');
      return node && node.media.length > 0 ? node : undefined;
    });
    expect(swatch.media[0]).toContain('inside-subgraph');
    await page.click('[data-tab="gallery"]');
    const width = await until('the gallery image', async () =>
      page.evaluate(() => {
        const image = (globalThis as unknown as { document: { querySelector(s: string): { complete: boolean; naturalWidth: number } | null } }).document.querySelector('.fg-gallery img');
        return image?.complete && image.naturalWidth > 0 ? image.naturalWidth : undefined;
      }),
    );
    expect(width).toBe(42);
    await until('the run to end', async () => ((await pageNodes(page)).every((n) => !n.running) ? true : undefined));

    // 3. Double-click opens the subgraph; the breadcrumb says where we are.
    await doubleClickBody(page, byType(await pageNodes(page), SUBGRAPH_ID)!);
    expect(await breadcrumb(page)).toEqual(['Root', 'Slow swatch']);
    const inside = await pageNodes(page);
    expect(inside.map((n) => n.type).sort()).toEqual(['EditorSaveSwatch', 'EditorSlowSteps', 'PrimitiveInt']);
    // Control after generate moved the counter inside the subgraph on (10, "increment").
    expect(widgetValue(byType(inside, 'PrimitiveInt'), 'value')).toBe(11);
    expect(byType(inside, 'EditorSaveSwatch')!.media.length).toBe(1);
    await session.screenshot('32-inside-subgraph');
    // Edit a widget inside (steps 4 -> 5), with the same arrow clicks as on the root.
    const slow = byType(inside, 'EditorSlowSteps')!;
    await clickArrow(page, slow.id, 'steps', 1);
    expect(widgetValue(byType(await pageNodes(page), 'EditorSlowSteps'), 'steps')).toBe(5);
    await session.screenshot('33-edited-inside');
    // Undo and redo inside: the canvas stays in the subgraph.
    await page.locator('#fg-canvas').focus();
    await page.keyboard.press('Control+z');
    await until('the undone edit', async () => widgetValue(byType(await pageNodes(page), 'EditorSlowSteps'), 'steps') === 4);
    expect(await breadcrumb(page)).toEqual(['Root', 'Slow swatch']);
    await page.keyboard.press('Control+y');
    await until('the redone edit', async () => widgetValue(byType(await pageNodes(page), 'EditorSlowSteps'), 'steps') === 5);
    expect(await breadcrumb(page)).toEqual(['Root', 'Slow swatch']);
    // Back to the root with the breadcrumb.
    await page.locator('.fg-breadcrumb button.fg-crumb', { hasText: 'Root' }).click();
    await until('the root graph', async () => ((await pageNodes(page)).length === 3 && (await breadcrumb(page)).length === 0 ? true : undefined));

    // The next run has the edit: its API prompt gives the inner node "2:1" 5 steps.
    const run = await queueAndWait(page, 'the second run');
    expect(run.status).toBe('success');
    expect(run.prompt['2:1']).toMatchObject({ class_type: 'EditorSlowSteps', inputs: { steps: 5, value: ['1', 0] } });
    expect(run.prompt['2:2']!.inputs.size).toBe(42);
    expect(run.prompt['2:3']!.inputs.value).toBe(11);
    expect(run.outputs['3']?.text).toEqual(['7']);

    // 5. Save keeps the definitions, with both edits; the CLI runs the file.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="export"]')]);
    const exported = join(session.base, 'subgraph-exported.json');
    await download.saveAs(exported);
    const file = JSON.parse(readFileSync(exported, 'utf8')) as { nodes: { id: number; type: string; widgets_values?: unknown[] }[]; definitions?: { subgraphs: { id: string; name: string; nodes: { type: string; widgets_values: unknown[] }[] }[] } };
    expect(file.definitions?.subgraphs.map((s) => [s.id, s.name])).toEqual([[SUBGRAPH_ID, 'Slow swatch']]);
    // Both inputs that feed widgets inside carry a promoted widget, as ComfyUI saves them ("value" is linked).
    expect(file.nodes.find((n) => n.type === SUBGRAPH_ID)?.widgets_values).toEqual([1, 42]);
    expect(file.definitions!.subgraphs[0]!.nodes.find((n) => n.type === 'EditorSlowSteps')?.widgets_values).toEqual([1, 5, 150]);
    const result = runCli(exported);
    expect(result.status).toBe('success');
    expect(result.outputs['3']?.text).toEqual(['7']);
    expect(result.files.some((f) => /inside-subgraph_\d+_\.png$/.test(f))).toBe(true);

    // Autosave: a reload brings back the subgraph and both edits.
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    const restored = await pageNodes(page);
    expect(restored).toHaveLength(3);
    expect(widgetValue(byType(restored, SUBGRAPH_ID), 'size')).toBe(42);
    expect(widgetValue((await innerNodes(page)).find((n) => n.type === 'EditorSlowSteps') as never, 'steps')).toBe(5);
    expect(await page.locator('.fg-notice.error').count()).toBe(0);
  });

  it('flags a validation error inside a subgraph on the inner node and on the subgraph node around it', { timeout: 60_000 }, async () => {
    // The promoted "size" above the inner node's maximum of 512.
    const invalid = JSON.parse(readFileSync(join(FIXTURES, 'subgraph-workflow.json'), 'utf8')) as { nodes: { id: number; widgets_values?: unknown[] }[] };
    invalid.nodes.find((n) => n.id === 2)!.widgets_values = [9999];
    await dropFile(page, 'invalid-subgraph.json', JSON.stringify(invalid));
    await until('the invalid workflow', async () => widgetValue(byType(await pageNodes(page), SUBGRAPH_ID), 'size') === 9999);
    await page.locator('#fg-canvas').focus();
    await page.keyboard.press('Control+Enter');
    const flagged = await until('the error on the subgraph node', async () => {
      const node = byType(await pageNodes(page), SUBGRAPH_ID);
      return node?.hasErrors ? node : undefined;
    });
    // As in ComfyUI, the server runs the valid outputs (the preview) and names the one it left out.
    const notice = await page.locator('.fg-notice.error').first().textContent();
    expect(notice).toContain('failed validation');
    expect(notice).toContain('#2:2 Save Swatch · size');
    await until('the preview of the valid output', async () => (byType(await pageNodes(page), 'PreviewAny')?.texts[0] === '7' ? true : undefined));
    expect(byType(await pageNodes(page), SUBGRAPH_ID)?.hasErrors).toBe(true);
    await session.screenshot('37-subgraph-validation-error');
    // Inside, the inner node shows which input is wrong.
    await doubleClickBody(page, flagged);
    const swatch = byType(await pageNodes(page), 'EditorSaveSwatch')!;
    expect(swatch.hasErrors).toBe(true);
    expect(swatch.inputErrors.map(([name]) => name)).toEqual(['size']);
    await session.screenshot('38-inner-node-validation-error');

    // A file that uses the subgraph without defining it opens at the root and names it as missing,
    // although the previous file defined it.
    const undefinedSubgraph = { ...invalid, definitions: { subgraphs: [] } };
    await dropFile(page, 'no-definitions.json', JSON.stringify(undefinedSubgraph));
    await until('the root graph', async () => ((await breadcrumb(page)).length === 0 ? true : undefined));
    const missing = await until('the missing-type notice', async () => {
      const texts = await page.locator('.fg-notice.error').allTextContents();
      return texts.find((text) => text.includes('Node types missing'));
    });
    expect(missing).toContain(SUBGRAPH_ID);
    expect(byType(await pageNodes(page), SUBGRAPH_ID)?.hasErrors).toBe(true);
  });

  it('puts an execution error inside a subgraph on the inner node and on the subgraph node', { timeout: 60_000 }, async () => {
    await dropFile(page, 'fail.json', JSON.stringify({ '1': { class_type: 'EditorFail', inputs: { message: 'failed inside a subgraph' } } }));
    const [fail] = await until('the failing node', async () => {
      const list = await pageNodes(page);
      return list.length === 1 && list[0]!.type === 'EditorFail' ? list : undefined;
    });
    // One node converts too (the node's own right-click menu).
    await convertSelection(page, [fail!], session);
    const instance = await until('the subgraph node', async () => {
      const list = await pageNodes(page);
      return list.length === 1 && list[0]!.type !== 'EditorFail' ? list[0] : undefined;
    });
    await page.locator('#fg-canvas').focus();
    await page.keyboard.press('Control+Enter');
    const failed = await until('the error on the subgraph node', async () => {
      const node = (await pageNodes(page))[0];
      return node?.hasErrors ? node : undefined;
    });
    expect(failed.running).toBe(false);
    expect(await page.locator('.fg-notice.error').last().textContent()).toContain(`Node #${instance.id}:1 (EditorFail) failed`);
    // This time the node's ↗ title button opens it.
    const button = await page.evaluate((id) => {
      type Button = { name: string; _last_area: ArrayLike<number> };
      const editor = (globalThis as unknown as { flashgraph: { graph: { getNodeById(id: number): { pos: number[]; title_buttons: Button[] } } } }).flashgraph;
      const node = editor.graph.getNodeById(id);
      const area = node.title_buttons.find((b) => b.name === 'enter_subgraph')!._last_area;
      return [node.pos[0]! + area[0]! + area[2]! / 2, node.pos[1]! + area[1]! + area[3]! / 2] as [number, number];
    }, instance.id);
    await page.mouse.click(...(await toClient(page, button)));
    await until('the subgraph to open', async () => ((await breadcrumb(page)).length === 2 ? true : undefined));
    const inner = (await pageNodes(page))[0]!;
    expect(inner.errorMessage).toContain('failed inside a subgraph');
    await session.screenshot('39-execution-error-inside-subgraph');
    await page.locator('.fg-breadcrumb button.fg-crumb', { hasText: 'Root' }).click();
  });

  it('converts selected nodes to a subgraph from the context menu; the result equals the unconverted graph; undo takes it back', { timeout: 120_000 }, async () => {
    // Int 5 -> (+3) -> (x2) -> Preview: 16.
    const flat = {
      '1': { class_type: 'PrimitiveInt', inputs: { value: 5 } },
      '2': { class_type: 'IntMath', inputs: { a: ['1', 0], b: 3, operation: 'add' } },
      '3': { class_type: 'IntMath', inputs: { a: ['2', 0], b: 2, operation: 'multiply' } },
      '4': { class_type: 'PreviewAny', inputs: { source: ['3', 0] } },
    };
    await dropFile(page, 'flat-math.json', JSON.stringify(flat));
    const nodes = await until('the flat workflow', async () => {
      const list = await pageNodes(page);
      return list.length === 4 && list.every((n) => n.type !== SUBGRAPH_ID) ? list : undefined;
    });
    const before = await queueAndWait(page, 'the unconverted run');
    expect(before.outputs['4']?.text).toEqual(['16']);

    // Select the two IntMath nodes by their titles (shift-click adds to the selection) and convert.
    const [add, multiply] = nodes.filter((n) => n.type === 'IntMath').sort((a, b) => Number(a.id) - Number(b.id)) as [PageNode, PageNode];
    await convertSelection(page, [add, multiply], session, '34-convert-context-menu');
    const converted = await until('the new subgraph node', async () => {
      const list = await pageNodes(page);
      return list.length === 3 && list.some((n) => !['PrimitiveInt', 'PreviewAny'].includes(n.type)) ? list : undefined;
    });
    const subgraphNode = converted.find((n) => !['PrimitiveInt', 'PreviewAny'].includes(n.type))!;
    await session.screenshot('35-converted-to-subgraph');
    // Its input "a" feeds a widget inside: promoted, and greyed since it is linked, as after a file load.
    const slots = await page.evaluate((id) => {
      const editor = (globalThis as unknown as { flashgraph: { graph: { getNodeById(id: number): { inputs: { name: string; link: number | null; widget?: { name: string } }[]; outputs: { links: number[] | null }[] } } } }).flashgraph;
      const node = editor.graph.getNodeById(id);
      return { inputs: node.inputs.map((i) => [i.name, i.link !== null, i.widget?.name]), outputs: node.outputs.map((o) => (o.links ?? []).length) };
    }, subgraphNode.id);
    expect(slots).toEqual({ inputs: [['a', true, 'a']], outputs: [1] });

    const after = await queueAndWait(page, 'the converted run');
    expect(after.status).toBe('success');
    expect(after.outputs['4']?.text).toEqual(before.outputs['4']?.text);
    // The prompt holds the inner nodes under the subgraph node's id.
    const inner = Object.entries(after.prompt).filter(([id]) => id.startsWith(`${subgraphNode.id}:`));
    expect(inner.map(([, node]) => node.class_type)).toEqual(['IntMath', 'IntMath']);
    expect(byType(await pageNodes(page), 'PreviewAny')?.texts).toEqual(['16']);

    // The exported file keeps the new definition and runs in the CLI with the same result.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action="export"]')]);
    const exported = join(session.base, 'converted.json');
    await download.saveAs(exported);
    const file = JSON.parse(readFileSync(exported, 'utf8')) as { definitions?: { subgraphs: { id: string }[] } };
    expect(file.definitions?.subgraphs.map((s) => s.id)).toEqual([subgraphNode.type]);
    expect(runCli(exported).outputs['4']?.text).toEqual(['16']);

    // Nested: open the new subgraph, convert its two nodes into a subgraph inside it, run from the root.
    await doubleClickBody(page, subgraphNode);
    const insideNodes = (await pageNodes(page)).filter((n) => n.type === 'IntMath');
    expect(insideNodes).toHaveLength(2);
    await convertSelection(page, insideNodes, session);
    const nested = await until('the nested subgraph node', async () => {
      const list = await pageNodes(page);
      return list.length === 1 && list[0]!.type !== 'IntMath' ? list[0] : undefined;
    });
    await session.screenshot('36-nested-subgraph');
    await page.locator('.fg-breadcrumb button.fg-crumb', { hasText: 'Root' }).click();
    await until('the root graph', async () => ((await breadcrumb(page)).length === 0 ? true : undefined));
    const deep = await queueAndWait(page, 'the nested run');
    expect(deep.status).toBe('success');
    expect(deep.outputs['4']?.text).toEqual(['16']);
    expect(Object.keys(deep.prompt).filter((id) => id.startsWith(`${subgraphNode.id}:${nested.id}:`))).toHaveLength(2);

    // Undo takes the nested conversion back, then the first one: the four flat nodes again.
    await page.locator('#fg-canvas').focus();
    await page.keyboard.press('Control+z');
    await until('the first conversion only', async () => {
      const types = (await innerNodes(page)).map((n) => n.type);
      return types.length === 2 && types.every((t) => t === 'IntMath') ? true : undefined;
    });
    await page.keyboard.press('Control+z');
    const undone = await until('the unconverted graph', async () => {
      const list = await pageNodes(page);
      return list.length === 4 ? list : undefined;
    });
    expect(undone.map((n) => n.type).sort()).toEqual(['IntMath', 'IntMath', 'PreviewAny', 'PrimitiveInt']);
    // Litegraph 0.17.2 itself logs "Link not found <id>" when it converts nodes fed by a subgraph's
    // input into a nested subgraph (its promoted-widget bookkeeping reads the link it just
    // removed); the conversion and the run are right. Nothing else may have been logged.
    expect(session.pageErrors.filter((e) => !/status of 400/.test(e) && !/^Link not found \d+$/.test(e))).toEqual([]);
  });
});
