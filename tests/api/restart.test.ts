import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/golden.ts';
import { tempDir } from '../helpers/engine.ts';
import { launchServe as launch, waitUntil, startTestServer, stepsPrompt } from './helpers.ts';

const saveText = (text: string) => ({
  '1': { class_type: 'PrimitiveString', inputs: { value: text } },
  '2': { class_type: 'SaveText', inputs: { text: ['1', 0], filename_prefix: `restart/${text}` } },
});

describe('restart', () => {
  it('in process: close() interrupts the running prompt, keeps the pending ones, and they run after a restart', async () => {
    const base = tempDir('flashgraph-restart-');
    const first = await startTestServer({}, base);
    await first.post('/prompt', { prompt: stepsPrompt(1, 0, { tag: 'done' }), prompt_id: 'done' });
    await waitUntil(() => first.runner.history.get('done') !== undefined);
    await first.post('/prompt', { prompt: stepsPrompt(10_000, 5), prompt_id: 'long' });
    for (const id of ['b', 'a']) await first.post('/prompt', { prompt: stepsPrompt(2, 0, { tag: id }), prompt_id: id, extra_data: { auth_token_comfy_org: 'secret' } });
    await waitUntil(async () => (await first.runner.snapshot()).running[0]?.promptId === 'long');
    await first.close();

    const saved = JSON.parse(readFileSync(join(base, 'user', 'queue.json'), 'utf8'));
    expect(saved.items.map((item: unknown[]) => item[1])).toEqual(['b', 'a']);
    expect(JSON.stringify(saved)).not.toContain('secret');

    const second = await startTestServer({}, base);
    try {
      await waitUntil(() => ['a', 'b'].every((id) => second.runner.history.get(id) !== undefined));
      const history = (await (await second.get('/history')).json()) as Record<string, any>;
      expect(Object.keys(history)).toEqual(['done', 'long', 'b', 'a']);
      expect(history.long.status).toMatchObject({ status_str: 'error', completed: false });
      expect(history.a.status.status_str).toBe('success');
      // New prompts are numbered after the restored ones.
      const next = (await (await second.post('/prompt', { prompt: stepsPrompt(1, 0, { tag: 'next' }) })).json()) as { number: number };
      expect(next.number).toBeGreaterThan(history.a.prompt[0]);
    } finally {
      await second.close();
    }
  });

  it('graph serve: SIGTERM saves the queue; the next start runs it and history survives', async () => {
    const base = tempDir('flashgraph-serve-');
    // The slow test node comes in as a third-party pack, the way users add nodes.
    const serveArgs = [join(REPO_ROOT, 'bin/graph.js'), 'serve', '--port', '0', '--base-directory', base, '--custom-nodes-directory', join(REPO_ROOT, 'tests/api/fixtures')];

    const a = await launch(serveArgs);
    const post = (body: unknown) => fetch(`${a.url}/prompt`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post({ prompt: saveText('before'), prompt_id: 'before' })).status).toBe(200);
    await waitUntil(async () => Object.keys((await (await fetch(`${a.url}/history/before`)).json()) as object).length > 0);
    expect((await post({ prompt: { '1': { class_type: 'TestSlow', inputs: { steps: 100_000, delay_ms: 10 } } }, prompt_id: 'slow' })).status).toBe(200);
    expect((await post({ prompt: saveText('later1'), prompt_id: 'later1' })).status).toBe(200);
    expect((await post({ prompt: saveText('later2'), prompt_id: 'later2' })).status).toBe(200);
    await waitUntil(async () => ((await (await fetch(`${a.url}/queue`)).json()) as any).queue_running[0]?.[1] === 'slow');
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(existsSync(join(base, 'output', 'restart'))).toBe(true);
    expect(existsSync(join(base, 'output', 'restart', 'later1_00001_.txt'))).toBe(false);

    const b = await launch(serveArgs);
    try {
      expect(b.stdout()).toContain('resuming 2 queued prompts');
      await waitUntil(async () => Object.keys((await (await fetch(`${b.url}/history/later2`)).json()) as object).length > 0);
      const history = (await (await fetch(`${b.url}/history`)).json()) as Record<string, any>;
      expect(Object.keys(history)).toEqual(['before', 'slow', 'later1', 'later2']);
      expect(history.slow.status.messages.map((m: [string]) => m[0])).toContain('execution_interrupted');
      expect(readFileSync(join(base, 'output', 'restart', 'later1_00001_.txt'), 'utf8')).toBe('later1');
      expect(readFileSync(join(base, 'output', 'restart', 'later2_00001_.txt'), 'utf8')).toBe('later2');
    } finally {
      b.child.kill('SIGTERM');
      await b.exited;
    }
  }, 60_000);
});
