// ComfyUI's tests/execution/test_progress_isolation.py: a client sees the progress and
// execution messages of its own prompts only, also when the server generated its client id.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/api/server.ts';
import { WsClient } from '../api/helpers.ts';
import { ComfyClient, Graph, startConformanceServer } from './client.ts';

const PER_PROMPT = new Set(['progress_state', 'progress', 'executing', 'executed', 'execution_start', 'execution_cached', 'execution_success']);

function promptGraph(prefix: string, content: 'BLACK' | 'WHITE'): Graph {
  const g = new Graph(prefix);
  const source = g.node('StubImage', { content, height: 16, width: 16, batch_size: 1 });
  // A node that reports progress while the other client's prompt is queued or running.
  const sleep = g.node('TestSleep', { value: source.out(0), seconds: 0.15 });
  g.node('TestPreviewImage', { images: sleep.out(0) });
  return g;
}

describe('progress isolation between clients', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startConformanceServer({ kind: 'classic' });
  });
  afterAll(() => server?.close());

  it('progress: two clients never see each other\'s progress or executing messages', async () => {
    const a = await ComfyClient.connect(server, `client_a_${randomUUID()}`);
    const b = await ComfyClient.connect(server, `client_b_${randomUUID()}`);
    try {
      const [queuedA, queuedB] = await Promise.all([a.queuePrompt(promptGraph('a_', 'BLACK').finalize()), b.queuePrompt(promptGraph('b_', 'WHITE').finalize())]);
      await Promise.all([a.ws.finished(queuedA.prompt_id), b.ws.finished(queuedB.prompt_id)]);
      for (const [client, own, other] of [
        [a, queuedA.prompt_id, queuedB.prompt_id],
        [b, queuedB.prompt_id, queuedA.prompt_id],
      ] as const) {
        const perPrompt = client.ws.messages.filter((m) => PER_PROMPT.has(m.type));
        expect(perPrompt.filter((m) => m.type === 'progress_state' && m.data.prompt_id === own).length).toBeGreaterThan(0);
        expect(perPrompt.filter((m) => m.type === 'progress' && m.data.prompt_id === own).length).toBeGreaterThan(0);
        expect(perPrompt.filter((m) => m.data.prompt_id !== own)).toEqual([]);
        expect(client.ws.messages.filter((m) => m.data?.prompt_id === other)).toEqual([]);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('progress: a client whose id the server generated gets the progress of its own prompt', async () => {
    const ws = await WsClient.open(server.url);
    try {
      const sid = ws.messages[0]!.data.sid as string;
      expect(sid).toEqual(expect.any(String));
      const res = await fetch(`${server.url}/prompt`, { method: 'POST', body: JSON.stringify({ prompt: promptGraph('sid_', 'BLACK').finalize(), client_id: sid }) });
      const { prompt_id: promptId } = (await res.json()) as { prompt_id: string };
      await ws.finished(promptId);
      expect(ws.messages.filter((m) => m.type === 'progress_state' && m.data.prompt_id === promptId).length).toBeGreaterThan(0);
    } finally {
      await ws.close();
    }
  });
});
