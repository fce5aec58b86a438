// POST /upload/image: store an uploaded image, video or audio file in input/ (or temp/, output/)
// with ComfyUI's naming: identical bytes reuse the existing name, others get "name (1).png".
// POST /upload/mask: the mask editor's save (upload-mask.ts).
import { Router } from 'express';
import { fileTypeFromBuffer } from 'file-type';
import type { ApiContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { fieldValue, plainFileName, storeUpload, uploadFolder, uploadParser } from '../upload-store.ts';
import { uploadMask } from './upload-mask.ts';

export function uploadRoutes(ctx: ApiContext): Router {
  const router = Router();
  const parse = uploadParser(ctx.config);

  router.post('/upload/image', parse, async (req, res) => {
    const file = req.file;
    if (!file) throw new HttpError(400, 'no file in field "image"');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const type = uploadFolder(body);
    const subfolder = fieldValue(body.subfolder);
    const overwrite = ['true', '1'].includes(fieldValue(body.overwrite).toLowerCase());
    const filename = plainFileName(file.originalname);

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
