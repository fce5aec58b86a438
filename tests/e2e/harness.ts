// Headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) against a real
// FlashGraph server on 127.0.0.1, with the editor bundle built when it is missing or older than
// its sources. Shared by the e2e tests and the editor bench.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../server/api/server.ts';

export const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = '/usr/bin/chromium';
export const TEST_PACKS = join(REPOSITORY_ROOT, 'tests', 'e2e', 'fixtures', 'packs');
export const ARTIFACTS = join(REPOSITORY_ROOT, 'tests', 'e2e', 'artifacts');
const CLIENT = join(REPOSITORY_ROOT, 'client');

export const browserAvailable = existsSync(CHROMIUM);

/** Builds client/dist unless it is newer than every source file of the editor. */
export function ensureEditorBundle(): void {
  const index = join(CLIENT, 'dist', 'index.html');
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const sources = [join(CLIENT, 'index.html'), join(CLIENT, 'vite.config.ts'), ...files(join(CLIENT, 'src')), ...files(join(REPOSITORY_ROOT, 'server', 'workflow'))];
  if (built > 0 && sources.every((file) => statSync(file).mtimeMs <= built)) return;
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'client/vite.config.ts', '--logLevel', 'error'], { cwd: REPOSITORY_ROOT, stdio: 'inherit' });
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)]));
}

export interface EditorSession {
  server: RunningServer;
  base: string;
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far. */
  pageErrors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openEditor(options: { viewport?: { width: number; height: number }; prepareBase?: (base: string) => void } = {}): Promise<EditorSession> {
  const base = mkdtempSync(join(tmpdir(), 'flashgraph-editor-'));
  options.prepareBase?.(base);
  const server = await startServer({ port: 0, host: '127.0.0.1', folders: { base }, packs: { customNodesDirectory: TEST_PACKS }, log: () => {}, onError: () => {} });
  const profile = mkdtempSync(join(tmpdir(), 'flashgraph-chromium-'));
  // A fresh profile per session: launchPersistentContext is playwright's way to pass --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    viewport: options.viewport ?? { width: 1400, height: 860 },
    acceptDownloads: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.goto(server.url + '/');
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    server,
    base,
    context,
    page,
    pageErrors,
    async screenshot(name) {
      const path = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    async close() {
      await context.close().catch(() => undefined);
      await server.close();
      rmSync(profile, { recursive: true, force: true });
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** What the page exposes as `window.flashgraph` (the Editor), seen from the test side. */
export interface PageNode {
  id: number;
  type: string;
  title: string;
  pos: [number, number];
  running: boolean;
  progress: number | undefined;
  errorMessage: string | undefined;
  inputErrors: [string, string][];
  hasErrors: boolean;
  media: string[];
  texts: string[];
  widgets: { name: string; value: unknown }[];
}

export async function pageNodes(page: Page): Promise<PageNode[]> {
  return page.evaluate(() => {
    type AnyNode = Record<string, any>;
    // The graph the canvas shows: the root, or the subgraph the user opened.
    const editor = (globalThis as unknown as { flashgraph: { shownGraph: { _nodes: AnyNode[] } } }).flashgraph;
    return editor.shownGraph._nodes.map((node) => ({
      id: node.id,
      type: node.type,
      title: node.title,
      pos: [node.pos[0], node.pos[1]] as [number, number],
      running: Boolean(node.running),
      progress: node.progress,
      errorMessage: node.errorMessage,
      inputErrors: [...(node.inputErrors ?? new Map())],
      hasErrors: Boolean(node.has_errors),
      media: (node.media ?? []).map((m: { url: string }) => m.url),
      texts: node.texts ?? [],
      widgets: (node.widgets ?? []).map((w: { name: string; value: unknown }) => ({ name: w.name, value: w.value })),
    }));
  });
}

/** Page (client) coordinates of a point in graph space. */
export async function toClient(page: Page, graphPoint: [number, number]): Promise<[number, number]> {
  return page.evaluate((point) => {
    const editor = (globalThis as unknown as { flashgraph: { canvas: { ds: { convertOffsetToCanvas(p: number[]): number[] }; canvas: { getBoundingClientRect(): { left: number; top: number } } } } }).flashgraph;
    const [x, y] = editor.canvas.ds.convertOffsetToCanvas(point);
    const rect = editor.canvas.canvas.getBoundingClientRect();
    return [rect.left + x!, rect.top + y!] as [number, number];
  }, graphPoint);
}

/** Graph-space position of a node's input or output socket. */
export async function socketPosition(page: Page, nodeId: number, input: boolean, slot: number): Promise<[number, number]> {
  return page.evaluate(
    ({ nodeId, input, slot }) => {
      const editor = (globalThis as unknown as { flashgraph: { shownGraph: { getNodeById(id: number): { getConnectionPos(input: boolean, slot: number): number[] } } } }).flashgraph;
      const [x, y] = editor.shownGraph.getNodeById(nodeId).getConnectionPos(input, slot);
      return [x!, y!] as [number, number];
    },
    { nodeId, input, slot },
  );
}

/** Graph-space centre of a node's widget, and the node-local x of its right arrow. */
export async function widgetBox(page: Page, nodeId: number, name: string): Promise<{ left: [number, number]; right: [number, number]; centre: [number, number] }> {
  return page.evaluate(
    ({ nodeId, name }) => {
      type W = { name: string; y: number; computedHeight?: number };
      const editor = (globalThis as unknown as { flashgraph: { shownGraph: { getNodeById(id: number): { pos: number[]; size: number[]; widgets: W[] } } } }).flashgraph;
      const node = editor.shownGraph.getNodeById(nodeId);
      const widget = node.widgets.find((w) => w.name === name)!;
      const y = node.pos[1]! + widget.y + (widget.computedHeight ?? 20) / 2;
      return { left: [node.pos[0]! + 24, y], right: [node.pos[0]! + node.size[0]! - 24, y], centre: [node.pos[0]! + node.size[0]! / 2, y] } as {
        left: [number, number];
        right: [number, number];
        centre: [number, number];
      };
    },
    { nodeId, name },
  );
}

/** Drops a file on the canvas the way a user's drag from the desktop does (a real DataTransfer). */
export async function dropFile(page: Page, name: string, content: string): Promise<void> {
  const transfer = await page.evaluateHandle(
    ({ name, content }) => {
      // Runs in the page: its DOM classes, not typed in this Node-side file.
      const dom = globalThis as unknown as { DataTransfer: new () => { items: { add(file: unknown): void } }; File: new (parts: string[], name: string, options: object) => unknown };
      const data = new dom.DataTransfer();
      data.items.add(new dom.File([content], name, { type: 'application/json' }));
      return data;
    },
    { name, content },
  );
  const target = page.locator('#fg-canvas');
  await target.dispatchEvent('dragenter', { dataTransfer: transfer });
  await target.dispatchEvent('dragover', { dataTransfer: transfer });
  await target.dispatchEvent('drop', { dataTransfer: transfer });
}

/** Polls `probe` until it returns something truthy. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Puts a node in the middle of the view, as a user panning to it would. */
export async function centreOn(page: Page, nodeId: number): Promise<void> {
  await page.evaluate((id) => {
    const editor = (globalThis as unknown as { flashgraph: { shownGraph: { getNodeById(id: number): unknown }; canvas: { centerOnNode(node: unknown): void; setDirty(a: boolean, b: boolean): void } } }).flashgraph;
    editor.canvas.centerOnNode(editor.shownGraph.getNodeById(id));
    editor.canvas.setDirty(true, true);
    // Litegraph lays out and draws visible nodes on the next frames.
    const frame = () => new Promise((resolve) => (globalThis as unknown as { requestAnimationFrame(cb: () => void): void }).requestAnimationFrame(() => resolve(undefined)));
    return frame().then(frame);
  }, nodeId);
}

export interface CliResult {
  status: string;
  files: string[];
  outputs: Record<string, { text?: string[]; images?: unknown[] }>;
}

/** `graph run <file> --json` with the test packs, in a throw-away base folder. */
export function runCli(file: string): CliResult {
  const base = mkdtempSync(join(tmpdir(), 'flashgraph-cli-'));
  try {
    const stdout = execFileSync(process.execPath, ['bin/graph.js', 'run', file, '--custom-nodes-directory', TEST_PACKS, '--base-directory', base, '--json'], {
      cwd: REPOSITORY_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(stdout) as CliResult;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

export interface PageHistoryEntry {
  id: string;
  prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }>;
  outputs: Record<string, { text?: string[]; images?: unknown[] }>;
  status: string | undefined;
}

/** The editor's run history as the page holds it: prompt id, API prompt, outputs, status. */
export async function historyEntries(page: Page): Promise<PageHistoryEntry[]> {
  return page.evaluate(async () => {
    type Entry = { prompt: unknown[]; outputs: Record<string, unknown>; status?: { status_str?: string } };
    const editor = (globalThis as unknown as { flashgraph: { refreshHistory(): Promise<void>; history: [string, Entry][] } }).flashgraph;
    await editor.refreshHistory();
    return editor.history.map(([id, entry]) => ({ id, prompt: entry.prompt[2] as never, outputs: entry.outputs as never, status: entry.status?.status_str }));
  });
}

/** Runs the shown workflow with Ctrl+Enter and waits for its new history entry to have a status. */
export async function queueAndWait(page: Page, what: string): Promise<PageHistoryEntry> {
  const before = new Set((await historyEntries(page)).map((entry) => entry.id));
  await page.locator('#fg-canvas').focus();
  await page.keyboard.press('Control+Enter');
  return until(what, async () => (await historyEntries(page)).find((e) => !before.has(e.id) && e.status !== undefined), 30_000);
}

/** The subgraph breadcrumb's entries (empty at the root). */
export async function breadcrumb(page: Page): Promise<string[]> {
  return (await page.locator('.fg-breadcrumb .fg-crumb').allTextContents()).map((text) => text.trim());
}

/** A double-click on a (subgraph) node's body, clear of its widgets and sockets, until the subgraph opens. */
export async function doubleClickBody(page: Page, node: PageNode): Promise<void> {
  await centreOn(page, node.id);
  const size = await page.evaluate((id) => {
    const editor = (globalThis as unknown as { flashgraph: { shownGraph: { getNodeById(id: number): { size: number[] } } } }).flashgraph;
    return editor.shownGraph.getNodeById(id).size as [number, number];
  }, node.id);
  const [x, y] = await toClient(page, [node.pos[0] + size[0] / 2, node.pos[1] + 10]);
  // A busy machine can space the two clicks beyond litegraph's double-click time: try again.
  for (let attempt = 1; ; attempt++) {
    await page.mouse.dblclick(x, y);
    try {
      await until('the subgraph to open', async () => ((await breadcrumb(page)).length > 1 ? true : undefined), 3000);
      return;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}
