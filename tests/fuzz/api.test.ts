// Property-based fuzzing of the HTTP API (issue 23, item 7), over real HTTP against one server:
// POST /prompt (raw JSON and structured prompts with odd ids, classes, links and nesting), uploads
// (path tricks, links planted in input/), /view, the user-data routes of this branch (history and
// queue, kept in user/history.json and user/queue.json, and /jobs), and the request headers the
// security checks read. Every answer must be below 500; afterwards the server still answers, a
// valid prompt completes, nothing outside the folders changed and user/*.json still parse.
// Fixed seed and bounded counts: about half a minute on 2 cores.
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/engine.ts';
import { multipart, rawRequest, startTestServer, stepsPrompt, waitUntil, type TestServer } from '../api/helpers.ts';
import { deepText, jsonText, nastyJson, nastyString, safeStringify, SEED } from './arbitraries.ts';

let server: TestServer;
let png: Buffer;
const canary = tempDir('flashgraph-canary-');
const SECRET = 'canary: nothing may read or write this folder';
const serverLog: string[] = [];

beforeAll(async () => {
  server = await startTestServer({ log: (line) => serverLog.push(line) });
  png = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#0f0' } }).png().toBuffer();
  writeFileSync(join(canary, 'secret.png'), SECRET);
  for (const folder of ['input', 'output', 'temp']) {
    const dir = join(server.base, folder);
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'x.png'), png);
    symlinkSync(join(canary, 'secret.png'), join(dir, 'link.png'));
    symlinkSync(join(canary, 'absent.png'), join(dir, 'dangling.png'));
    symlinkSync(canary, join(dir, 'linkdir'));
    symlinkSync(join(canary, 'absent-dir'), join(dir, 'dangdir'));
  }
}, 60_000);

afterAll(() => server?.close());

/** Fails the property on a 5xx (or a dropped connection) and gives the parsed answer. */
async function answer(response: Promise<Response>, what: string): Promise<{ status: number; body: Buffer }> {
  const res = await response;
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status >= 500) throw new Error(`${what}: HTTP ${res.status} ${body.toString('utf8').slice(0, 300)}`);
  return { status: res.status, body };
}

const postText = (path: string, text: string, contentType = 'application/json') =>
  answer(fetch(server.url + path, { method: 'POST', body: text, headers: { 'Content-Type': contentType } }), `POST ${path} ${text.slice(0, 200)}`);

const PLAIN_IDS = ['1', '2', '3', 'constructor', '__proto__', 'toString', 'hasOwnProperty'] as const;
const nodeId = () => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...PLAIN_IDS) }, { weight: 1, arbitrary: nastyString() });
const link = () =>
  fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...PLAIN_IDS), fc.integer({ min: 0, max: 1 })) },
    { weight: 1, arbitrary: fc.tuple(nodeId(), fc.oneof(fc.integer({ min: -1, max: 3 }), nastyJson(1))) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(1, 2, 3), fc.integer({ min: 0, max: 1 })) },
  );
const anyValue = () => fc.oneof(fc.integer({ min: -5, max: 300 }), fc.double(), fc.string({ maxLength: 12 }), fc.boolean());
const pathValue = () => fc.constantFrom('api/fuzz', '../../escape', 'linkdir/x', 'dangdir/x', '/abs', 'C:\\x', 'sub/%date:yyyy%', '%width%/x', '');

/** Node classes that run in milliseconds whatever their inputs, with plausible values per input. */
const CHEAP_CLASSES: Record<string, Record<string, () => fc.Arbitrary<unknown>>> = {
  PrimitiveInt: { value: () => fc.integer({ min: -5, max: 5 }) },
  PrimitiveFloat: { value: () => fc.double({ noNaN: true, min: -5, max: 5 }) },
  PrimitiveString: { value: () => fc.string({ maxLength: 12 }) },
  PrimitiveBoolean: { value: fc.boolean },
  PreviewAny: { source: anyValue },
  StringConcatenate: { string_a: () => fc.string({ maxLength: 8 }), string_b: () => fc.string({ maxLength: 8 }), delimiter: () => fc.constantFrom('', ',', ' ') },
  TestSavePng: { width: () => fc.integer({ min: 1, max: 8 }), red: () => fc.integer({ min: 0, max: 255 }), filename_prefix: pathValue },
  TestFail: { message: () => fc.string({ maxLength: 12 }) },
};

/** A node of a cheap class with all its inputs: plausible values, links (good or bad) or junk. */
const cheapNode = (classType: string) => {
  const inputs = Object.fromEntries(
    Object.entries(CHEAP_CLASSES[classType]!).map(([name, plausible]) => [
      name,
      fc.oneof({ weight: 4, arbitrary: plausible() }, { weight: 2, arbitrary: link() }, { weight: 1, arbitrary: nastyJson(3) }),
    ]),
  );
  return fc.record({
    class_type: fc.constant(classType),
    inputs: fc.tuple(fc.record(inputs, { requiredKeys: [] }), fc.dictionary(nastyString(), nastyJson(2), { maxKeys: 1 })).map(([own, extra]) => ({ ...extra, ...own })),
  });
};

/** Mostly cheap nodes, so links and values get checked; sometimes a node of any shape. */
const node = () =>
  fc.oneof(
    { weight: 9, arbitrary: fc.constantFrom(...Object.keys(CHEAP_CLASSES)).chain(cheapNode) },
    { weight: 1, arbitrary: fc.record({ class_type: fc.oneof(nastyString(), nastyJson(1)), inputs: nastyJson(2), _meta: nastyJson(2) }, { requiredKeys: ['class_type'] }) },
  );

/** Chains and cycles of PrimitiveInt feeding a PreviewAny: short, or longer than the node limit (refused, never run). */
const chainBody = () =>
  fc.tuple(fc.oneof(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 5_001, max: 60_000 })), fc.boolean()).map(([length, cycle]) => {
    const prompt: Record<string, unknown> = {};
    for (let i = 0; i < length; i++) prompt[String(i)] = { class_type: 'PrimitiveInt', inputs: { value: i > 0 ? [String(i - 1), 0] : cycle ? [String(length - 1), 0] : 1 } };
    prompt.out = { class_type: 'PreviewAny', inputs: { source: [String(length - 1), 0] } };
    return JSON.stringify({ prompt });
  });

const promptBody = () =>
  fc.record(
    {
      prompt: fc.oneof({ weight: 9, arbitrary: fc.dictionary(nodeId(), node(), { minKeys: 1, maxKeys: 5 }) }, { weight: 1, arbitrary: nastyJson(2) }),
      // Mostly absent or well-formed fields, so the prompt itself gets validated (and often run).
      client_id: field(fc.string({ maxLength: 8 })),
      prompt_id: field(fc.uuid()),
      number: field(fc.integer()),
      front: field(fc.boolean()),
      extra_data: field(fc.record({ extra_pnginfo: nastyJson(4) }, { requiredKeys: [] })),
      partial_execution_targets: field(fc.array(fc.constantFrom(...PLAIN_IDS), { maxLength: 3 })),
    },
  );

/** A body field: usually absent, else well-formed, now and then anything at all. */
function field<T>(wellFormed: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> {
  return fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 6, arbitrary: wellFormed }, { weight: 1, arbitrary: nastyJson(2) });
}

describe('API fuzz', () => {
  it('POST /prompt with any JSON text: never 5xx', async () => {
    const body = fc.oneof(
      { weight: 8, arbitrary: jsonText(5) },
      { weight: 2, arbitrary: fc.integer({ min: 250, max: 100_000 }).map((depth) => `{"prompt":${JSON.stringify(stepsPrompt(1))},"extra_data":{"x":${deepText(depth)}}}`) },
      { weight: 1, arbitrary: chainBody() },
    );
    await fc.assert(fc.asyncProperty(body, fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'), (text, type) => postText('/prompt', text, type).then(() => undefined)), {
      seed: SEED,
      numRuns: 150,
    });
  });

  it('POST /prompt with structured prompts (odd ids, classes, links, values): never 5xx, 400s say why', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(promptBody(), async (body) => {
        const { status, body: text } = await postText('/prompt', safeStringify(body));
        const parsed = JSON.parse(text.toString('utf8'));
        if (status === 200) {
          expect(typeof parsed.prompt_id).toBe('string');
          accepted++;
        } else {
          expect(parsed.error).toBeTruthy();
        }
      }),
      { seed: SEED + 1, numRuns: 300 },
    );
    // Enough of them are valid to reach the queue and run (not only the validator's refusals).
    expect(accepted).toBeGreaterThan(30);
  });

  it('uploads with path tricks, odd fields and links in the folder: never 5xx, nothing outside touched', async () => {
    const pathLike = () => fc.oneof(fc.constantFrom('', 'sub', 'sub/deeper', 'linkdir', 'dangdir', 'dangdir/x', 'link.png', '../', '..\\sub', '/tmp', 'sub/../..'), nastyString());
    const fields = fc.record(
      {
        type: fc.oneof(fc.constantFrom('input', 'output', 'temp'), nastyString()),
        subfolder: pathLike(),
        overwrite: fc.oneof(fc.constantFrom('true', 'false', '1', 'TRUE'), nastyString()),
      },
      { requiredKeys: [] },
    );
    const name = fc.oneof(fc.constantFrom('x.png', 'link.png', 'dangling.png', 'new.png', 'linkdir/x.png', 'dangdir/x.png', '../x.png', 'a\\b.png'), nastyString().map((s) => s.replaceAll('"', '').replaceAll('\r', '').replaceAll('\n', '')));
    const bytes = fc.oneof(fc.constant(undefined), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)), fc.constant(undefined).map(() => png));
    await fc.assert(
      fc.asyncProperty(fields, name, bytes, fc.constantFrom('image', 'file'), async (form, filename, data, field) => {
        const file = data === undefined ? undefined : { name: filename, bytes: data, field };
        await answer(fetch(`${server.url}/upload/image`, multipart(form as Record<string, string>, file)), `upload ${JSON.stringify(form)} ${filename}`);
      }),
      { seed: SEED + 2, numRuns: 150 },
    );
    expect(readdirSync(canary)).toEqual(['secret.png']);
    expect(readFileSync(join(canary, 'secret.png'), 'utf8')).toBe(SECRET);
  });

  it('/view with any parameters: never 5xx, never the file behind a link that leads out', async () => {
    const param = () => fc.option(fc.oneof(fc.constantFrom('x.png', 'link.png', 'dangling.png', 'linkdir/secret.png', 'secret.png', 'sub', 'x.png [output]', 'x.png [input]'), nastyString()), { nil: undefined });
    const query = fc.record({ filename: param(), subfolder: param(), type: param(), preview: fc.option(fc.oneof(fc.constantFrom('webp;90', 'jpeg;80', 'png', 'webp;-1', 'jpeg;abc'), nastyString()), { nil: undefined }), channel: param() }, { requiredKeys: [] });
    const raw = fc.constantFrom('filename=%2e%2e%2fsecret.png', 'filename=x.png&subfolder=%2e%2e', 'filename=%00', 'filename=%E0%A4%A', 'filename=x.png&filename=y.png', 'subfolder[]=a&filename=x.png', 'filename=linkdir%2fsecret.png');
    await fc.assert(
      fc.asyncProperty(fc.oneof(query.map((q) => new URLSearchParams(Object.entries(q).filter(([, v]) => v !== undefined) as [string, string][]).toString()), raw), async (search) => {
        const { body } = await answer(fetch(`${server.url}/view?${search}`), `GET /view?${search}`);
        expect(body.toString('utf8')).not.toContain(SECRET);
      }),
      { seed: SEED + 3, numRuns: 200 },
    );
  });

  it('user data (history, queue, jobs) with any parameters and bodies: never 5xx', async () => {
    const id = () => fc.oneof(nastyString(), fc.constantFrom('1', '%2e%2e', '..%2f..'));
    const request = fc.oneof(
      fc.record({ method: fc.constant('GET'), path: fc.tuple(fc.option(nastyString()), fc.option(nastyString())).map(([m, o]) => `/history?${new URLSearchParams([...(m !== null ? [['max_items', m]] : []), ...(o !== null ? [['offset', o]] : [])] as [string, string][])}`) }),
      fc.record({ method: fc.constant('GET'), path: id().map((i) => `/history/${encodeURIComponent(i)}`) }),
      fc.record({ method: fc.constant('GET'), path: id().map((i) => `/jobs/${encodeURIComponent(i)}`) }),
      fc.record({
        method: fc.constant('GET'),
        path: fc.dictionary(fc.constantFrom('status', 'workflow_id', 'sort_by', 'sort_order', 'limit', 'offset', 'x'), nastyString(), { maxKeys: 4 }).map((q) => `/jobs?${new URLSearchParams(q)}`),
      }),
      fc.record({
        method: fc.constant('POST'),
        path: fc.constantFrom('/history', '/api/history', '/queue', '/queue/move', '/queue/cancel', '/interrupt', '/free'),
        body: fc.oneof(jsonText(4), fc.record({ delete: nastyJson(2), clear: nastyJson(1), prompt_id: nastyJson(1), position: nastyJson(1), unload_models: nastyJson(1) }, { requiredKeys: [] }).map(safeStringify)),
      }),
    );
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        if (r.method === 'GET') await answer(fetch(server.url + r.path), `GET ${r.path}`);
        else await postText(r.path, (r as { body: string }).body);
      }),
      { seed: SEED + 4, numRuns: 250 },
    );
  });

  it('Host, Origin, Sec-Fetch-Site and token headers: 200, 401 or 403, never 5xx', async () => {
    const header = () => fc.option(fc.oneof(fc.constantFrom(`127.0.0.1:${server.port}`, 'localhost', 'evil.example', '[::1]', '[bad', 'a@b', ''), nastyString().filter((s) => /^[\x21-\x7e]*$/.test(s))), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(fc.record({ Host: header(), Origin: header(), 'Sec-Fetch-Site': header(), Authorization: header() }, { requiredKeys: [] }), async (headers) => {
        const sent = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string>;
        let status: number;
        try {
          status = (await rawRequest(server.url, 'GET', '/queue', sent)).status;
        } catch (error) {
          // Node's client refuses some header values itself; nothing reached the server.
          if ((error as NodeJS.ErrnoException).code === 'ERR_INVALID_CHAR') return;
          throw error;
        }
        expect([200, 400, 401, 403]).toContain(status);
      }),
      { seed: SEED + 5, numRuns: 100 },
    );
  });

  it('afterwards: the server answers, a valid prompt completes, no 500 was logged, user/*.json parse', async () => {
    expect((await fetch(`${server.url}/queue/resume`, { method: 'POST' })).status).toBe(200);
    await waitUntil(() => server.runner.remaining() === 0, 60_000);
    const queued = await server.post('/prompt', { prompt: stepsPrompt(3, 0, { tag: 'after-fuzz' }) });
    expect(queued.status).toBe(200);
    const { prompt_id } = (await queued.json()) as { prompt_id: string };
    await waitUntil(() => server.runner.history.get(prompt_id) !== undefined, 30_000);
    expect(server.runner.history.get(prompt_id)!.status.status_str).toBe('success');
    expect((await server.get('/history')).status).toBe(200);
    expect(serverLog.filter((line) => /internal|Error/.test(line))).toEqual([]);
    await server.runner.history.flush();
    expect(() => JSON.parse(readFileSync(join(server.base, 'user', 'history.json'), 'utf8'))).not.toThrow();
    expect(readdirSync(canary)).toEqual(['secret.png']);
  }, 90_000);
});
