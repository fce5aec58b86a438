// The editor with a 300-node workflow in headless Chromium (Debian's /usr/bin/chromium, software
// rendering): how long until the graph is on screen, and how long each frame takes while panning.
// Run: npm run bench:editor
//  - load: editor.loadWorkflowData() of the UI workflow plus the first full frame, in a warm page.
//  - reload: the page reloaded with the workflow in its autosave: navigation start -> graph ready
//    -> first frame (bundle parse, /object_info, socket, configure, draw).
//  - panning: 120 frames, the view moved 6 px per frame and fully redrawn (canvas.draw(true, true)),
//    at scale 1 (about 20 nodes on screen) and zoomed out to 0.35 (most of the graph on screen).
import type { ApiPrompt } from '../types/api.ts';
import { apiToUi } from '../server/workflow/to-ui.ts';
import { browserAvailable, CHROMIUM, ensureEditorBundle, openEditor } from '../tests/e2e/harness.ts';

const CHAINS = 100;

if (!browserAvailable) {
  console.error(`${CHROMIUM} is missing: install Debian's chromium to run this bench`);
  process.exit(1);
}

/** 100 chains of PrimitiveInt -> IntMath -> PreviewAny: 300 nodes, 200 links. */
function workflowOf300Nodes(): ApiPrompt {
  const prompt: ApiPrompt = {};
  for (let i = 0; i < CHAINS; i++) {
    prompt[`${i}a`] = { class_type: 'PrimitiveInt', inputs: { value: i } };
    prompt[`${i}b`] = { class_type: 'IntMath', inputs: { a: [`${i}a`, 0], b: 2, operation: 'multiply' } };
    prompt[`${i}c`] = { class_type: 'PreviewAny', inputs: { source: [`${i}b`, 0] } };
  }
  return prompt;
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p95: at(0.95), max: sorted.at(-1)! };
};

ensureEditorBundle();
const session = await openEditor({ viewport: { width: 1600, height: 900 } });
try {
  const { page } = session;
  const objectInfo = (await (await fetch(`${session.server.url}/object_info`)).json()) as Parameters<typeof apiToUi>[1];
  const { workflow } = apiToUi(workflowOf300Nodes(), objectInfo);
  if (workflow.nodes.length !== 300) throw new Error(`expected 300 nodes, got ${workflow.nodes.length}`);

  const loadTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    loadTimes.push(
      await page.evaluate(async (data) => {
        // No named inner functions here: tsx would wrap them in a helper the page does not have.
        const g = globalThis as unknown as { flashgraph: { loadWorkflowData(d: unknown, n: string): void; canvas: { draw(a: boolean, b: boolean): void } }; requestAnimationFrame(cb: () => void): void };
        const start = performance.now();
        g.flashgraph.loadWorkflowData(data, 'bench-300');
        g.flashgraph.canvas.draw(true, true);
        await new Promise((resolve) => g.requestAnimationFrame(() => resolve(undefined)));
        return performance.now() - start;
      }, workflow),
    );
  }

  const reloadTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    await page.reload();
    // Restoring 300 nodes takes long on a busy machine: more than playwright's 30 s default.
    await page.waitForSelector('body[data-ready="true"]', { timeout: 180_000 });
    reloadTimes.push(
      await page.evaluate(async () => {
        const g = globalThis as unknown as { flashgraph: { graph: { _nodes: unknown[] }; canvas: { draw(a: boolean, b: boolean): void } }; requestAnimationFrame(cb: () => void): void };
        if (g.flashgraph.graph._nodes.length !== 300) throw new Error('the autosaved workflow was not restored');
        g.flashgraph.canvas.draw(true, true);
        await new Promise((resolve) => g.requestAnimationFrame(() => resolve(undefined)));
        return performance.now();
      }),
    );
  }

  const pan = async (scale: number) =>
    page.evaluate(async (scale) => {
      const g = globalThis as unknown as {
        flashgraph: { canvas: { ds: { scale: number; offset: [number, number] }; draw(a: boolean, b: boolean): void } };
        requestAnimationFrame(cb: (t: number) => void): void;
      };
      const { canvas } = g.flashgraph;
      canvas.ds.scale = scale;
      canvas.ds.offset = [0, 0];
      const draws: number[] = [];
      const frames: number[] = [];
      let last = 0;
      for (let i = 0; i < 120; i++) {
        const t = await new Promise<number>((resolve) => g.requestAnimationFrame(resolve));
        if (last) frames.push(t - last);
        last = t;
        canvas.ds.offset = [canvas.ds.offset[0] - 6, canvas.ds.offset[1] - 3];
        const start = performance.now();
        canvas.draw(true, true);
        draws.push(performance.now() - start);
      }
      return { draws, frames };
    }, scale);

  const atOne = await pan(1);
  const zoomedOut = await pan(0.35);
  const row = (name: string, values: number[]) => {
    const s = stats(values);
    return `| ${name} | ${s.median.toFixed(1)} ms | ${s.p95.toFixed(1)} ms | ${s.max.toFixed(1)} ms |`;
  };
  console.log(`\nEditor bench: 300 nodes, 200 links, ${CHROMIUM} headless (software rendering), viewport 1600x900\n`);
  console.log('| measurement | median | p95 | max |');
  console.log('|---|---|---|---|');
  console.log(row('load workflow + first frame (warm page)', loadTimes));
  console.log(row('page reload -> workflow restored and drawn', reloadTimes));
  console.log(row('pan, scale 1: draw time per frame', atOne.draws));
  console.log(row('pan, scale 1: frame interval', atOne.frames));
  console.log(row('pan, scale 0.35: draw time per frame', zoomedOut.draws));
  console.log(row('pan, scale 0.35: frame interval', zoomedOut.frames));
  if (session.pageErrors.length > 0) console.log(`\npage errors: ${session.pageErrors.join('; ')}`);
} finally {
  await session.close();
}
