// The official frontend's template browser over real HTTP: /templates/index.json in the format of
// ComfyUI_frontend v1.27.10 (src/platform/workflow/templates/types/template.ts: WorkflowTemplates
// {moduleName, title, templates: TemplateInfo[]}, TemplateInfo {name, title?, mediaType,
// mediaSubtype, description}), each template at /templates/<name>.json and its card picture at
// /templates/<name>-1.<mediaSubtype> (useTemplateWorkflows.ts getTemplateThumbnailUrl, fetchTemplateJson).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderTemplates, mergeTemplates } from '../../server/storage/workflow-templates.ts';
import { uiToApi } from '../../server/workflow/index.ts';
import { tempDir } from '../helpers/engine.ts';
import { REPO_ROOT } from '../helpers/golden.ts';
import { startTestServer, type TestServer } from './helpers.ts';

interface TemplateInfo {
  name: string;
  title: string;
  description: string;
  mediaType: string;
  mediaSubtype: string;
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('GET /templates/index.json', () => {
  it('lists the repository workflows in the frontend format, the FlashPortrait demo with its title and picture', async () => {
    const res = await server.get('/templates/index.json');
    expect(res.status).toBe(200);
    // api.ts getCoreWorkflowTemplates uses the answer only when its type is application/json.
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const index = (await res.json()) as { moduleName: string; title: string; templates: TemplateInfo[] }[];
    const flashgraph = index.find((category) => category.title === 'FlashGraph')!;
    expect(flashgraph.moduleName).toBe('default');
    const demo = flashgraph.templates.find((t) => t.name === 'flashportrait-demo')!;
    expect(demo).toEqual({
      name: 'flashportrait-demo',
      title: 'FlashPortrait demo',
      description: expect.stringContaining('reference portrait'),
      mediaType: 'image',
      mediaSubtype: 'webp',
    });
    // The API-format twin of the demo is not a second template; an API-only workflow is one.
    expect(flashgraph.templates.map((t) => t.name)).not.toContain('flashportrait-demo.api');
    const hello = flashgraph.templates.find((t) => t.name === 'hello-text')!;
    expect(hello.title).toBe('Hello text');
    expect(hello.description).toBe('6 nodes: Greeting, Name, StringConcatenate, Answer, SaveText, PreviewAny');
  });

  it('is served at the root only, as ComfyUI serves /templates (server.py:820-824)', async () => {
    const res = await server.get('/api/templates/index.json');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: expect.any(String) });
  });
});

describe('GET /templates/<name>.json and pictures', () => {
  it('serves a UI workflow as it is', async () => {
    const res = await server.get('/templates/flashportrait-demo.json');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(readFileSync(join(REPO_ROOT, 'workflows', 'flashportrait-demo.json'), 'utf8')));
  });

  it('lays out an API-format workflow as a UI workflow that converts back to the same prompt', async () => {
    const workflow = (await (await server.get('/templates/hello-text.json')).json()) as { nodes: unknown[] };
    expect(workflow.nodes).toHaveLength(6);
    const objectInfo = (await (await server.get('/api/object_info')).json()) as Parameters<typeof uiToApi>[1];
    const { prompt } = uiToApi(workflow as never, objectInfo);
    const original = JSON.parse(readFileSync(join(REPO_ROOT, 'workflows', 'hello-text.json'), 'utf8')) as Record<string, { inputs: unknown; class_type: string }>;
    for (const [id, node] of Object.entries(original)) expect(prompt[id], id).toMatchObject({ class_type: node.class_type, inputs: node.inputs });
  });

  it('serves the demo picture the card asks for: a square WebP', async () => {
    const res = await server.get('/templates/flashportrait-demo-1.webp');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 512, 512]);
  });

  it('answers 404 for anything that is not a template', async () => {
    for (const path of ['/templates/nothing.json', '/templates/hello-text-1.webp', '/templates/flashportrait-demo-1.png', '/templates/..%2Fpackage.json', '/templates/flashportrait-demo.md']) {
      expect((await server.get(path)).status, path).toBe(404);
    }
  });
});

describe('template sources', () => {
  it('reads pictures and notes beside each workflow; a name is listed once', () => {
    const folder = tempDir('flashgraph-templates-');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'a.json'), '{"nodes": []}');
    writeFileSync(join(folder, 'a.api.json'), '{}');
    writeFileSync(join(folder, 'b.api.json'), '{}');
    writeFileSync(join(folder, 'a.png'), 'png');
    writeFileSync(join(folder, 'a.md'), 'Intro line\n# The A template\nIt does\nthings.\n');
    writeFileSync(join(folder, 'notes.txt'), 'not a workflow');
    const sources = folderTemplates(folder, 'Mine');
    expect(sources.map((s) => s.name)).toEqual(['a', 'b.api']);
    expect(sources[0]).toMatchObject({ title: 'The A template', description: 'Intro line It does things.', thumbnail: { extension: 'png' } });
    expect(sources[1]!.thumbnail).toBeUndefined();
    expect(mergeTemplates(sources, folderTemplates(folder, 'Other')).map((s) => `${s.category}/${s.name}`)).toEqual(['Mine/a', 'Mine/b.api']);
  });
});
