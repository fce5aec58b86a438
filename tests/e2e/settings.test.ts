// Settings and keys, end to end: the settings dialog changes the theme, the link style, snapping
// to the grid, the minimap and autosave at once, and keeps them on the server through ComfyUI's
// /settings routes under ComfyUI's setting ids (ComfyUI_frontend v1.27.10
// src/platform/settings/constants/coreSettings.ts), so they survive a reload; the shortcuts panel
// lists the keys; information notices close by themselves, errors stay until New.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserAvailable, dropFile, pageNodes, REPOSITORY_ROOT, toClient, until } from './harness.ts';
import { sharedEditor } from './shared-editor.ts';

const SWATCH = readFileSync(join(REPOSITORY_ROOT, 'tests', 'e2e', 'fixtures', 'swatch-workflow.json'), 'utf8');

/** The canvas's colour at an empty spot of the page (RGB). */
async function canvasColour(page: Page, at: [number, number]): Promise<number[]> {
  return page.evaluate((at) => {
    type Canvas = { width: number; clientWidth: number; getBoundingClientRect(): { left: number; top: number }; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } };
    const editor = (globalThis as unknown as { flashgraph: { canvas: { draw(a: boolean, b: boolean): void; canvas: Canvas; bgcanvas: Canvas } } }).flashgraph;
    editor.canvas.draw(true, true);
    const element = editor.canvas.bgcanvas;
    const rect = editor.canvas.canvas.getBoundingClientRect();
    const ratio = element.width / editor.canvas.canvas.clientWidth;
    return Array.from(element.getContext('2d').getImageData(Math.round((at[0] - rect.left) * ratio), Math.round((at[1] - rect.top) * ratio), 1, 1).data).slice(0, 3);
  }, at);
}

describe.skipIf(!browserAvailable)('settings, shortcuts and notices (headless Chromium)', () => {
  const editor = sharedEditor();
  const stored = async () => (await (await fetch(`${editor.session.server.url}/settings`)).json()) as Record<string, unknown>;

  it('changes the theme, link style, snapping, minimap and autosave, keeps them through /settings, and they survive a reload', { timeout: 90_000 }, async () => {
    const { page, session } = editor;
    await dropFile(page, 'swatch-workflow.json', SWATCH);
    await until('the swatch workflow', async () => ((await pageNodes(page)).length === 2 ? true : undefined));
    // Right of the side bar's icons and clear of the nodes, the canvas controls and the minimap.
    const empty: [number, number] = [600, 760];
    const dark = await canvasColour(page, empty);
    expect(Math.max(...dark)).toBeLessThan(80);

    await page.locator('button[data-action="settings"]').click();
    const dialog = page.locator('fg-settings-dialog .fg-dialog');
    await dialog.waitFor();
    await dialog.locator('select[data-setting="Comfy.ColorPalette"]').selectOption({ label: 'Light' });
    await dialog.locator('select[data-setting="Comfy.LinkRenderMode"]').selectOption({ label: 'Straight' });
    await dialog.locator('input[data-setting="pysssss.SnapToGrid"]').check();
    await dialog.locator('input[data-setting="Comfy.SnapToGrid.GridSize"]').fill('50');
    await dialog.locator('input[data-setting="Comfy.SnapToGrid.GridSize"]').press('Enter');
    await dialog.locator('input[data-setting="Comfy.Minimap.Visible"]').uncheck();
    await session.screenshot('settings-01-dialog-light');
    await until('the settings on the server', async () => {
      const values = await stored();
      return values['Comfy.SnapToGrid.GridSize'] === 50 && values['Comfy.Minimap.Visible'] === false ? values : undefined;
    });
    expect(await stored()).toEqual({ 'Comfy.ColorPalette': 'light', 'Comfy.LinkRenderMode': 0, 'pysssss.SnapToGrid': true, 'Comfy.SnapToGrid.GridSize': 50, 'Comfy.Minimap.Visible': false });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // In effect: a light canvas, straight links, no minimap, and a dragged node lands on the grid.
    expect(Math.min(...(await canvasColour(page, empty)))).toBeGreaterThan(180);
    expect(await page.evaluate(() => (globalThis as unknown as { flashgraph: { canvas: { links_render_mode: number } } }).flashgraph.canvas.links_render_mode)).toBe(0);
    expect(await page.locator('.fg-minimap').count()).toBe(0);
    const node = (await pageNodes(page))[0]!;
    const title = await toClient(page, [node.pos[0] + 50, node.pos[1] - 15]);
    await page.mouse.move(...title);
    await page.mouse.down();
    await page.mouse.move(title[0] + 37, title[1] + 61, { steps: 6 });
    await page.mouse.up();
    const dragged = (await pageNodes(page)).find((n) => n.id === node.id)!;
    expect(dragged.pos[0] % 50).toBe(0);
    expect(dragged.pos[1] % 50).toBe(0);
    await session.screenshot('settings-02-light-straight-snapped');

    // After a reload the server's settings apply again.
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.getAttribute('html', 'data-theme')).toBe('light');
    expect(await page.locator('.fg-minimap').count()).toBe(0);
    expect(await pageNodes(page)).toHaveLength(2);

    // Autosave off: the next reload starts empty; back on, and dark again.
    await page.keyboard.press('Control+,');
    await dialog.locator('input[data-setting="Comfy.Workflow.Persist"]').uncheck();
    await until('autosave off on the server', async () => ((await stored())['Comfy.Workflow.Persist'] === false ? true : undefined));
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect(await pageNodes(page)).toHaveLength(0);
    await page.keyboard.press('Control+,');
    await dialog.locator('input[data-setting="Comfy.Workflow.Persist"]').check();
    await dialog.locator('select[data-setting="Comfy.ColorPalette"]').selectOption({ label: 'Dark' });
    await dialog.locator('input[data-setting="Comfy.Minimap.Visible"]').check();
    await page.keyboard.press('Escape');
    expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
    expect(await page.locator('.fg-minimap').count()).toBe(1);
  });

  it('lists the keyboard shortcuts in a panel (? or the Keys button)', { timeout: 30_000 }, async () => {
    const { page, session } = editor;
    await page.locator('#fg-canvas').click({ position: { x: 30, y: 30 } });
    await page.keyboard.press('Shift+Slash');
    const panel = page.locator('fg-shortcuts-panel .fg-dialog');
    await panel.waitFor({ timeout: 5000 });
    const rows = await panel.locator('tr').allTextContents();
    for (const keys of ['Ctrl+Enter', 'Ctrl+O', 'Ctrl+B', 'Ctrl+M', 'Ctrl+G', '.', 'Ctrl+,']) expect(rows.some((row) => row.startsWith(keys))).toBe(true);
    await session.screenshot('settings-03-shortcuts-panel');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    await page.locator('button[data-action="shortcuts"]').click();
    await panel.waitFor();
    await page.locator('fg-shortcuts-panel .fg-close').click();
    await panel.waitFor({ state: 'detached' });
  });

  it('closes information notices by themselves, keeps errors until New', { timeout: 30_000 }, async () => {
    const { page, session } = editor;
    await page.keyboard.press('Control+,');
    const dialog = page.locator('fg-settings-dialog .fg-dialog');
    await dialog.locator('input[data-setting="FlashGraph.Notices.CloseAfterSeconds"]').fill('1');
    await dialog.locator('input[data-setting="FlashGraph.Notices.CloseAfterSeconds"]').press('Enter');
    await page.keyboard.press('Escape');
    // An old Loader's two values: an information notice says they were matched by type.
    const loader = { last_node_id: 1, last_link_id: 0, nodes: [{ id: 1, type: 'FlashPortraitLoader', pos: [0, 0], size: [300, 120], flags: {}, order: 0, mode: 0, outputs: [], properties: {}, widgets_values: ['bf16', true] }], links: [], version: 0.4 };
    await dropFile(page, 'old-loader.json', JSON.stringify(loader));
    const info = page.locator('.fg-notice.info', { hasText: 'matched to their widgets by type' });
    await info.waitFor({ timeout: 5000 });
    await dropFile(page, 'broken.json', '{"nodes": [');
    const error = page.locator('.fg-notice.error', { hasText: 'broken.json was not opened' });
    await error.waitFor({ timeout: 5000 });
    await info.waitFor({ state: 'detached', timeout: 5000 });
    await page.waitForTimeout(1500);
    expect(await error.count()).toBe(1);
    await session.screenshot('settings-04-error-notice-stays');
    await page.locator('button[data-action="new"]').click();
    expect(await page.locator('.fg-notice').count()).toBe(0);
    expect(session.pageErrors.filter((e) => !e.includes('404 (Not Found)'))).toEqual([]);
  });
});
