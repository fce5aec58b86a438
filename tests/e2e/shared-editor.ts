// One editor (a real server and headless Chromium) shared by the tests of a file, opened before
// them and closed after; and the file chooser as a user reaches it.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { ObjectInfo } from '../../types/api.ts';
import { browserAvailable, CHROMIUM, ensureEditorBundle, openEditor, type EditorSession } from './harness.ts';

if (!browserAvailable && process.env.FLASHGRAPH_REQUIRE_BROWSER === '1') {
  throw new Error(`FLASHGRAPH_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install chromium)`);
}

export interface SharedEditor {
  session: EditorSession;
  page: Page;
  /** The server's /object_info. */
  objectInfo: ObjectInfo;
}

/** Call inside a describe: the fields are set once its tests run. */
export function sharedEditor(): SharedEditor {
  const shared = {} as SharedEditor;
  beforeAll(async () => {
    ensureEditorBundle();
    shared.session = await openEditor();
    shared.page = shared.session.page;
    // Playwright intercepts file choosers once a listener exists (set up asynchronously): one from
    // the start, so that no Ctrl+O of a test is missed.
    shared.page.on('filechooser', () => undefined);
    shared.objectInfo = (await (await fetch(`${shared.session.server.url}/object_info`)).json()) as ObjectInfo;
  }, 60_000);
  afterAll(async () => {
    await shared.session?.close();
  });
  return shared;
}

export interface ChosenFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** Ctrl+O after a click on the canvas at `at` (page coordinates), and `file` given to the chooser it opens. */
export async function openWithKeys(page: Page, file: ChosenFile, at: [number, number] = [60, 700]): Promise<void> {
  await page.mouse.click(...at);
  const chooser = page.waitForEvent('filechooser', { timeout: 8000 });
  await page.keyboard.press('Control+o');
  await (await chooser).setFiles(file);
}
