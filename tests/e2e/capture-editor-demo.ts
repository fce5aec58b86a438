// Takes docs/images/editor-demo.png: the editor after running the FlashPortrait demo workflow on
// the demo model set (`graph models demo`), as a user does it: the file dropped on the canvas,
// Ctrl+Enter, the outputs shown on the nodes.
//   node --import tsx tests/e2e/capture-editor-demo.ts [out.png]
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dropFile, ensureEditorBundle, historyEntries, openEditor, REPOSITORY_ROOT, until } from './harness.ts';

const out = process.argv[2] ?? join(REPOSITORY_ROOT, 'docs', 'images', 'editor-demo.png');
ensureEditorBundle();
const session = await openEditor({
  viewport: { width: 2400, height: 790 },
  prepareBase: (base) => {
    execFileSync(process.execPath, ['bin/graph.js', 'models', 'demo', '--base-directory', base], { cwd: REPOSITORY_ROOT, stdio: 'ignore' });
  },
});
try {
  const { page } = session;
  await dropFile(page, 'flashportrait-demo.json', readFileSync(join(REPOSITORY_ROOT, 'workflows', 'flashportrait-demo.json'), 'utf8'));
  await until('the dropped workflow', async () => (await page.evaluate(() => (globalThis as unknown as { flashgraph: { shownGraph: { _nodes: unknown[] } } }).flashgraph.shownGraph._nodes.length)) === 8);
  await page.locator('#fg-canvas').focus();
  await page.keyboard.press('Control+Enter');
  // The demo takes 20-60 s on a busy 2-core machine.
  const entry = await until('the demo run', async () => (await historyEntries(page)).find((e) => e.status !== undefined), 240_000);
  if (entry.status !== 'success') throw new Error(`the demo run ended with ${entry.status}: ${JSON.stringify(await page.evaluate(() => (globalThis as unknown as { flashgraph: { history: [string, { status?: unknown }][] } }).flashgraph.history.map(([, e]) => e.status)))}`);
  // The whole graph in view (its nodes span about 2370 x 710 canvas units), the run in the History tab.
  await page.evaluate(() => {
    const editor = (globalThis as unknown as { flashgraph: { canvas: { ds: { scale: number; offset: [number, number] }; setDirty(a: boolean, b: boolean): void } } }).flashgraph;
    editor.canvas.ds.scale = 0.8;
    editor.canvas.ds.offset = [-30, 10];
    editor.canvas.setDirty(true, true);
  });
  await page.locator('button[data-tab="history"]').click();
  await page.waitForTimeout(1500);
  copyFileSync(await session.screenshot('editor-demo'), out);
  console.log(out);
} finally {
  await session.close();
}
