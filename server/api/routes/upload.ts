// POST /upload/image: store an uploaded image, video or audio file in input/ (or temp/, output/)
// with ComfyUI's naming: identical bytes reuse the existing name, others get "name (1).png".
// POST /upload/mask: the mask editor's save (upload-mask.ts).
import { Router } from 'express';
import { fileTypeFromBuffer } from 'file-type';
import type { ApiContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { storeUpload, uploadForm, uploadParser } from '../upload-store.ts';
import { uploadMask } from './upload-mask.ts';

export function uploadRoutes(ctx: ApiContext): Router {
  const router = Router();
  const parse = uploadParser(ctx.config);

  router.post('/upload/image', parse, async (req, res) => {
    const { file, type, subfolder, overwrite, filename } = uploadForm(req);
    const kind = await fileTypeFromBuffer(file.buffer);
    if (!kind || !/^(image|video|audio)\//.test(kind.mime)) {
      throw new HttpError(415, `${JSON.stringify(filename)} is not an image, video or audio file${kind ? ` (${kind.mime})` : ''}`);
    }

    const root = ctx.storage.prepare(type);
    const name = await storeUpload(root, subfolder, filename, file.buffer, overwrite);
    res.json({ name, subfolder, type });
  });

  router.post('/upload/mask', parse, uploadMask(ctx));

  return router;
}
