// Issue 23, items 2-4 over real HTTP: deeply nested bodies are refused at the door with a 400
// naming the limit, one bad history entry never stops history from being served or saved, odd
// graphs (prototype ids, huge chains and cycles) get 400 instead of 500, and uploads never write
// through a symbolic link. After each, the server still answers and runs a valid prompt.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../server/runtime/json-depth.ts';
import { MAX_PROMPT_NODES } from '../../server/runtime/validate.ts';
import { tempDir } from '../helpers/engine.ts';
import { multipart, startTestServer, stepsPrompt, waitUntil, type TestServer } from './helpers.ts';

/** JSON text of `inner` wrapped in `depth` objects (built as text: JSON.stringify itself overflows). */
const nestedObject = (depth: number, inner = '1') => '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
const nestedList = (depth: number) => '['.repeat(depth) + '1' + ']'.repeat(depth);

/** A chain of PrimitiveInt nodes "0" -> "1" -> ... -> "n-1" feeding a TestSteps output; `cycle` links "0" back to the last. */
function chainPrompt(length: number, cycle = false) {
  const prompt: Record<string, unknown> = {};
  for (let i = 0; i < length; i++) {
    prompt[String(i)] = { class_type: 'PrimitiveInt', inputs: { value: i > 0 ? [String(i - 1), 0] : cycle ? [String(length - 1), 0] : 1 } };
  }
  prompt.out = { class_type: 'TestSteps', inputs: { steps: [String(length - 1), 0], delay_ms: 0, preview: false, tag: '' } };
  return { prompt };
}

async function postText(server: TestServer, path: string, text: string) {
  const res = await fetch(server.url + path, { method: 'POST', body: text, headers: { 'Content-Type': 'application/json' } });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

/** Queues a valid prompt and waits until it has run: the server is still healthy. */
async function stillRuns(server: TestServer, tag: string) {
  const queued = await server.post('/prompt', { prompt: stepsPrompt(2, 0, { tag }) });
  expect(queued.status).toBe(200);
  const { prompt_id } = (await queued.json()) as { prompt_id: string };
  await waitUntil(() => server.runner.history.get(prompt_id) !== undefined);
  expect(server.runner.history.get(prompt_id)!.status.status_str).toBe('success');
  expect((await server.get('/history')).status).toBe(200);
}

describe('bodies nested too deeply are refused at the door', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('POST /prompt with extra_data or extra_pnginfo nested 10^5 deep: 400 naming the limit; history keeps working', async () => {
    const prompt = JSON.stringify(stepsPrompt(1));
    for (const extra of [nestedObject(100_000), `{"extra_pnginfo":${nestedObject(100_000)}}`, `{"extra_pnginfo":{"workflow":${nestedList(MAX_JSON_DEPTH)}}}`]) {
      const res = await postText(server, '/prompt', `{"prompt":${prompt},"extra_data":${extra}}`);
      expect(res.status).toBe(400);
      expect(res.body.error.type).toBe('invalid_prompt');
      expect(res.body.error.message).toMatch(`request body nests deeper than ${MAX_JSON_DEPTH} levels`);
    }
    expect(server.runner.remaining()).toBe(0);
    // Just under the limit is fine (the body wraps extra_data in one more level).
    const fits = await postText(server, '/prompt', `{"prompt":${prompt},"extra_data":{"extra_pnginfo":${nestedList(MAX_JSON_DEPTH - 3)}}}`);
    expect(fits.status).toBe(200);
    await stillRuns(server, 'after-deep-bodies');
    await server.runner.history.flush();
    const saved = JSON.parse(readFileSync(join(server.base, 'user', 'history.json'), 'utf8'));
    expect(saved.entries.map(([id]: [string]) => id)).toContain(fits.body.prompt_id);
  });

  it('an input nested 10^4 deep, and deep bodies on POST /history and /queue: 400', async () => {
    const res = await postText(server, '/prompt', `{"prompt":{"1":{"class_type":"TestSteps","inputs":{"steps":1,"delay_ms":0,"preview":false,"tag":${nestedList(10_000)}}}}}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/nests deeper than 256 levels/);
    for (const path of ['/history', '/queue', '/api/queue']) {
      const other = await postText(server, path, `{"delete":${nestedList(100_000)}}`);
      expect(other.status, path).toBe(400);
      expect(other.body.error, path).toMatch(/request body nests deeper than 256 levels/);
    }
    await stillRuns(server, 'after-deep-input');
  });
});

describe('one bad history entry never stops history', () => {
  it('a history.json holding an entry nested 10^5 deep (written before the fix) is served, and saving goes on', async () => {
    const base = tempDir('flashgraph-api-');
    mkdirSync(join(base, 'user'));
    const status = '{"status_str":"success","completed":true,"messages":[]}';
    const bad = `["old",{"prompt":[0,"old",{},${nestedObject(100_000)},[]],"outputs":{},"status":${status},"meta":{}}]`;
    const fine = `["fine",{"prompt":[1,"fine",{},{},[]],"outputs":{},"status":${status},"meta":{}}]`;
    writeFileSync(join(base, 'user', 'history.json'), `{"version":1,"entries":[${bad},${fine}]}`);
    const errors: string[] = [];
    const server = await startTestServer({ onError: (error) => errors.push(String((error as Error).message)) }, base);
    try {
      const history = await server.get('/history');
      expect(history.status).toBe(200);
      const entries = (await history.json()) as Record<string, any>;
      expect(Object.keys(entries)).toEqual(['old', 'fine']);
      expect(entries.old.prompt[3]).toEqual({});
      expect(errors.join('\n')).toMatch(/history entry old: extra_data could not be stored/);
      expect((await server.get('/history/old')).status).toBe(200);
      await stillRuns(server, 'after-bad-entry');
      await server.runner.history.flush();
      const saved = JSON.parse(readFileSync(join(base, 'user', 'history.json'), 'utf8'));
      expect(saved.entries.map(([id]: [string]) => id).slice(0, 2)).toEqual(['old', 'fine']);
      expect(saved.entries).toHaveLength(3);
    } finally {
      await server.close();
    }
  });
});

describe('odd graphs get 400, not 500', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('links to node ids "constructor" and "__proto__" name the missing node', async () => {
    for (const id of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const res = await postText(server, '/prompt', `{"prompt":{"1":{"class_type":"TestSteps","inputs":{"steps":["${id}",0],"delay_ms":0,"preview":false,"tag":""}}}}`);
      expect(res.status, id).toBe(400);
      expect(res.body.node_errors['1'].errors[0].details, id).toBe(`Input "steps" is linked to node '${id}', which is not in the prompt`);
    }
    await stillRuns(server, 'after-proto-links');
  });

  it('nodes whose ids are "constructor" and "__proto__" are plain nodes', async () => {
    const text = '{"prompt":{"__proto__":{"class_type":"PrimitiveInt","inputs":{"value":3}},"constructor":{"class_type":"TestSteps","inputs":{"steps":["__proto__",0],"delay_ms":0,"preview":false,"tag":""}}}}';
    const res = await postText(server, '/prompt', text);
    expect(res.status).toBe(200);
    await waitUntil(() => server.runner.history.get(res.body.prompt_id) !== undefined);
    const entry = server.runner.history.get(res.body.prompt_id)!;
    expect(entry.status.status_str).toBe('success');
    expect(entry.outputs.constructor).toEqual({ text: ['3 steps'] });
  });

  it(`chains of 10,000 and 50,000 nodes and a 10,000-node cycle: 400 naming the limit of ${MAX_PROMPT_NODES}`, async () => {
    for (const [length, cycle] of [[10_000, false], [50_000, false], [10_000, true]] as const) {
      const res = await server.post('/prompt', chainPrompt(length, cycle));
      expect(res.status, `${length} ${cycle}`).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error.message).toBe(`Cannot execute because the prompt has ${length + 1} nodes; the limit is ${MAX_PROMPT_NODES}.`);
    }
    await stillRuns(server, 'after-chains');
  });

  it('a cycle under the limit is reported on every member, with the listing shortened', async () => {
    const res = await server.post('/prompt', chainPrompt(MAX_PROMPT_NODES - 1, true));
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.type).toBe('prompt_outputs_failed_validation');
    expect(Object.keys(body.node_errors)).toHaveLength(MAX_PROMPT_NODES - 1);
    const error = body.node_errors['7'].errors[0];
    expect(error.type).toBe('dependency_cycle');
    expect(error.extra_info.cycle_length).toBe(MAX_PROMPT_NODES - 1);
    expect(error.details).toMatch(/^node 7 is part of the cycle \S+( -> \S+){9} -> \.\.\. \(\d+ more\) -> /);
  });
});

describe('uploads never write through a link', () => {
  let server: TestServer;
  let png: Buffer;
  const outside = tempDir('flashgraph-outside-');
  beforeAll(async () => {
    server = await startTestServer();
    png = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#f00' } }).png().toBuffer();
    const input = join(server.base, 'input');
    mkdirSync(input, { recursive: true });
    writeFileSync(join(outside, 'victim.png'), 'original');
    symlinkSync(join(outside, 'x.png'), join(input, 'x.png'));
    symlinkSync(join(outside, 'victim.png'), join(input, 'victim.png'));
    symlinkSync(join(outside, 'dir'), join(input, 'sub'));
    symlinkSync('real.png', join(input, 'inner.png'));
  });
  afterAll(() => server.close());

  const upload = (fields: Record<string, string>, name: string) => fetch(`${server.url}/upload/image`, multipart(fields, { name, bytes: png }));

  it('overwrite=true onto a dangling link, or a link to a file outside: 400, nothing written there', async () => {
    for (const name of ['x.png', 'victim.png']) {
      for (const overwrite of ['true', 'false']) {
        const res = await upload({ overwrite }, name);
        expect(res.status, `${name} overwrite=${overwrite}`).toBe(400);
        expect(((await res.json()) as any).error).toMatch(/leaves its folder through a symbolic link/);
      }
    }
    expect(existsSync(join(outside, 'x.png'))).toBe(false);
    expect(readFileSync(join(outside, 'victim.png'), 'utf8')).toBe('original');
  });

  it('a subfolder that is a dangling folder link: 400', async () => {
    const res = await upload({ subfolder: 'sub' }, 'y.png');
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatch(/leaves its folder through a symbolic link: "sub\/y\.png"/);
    expect(existsSync(join(outside, 'dir'))).toBe(false);
  });

  it('overwrite=true onto a link that stays inside: refused too (writes never follow links)', async () => {
    const res = await upload({ overwrite: 'true' }, 'inner.png');
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatch(/"inner\.png" is a symbolic link/);
    expect(existsSync(join(server.base, 'input', 'real.png'))).toBe(false);
    await stillRuns(server, 'after-uploads');
  });
});
