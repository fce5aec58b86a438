// `graph run` on a terminal: lines printed while a bar is drawn (a node's console.warn, the ML
// layer's `[ml]` notes) come out whole, above the bars, not in the middle of one. The bytes are
// replayed into a headless xterm and the resulting screen is read back, as a user would see it;
// once through the view with a fake TTY, once through the real CLI under a pseudo-terminal.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Terminal } from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { createProgressView, routeConsole } from '../server/cli/progress.ts';
import type { ApiPrompt, ExecutionEvent } from '../types/api.ts';
import { tempDir } from './helpers/engine.ts';
import { REPO_ROOT } from './helpers/golden.ts';

const COLUMNS = 100;

async function screen(bytes: string): Promise<string[]> {
  const term = new Terminal({ cols: COLUMNS, rows: 30, allowProposedApi: true });
  await new Promise<void>((done) => term.write(bytes.replace(/(?<!\r)\n/g, '\r\n'), done));
  const lines: string[] = [];
  for (let y = 0; y < term.buffer.active.length; y++) lines.push(term.buffer.active.getLine(y)!.translateToString(true));
  term.dispose();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** A writable that looks like a terminal to cli-progress and keeps what it is sent. */
function fakeTerminal(): { stream: NodeJS.WriteStream; output: () => string } {
  let text = '';
  const stream = new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY: true, columns: COLUMNS, rows: 30 });
  return { stream, output: () => text };
}

const prompt: ApiPrompt = { '1': { class_type: 'SlowNode', inputs: {}, _meta: { title: 'Slow' } } };
const executing = (node: string | null): ExecutionEvent => ({ type: 'executing', data: { node, prompt_id: 'p' } } as ExecutionEvent);
const progress = (value: number, max: number): ExecutionEvent => ({ type: 'progress', data: { node: '1', prompt_id: 'p', value, max } } as ExecutionEvent);
const BAR_LINE = /^ \S+ (\d+)% \| (\d+)\/4 \| #1 Slow$/;
/** Longer than cli-progress's redraw interval (100 ms), so the bar is on screen when a line comes. */
const drawn = (): Promise<void> => new Promise((r) => setTimeout(r, 250));

describe('progress bars and log lines', () => {
  it('log lines printed while a bar is drawn land whole above it (console routed to the view)', async () => {
    const term = fakeTerminal();
    const view = createProgressView(prompt, term.stream);
    view.handle(executing('1'));
    view.handle(progress(1, 4));
    await drawn();
    view.log('warning: the driving video has 2 frames without a face');
    const restore = routeConsole((line) => view.log(line));
    try {
      view.handle(progress(2, 4));
      await drawn();
      console.info('[ml] DiT session on cpu, fp32');
      console.warn('[FlashPortraitFeatureExtractor] %d of %d frames reuse a neighbour', 2, 9);
      view.handle(progress(3, 4));
    } finally {
      restore();
    }
    view.handle(progress(4, 4));
    view.stop();
    const lines = await screen(term.output());
    expect(lines).toEqual([
      'warning: the driving video has 2 frames without a face',
      '[ml] DiT session on cpu, fp32',
      '[FlashPortraitFeatureExtractor] 2 of 9 frames reuse a neighbour',
      expect.stringMatching(BAR_LINE),
    ]);
    expect(BAR_LINE.exec(lines[3]!)!.slice(1)).toEqual(['100', '4']);
  });

  it('the same line written straight to the stream lands in the middle of the bar (what the view prevents)', async () => {
    const term = fakeTerminal();
    const view = createProgressView(prompt, term.stream);
    view.handle(executing('1'));
    view.handle(progress(1, 4));
    await drawn();
    term.stream.write('warning: straight to the stream\n');
    view.handle(progress(4, 4));
    view.stop();
    const lines = await screen(term.output());
    // The warning shares its line with bar text (before or after it, depending on where the
    // cursor was): garbled, the way issue 27 saw the demo's lines.
    expect(lines.find((l) => l.includes('warning: straight to the stream'))).toMatch(/[█░]|\d+% \|/);
    expect(lines).not.toContain('warning: straight to the stream');
  });

  it('without a terminal, log lines are plain lines in order with the progress lines', () => {
    let text = '';
    const stream = new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } }) as unknown as NodeJS.WriteStream;
    const view = createProgressView(prompt, stream);
    view.handle(executing('1'));
    view.handle(progress(1, 4));
    view.log('warning: x');
    view.handle(progress(4, 4));
    view.stop();
    expect(text).toBe('running #1 Slow\n  #1 Slow: 1/4\nwarning: x\n  #1 Slow: 4/4\n');
  });
});

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasScript)('graph run under a pseudo-terminal', () => {
  it('a node\'s warnings print above its bar, the bar ends whole, stdout keeps the result', async () => {
    const base = tempDir('flashgraph-cli-progress-');
    const pack = join(base, 'custom_nodes', 'slow-pack');
    mkdirSync(pack, { recursive: true });
    writeFileSync(join(pack, 'package.json'), JSON.stringify({ name: 'slow-pack', type: 'module', main: 'index.js' }));
    writeFileSync(join(pack, 'index.js'), `export const nodes = [{
      type: 'SlowNode', category: 'test', inputs: { required: {} }, outputs: [{ type: 'STRING' }],
      execute: async (_inputs, ctx) => {
        for (let i = 1; i <= 4; i++) {
          ctx.progress(i, 4);
          if (i === 2) { console.warn('[slow-pack] warning: halfway there'); console.info('[ml] a note'); }
          await new Promise((r) => setTimeout(r, 150));
        }
        return ['done'];
      },
    }];`);
    writeFileSync(join(base, 'wf.json'), JSON.stringify({
      '1': { class_type: 'SlowNode', inputs: {}, _meta: { title: 'Slow' } },
      '2': { class_type: 'PreviewAny', inputs: { source: ['1', 0] } },
    }));
    const command = `stty cols ${COLUMNS} rows 30; ${JSON.stringify(process.execPath)} ${JSON.stringify(join(REPO_ROOT, 'bin', 'graph.js'))} run wf.json --base-directory .`;
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: base, encoding: 'utf8', timeout: 60_000, env: { ...process.env, TERM: 'xterm' } });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const lines = (await screen(r.stdout)).map((l) => l.trimEnd());
    const warning = lines.indexOf('[slow-pack] warning: halfway there');
    const note = lines.indexOf('[ml] a note');
    const bar = lines.findIndex((l) => /^ \S+ 100% \| 4\/4 \| #1 Slow$/.test(l));
    expect({ warning, note, bar, lines }).toMatchObject({ warning: expect.any(Number), note: warning + 1 });
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(bar).toBeGreaterThan(note);
    expect(lines.filter((l) => l.includes('halfway'))).toHaveLength(1);
    expect(lines.slice(bar + 1)).toContain('#2: done');
  }, 60_000);
});
