// ComfyUI's model routes: GET /models, /models/{folder} and /embeddings (server.py:256-273), the
// model library (app/model_manager.py) and GET /view_metadata/{folder} (server.py:520-541):
// folders, their model files, preview pictures and safetensors metadata.
import { realpath, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { Router, type Response } from 'express';
import sharp from 'sharp';
import { folderFileFilter, listModelFiles, modelFolderPaths, NOT_MODEL_FOLDERS } from '../../storage/model-folders.ts';
import { modelPreviews, safetensorsHeader } from '../../storage/model-metadata.ts';
import { isInside, resolveInside, UnsafePathError } from '../../storage/safe-path.ts';
import type { ApiContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { queryText } from './userdata.ts';

/** folder_paths.py map_legacy: old folder names still reach their files. */
const LEGACY_FOLDERS: Record<string, string> = { unet: 'diffusion_models', clip: 'text_encoders' };

export function modelRoutes(ctx: ApiContext): Router {
  const router = Router();
  const modelsRoot = () => ctx.storage.layout.models;
  const folders = () => modelFolderPaths(ctx.storage.layout, ctx.customNodesDirectory);

  /** folder_paths.get_filename_list: the names below all of a folder's paths, sorted, once each. */
  const filenames = async (folder: string) => {
    const files = await listModelFiles(folders()[folder] ?? [], modelsRoot(), folderFileFilter(folder));
    return [...new Set(files.map((file) => file.name))].sort();
  };

  // server.py:261-265: every folder name ComfyUI knows (folder_names_and_paths), whether or not
  // it exists on disk, then FlashGraph's other folders of models/.
  router.get('/models', (_req, res) => {
    res.json(Object.keys(folders()));
  });

  router.get('/models/:folder', async (req, res) => {
    // server.py:267-273: a known name answers its files (an empty list when its folder is absent);
    // an unknown name, legacy names (`unet`, `clip`) included, is a bare 404.
    if (!Object.hasOwn(folders(), req.params.folder)) return notFound(res);
    res.json(await filenames(req.params.folder));
  });

  // server.py:256-259: the embeddings' names without their extensions.
  router.get('/embeddings', async (_req, res) => {
    res.json((await filenames('embeddings')).map((name) => name.slice(0, name.length - extname(name).length)));
  });

  router.get('/experiment/models', (_req, res) => {
    res.json(Object.entries(folders()).flatMap(([name, paths]) => (NOT_MODEL_FOLDERS.has(name) ? [] : [{ name, folders: paths }])));
  });

  router.get('/experiment/models/:folder', async (req, res) => {
    const all = folders();
    // model_manager.py:46-48: an unknown folder (legacy names included) is a bare 404.
    if (!Object.hasOwn(all, req.params.folder)) return notFound(res);
    res.json(await listModelFiles(all[req.params.folder]!, modelsRoot()));
  });

  router.get('/experiment/models/preview/:folder/:pathIndex/*filename', async (req, res) => {
    const all = folders();
    const paths = Object.hasOwn(all, req.params.folder) ? all[req.params.folder] : undefined;
    const index = Number(req.params.pathIndex);
    if (!paths) return notFound(res);
    if (!/^\d+$/.test(req.params.pathIndex)) throw new HttpError(400, 'path_index must be a whole number');
    const folder = paths[index];
    if (folder === undefined) return notFound(res);
    const filename = (req.params as unknown as { filename: string[] }).filename.join('/');
    const modelPath = confined(folder, filename);
    const rootReal = await realpath(modelsRoot()).catch(() => modelsRoot());
    for (const preview of await modelPreviews(modelPath)) {
      // A picture beside the model may be a link: it must still point inside the models folder.
      if (typeof preview === 'string' && !isInside(rootReal, await realpath(preview).catch(() => '/'))) continue;
      try {
        // model_manager.py:70-75: the first preview found, re-encoded as WebP.
        const webp = await sharp(preview).webp().toBuffer();
        res.type('image/webp').setHeader('Cache-Control', 'no-cache');
        res.send(webp);
        return;
      } catch {
        break;
      }
    }
    notFound(res);
  });

  router.get('/view_metadata/:folder', async (req, res) => {
    const filename = queryText(req.query.filename);
    const name = LEGACY_FOLDERS[req.params.folder] ?? req.params.folder;
    const all = folders();
    const paths = Object.hasOwn(all, name) ? all[name] : undefined;
    // server.py:528-541: anything missing is a 404 with an empty body (the frontend reads an
    // empty body as "no metadata"; a JSON error body would be shown as metadata).
    if (!filename || !filename.endsWith('.safetensors') || !paths) return notFound(res);
    for (const folder of paths) {
      const path = confined(folder, filename);
      if (!(await stat(path).catch(() => undefined))?.isFile()) continue;
      const header = await safetensorsHeader(path, 1024 * 1024);
      const metadata = header?.__metadata__;
      if (metadata === undefined) return notFound(res);
      res.json(metadata);
      return;
    }
    notFound(res);
  });

  return router;
}

function notFound(res: Response): void {
  res.status(404).end();
}

/** A model path inside its folder (links included); a name that leaves it is a 400 / 403. */
function confined(folder: string, filename: string): string {
  try {
    return resolveInside(folder, filename, 'filename');
  } catch (error) {
    if (error instanceof UnsafePathError) throw new HttpError(/symbolic link/.test(error.message) ? 403 : 400, error.message);
    throw error;
  }
}
