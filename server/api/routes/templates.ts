// The official frontend's template browser: GET /templates/index.json, /templates/{name}.json and
// the thumbnails /templates/{name}-1.{webp,png,jpg}, in the format of ComfyUI_frontend v1.27
// (src/platform/workflow/templates/types/template.ts and useTemplateWorkflows.ts), made from
// workflows/ and the built-in packs' examples. ComfyUI serves /templates as static files at the
// root only (server.py:820-824), not under /api. Third-party packs' examples stay where ComfyUI
// puts them: /api/workflow_templates (the browser's "Custom Nodes" group).
import { readFileSync } from 'node:fs';
import { Router } from 'express';
import { EXAMPLE_WORKFLOWS_DIRECTORY } from '../editor.ts';
import { apiToUi, detectWorkflow } from '../../workflow/index.ts';
import { folderTemplates, mergeTemplates, templateSource, type TemplateSource } from '../../storage/workflow-templates.ts';
import type { ApiContext } from '../context.ts';
import { HttpError } from '../errors.ts';

/** The category of the repository's own workflows. */
export const FLASHGRAPH_CATEGORY = 'FlashGraph';

/** One card of the browser (the frontend's TemplateInfo). */
interface TemplateInfo {
  name: string;
  title: string;
  description: string;
  mediaType: 'image';
  mediaSubtype: string;
}

export function templateRoutes(ctx: ApiContext, workflowsDirectory = EXAMPLE_WORKFLOWS_DIRECTORY): Router {
  const router = Router();
  const sources = () =>
    mergeTemplates(
      folderTemplates(workflowsDirectory, FLASHGRAPH_CATEGORY),
      ...ctx.packs.filter((pack) => pack.builtin && !pack.failure).map((pack) => Object.values(pack.examples).map((file) => templateSource(file, pack.name))),
    );

  router.get('/templates/index.json', (_req, res) => {
    const categories = new Map<string, TemplateInfo[]>();
    for (const source of sources()) {
      const workflow = readWorkflow(source, ctx.log);
      if (workflow === undefined) continue;
      const list = categories.get(source.category) ?? [];
      list.push({
        name: source.name,
        title: source.title ?? humanized(source.name),
        description: source.description ?? describe(workflow),
        mediaType: 'image',
        mediaSubtype: source.thumbnail?.extension ?? 'webp',
      });
      categories.set(source.category, list);
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.json([...categories].map(([title, templates]) => ({ moduleName: 'default', title, type: 'image', templates })));
  });

  router.get('/templates/:file', (req, res) => {
    const file = req.params.file;
    const all = sources();
    if (file.endsWith('.json')) {
      const source = all.find((s) => `${s.name}.json` === file);
      const workflow = source && readWorkflow(source, ctx.log);
      if (workflow === undefined) throw new HttpError(404, `no template ${JSON.stringify(file)}`);
      res.setHeader('Cache-Control', 'no-cache');
      res.json(asUiWorkflow(workflow, ctx));
      return;
    }
    // useTemplateWorkflows.ts: the card asks for `<name>-1.<mediaSubtype>` (`-2` for overlays).
    const picture = /^(.+?)(?:-1)?\.(webp|png|jpg)$/.exec(file);
    const source = picture && all.find((s) => s.name === picture[1] && s.thumbnail?.extension === picture[2]);
    if (!source?.thumbnail) throw new HttpError(404, `no template picture ${JSON.stringify(file)}`);
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type(source.thumbnail.extension).sendFile(source.thumbnail.path);
  });

  return router;
}

/** The parsed workflow of a template, or undefined (logged) when its file is not a workflow. */
function readWorkflow(source: TemplateSource, log: (message: string) => void): unknown {
  try {
    const data = JSON.parse(readFileSync(source.file, 'utf8')) as unknown;
    detectWorkflow(data);
    return data;
  } catch (error) {
    log(`template ${source.file} is left out: ${(error as Error).message}`);
    return undefined;
  }
}

/** The browser loads templates as UI workflows: an API-format file is laid out as one. */
function asUiWorkflow(data: unknown, ctx: ApiContext): unknown {
  const loaded = detectWorkflow(data);
  if (loaded.format === 'ui') return data;
  try {
    return apiToUi(loaded.prompt, ctx.registry.objectInfo(ctx.storage)).workflow;
  } catch (error) {
    throw new HttpError(422, `the template cannot be shown as a UI workflow: ${(error as Error).message}`);
  }
}

function humanized(name: string): string {
  const words = name.replace(/\.api$/, '').replace(/[-_.]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A description made from the workflow itself: how many nodes and which. */
function describe(data: unknown): string {
  const loaded = detectWorkflow(data);
  const names =
    loaded.format === 'ui'
      ? loaded.workflow.nodes.map((node) => (typeof node.title === 'string' && node.title !== '' ? node.title : String(node.type)))
      : Object.values(loaded.prompt).map((node) => node._meta?.title ?? node.class_type);
  return `${names.length} node${names.length === 1 ? '' : 's'}: ${names.join(', ')}`;
}
