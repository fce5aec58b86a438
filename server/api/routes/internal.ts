// ComfyUI's frontend-only `GET /internal/files/{directory_type}`: what a remote combo's refresh
// button (LoadImageOutput's `remote.route`) fetches. Served at /internal/... and /api/internal/...
import { Router } from 'express';
import { LISTED_FOLDERS, newestFilesFirst, type ListedFolder } from '../../media/folder-listing.ts';
import type { ApiContext } from '../context.ts';

export function internalRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.get('/internal/files/:type', (req, res) => {
    const type = req.params.type;
    if (!(LISTED_FOLDERS as readonly string[]).includes(type)) {
      // ComfyUI's answer, word for word.
      res.status(400).json({ error: 'Invalid directory type' });
      return;
    }
    res.json(newestFilesFirst(ctx.storage.directory(type as ListedFolder), type as ListedFolder));
  });
  return router;
}
