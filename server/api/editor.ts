// The browser editor: its built bundle (client/dist, made by `npm run build:client`) served at `/`,
// and the repository's example workflows (workflows/*.json) for its "Examples" menu. The server
// builds nothing at run time; without a bundle `/` says how to make one.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { HttpError } from './errors.ts';

const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EDITOR_BUNDLE_DIRECTORY = join(REPOSITORY_ROOT, 'client', 'dist');
export const EXAMPLE_WORKFLOWS_DIRECTORY = join(REPOSITORY_ROOT, 'workflows');

const ASSET_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const WORKFLOW_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.json$/;

/** GET /workflows (names) and /workflows/<name>.json: the example workflow files. */
export function exampleWorkflowRoutes(directory = EXAMPLE_WORKFLOWS_DIRECTORY): Router {
  const router = Router();
  const files = () => (existsSync(directory) ? readdirSync(directory).filter((name) => WORKFLOW_FILE.test(name)).sort() : []);
  router.get('/workflows', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.json(files());
  });
  router.get('/workflows/:name', (req, res) => {
    const name = req.params.name.endsWith('.json') ? req.params.name : `${req.params.name}.json`;
    // Only names listed above: no path of the request ever reaches the file system.
    if (!files().includes(name)) throw new HttpError(404, 'no such example workflow');
    res.type('application/json').setHeader('Cache-Control', 'no-cache');
    res.send(readFileSync(join(directory, name)));
  });
  return router;
}

/**
 * The editor's static files. index.html is never cached (a new build must show up on reload);
 * the assets have content hashes in their names and may be cached for good.
 */
export function editorRoutes(bundleDirectory = EDITOR_BUNDLE_DIRECTORY): Router {
  const router = Router();
  const index = join(bundleDirectory, 'index.html');
  const sendIndex: express.RequestHandler = (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    if (!existsSync(index)) {
      res.status(404).type('text/plain').send('The editor is not built: run `npm run build:client` (part of set-up), then reload.\n');
      return;
    }
    res.type('html').sendFile(index);
  };
  router.get(['/', '/index.html'], sendIndex);
  // Only plain file names inside assets/: nothing else of the request reaches the file system.
  router.get('/assets/:file', (req, res, next) => {
    const file = req.params.file;
    const path = join(bundleDirectory, 'assets', file);
    if (!ASSET_FILE.test(file) || !existsSync(path)) {
      next();
      return;
    }
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.type(extname(file)).sendFile(path);
  });
  return router;
}
