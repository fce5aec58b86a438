// What the model library shows about a model file: the safetensors `__metadata__` and a preview
// picture, found as ComfyUI's app/model_manager.py finds it (an image beside the model named like
// it, `<model>.preview.<ext>`, or the `ssmd_cover_images` of its safetensors metadata).
import { open, readdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif']);

/** The JSON header of a safetensors file, or undefined when it is not one or the header is over `maxBytes`. */
export async function safetensorsHeader(path: string, maxBytes: number): Promise<Record<string, unknown> | undefined> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const prefix = Buffer.alloc(8);
    if ((await handle.read(prefix, 0, 8, 0)).bytesRead !== 8) return undefined;
    const length = prefix.readBigUInt64LE(0);
    if (length > BigInt(maxBytes)) return undefined;
    const header = Buffer.alloc(Number(length));
    if ((await handle.read(header, 0, header.length, 8)).bytesRead !== header.length) return undefined;
    const parsed = JSON.parse(header.toString('utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

/**
 * Preview pictures of the model at `modelPath`, best first: image files beside it (`<stem>.<ext>`,
 * `<stem>.preview.<ext>`) as paths, then the cover images of its safetensors metadata as bytes.
 */
export async function modelPreviews(modelPath: string): Promise<(string | Buffer)[]> {
  const folder = dirname(modelPath);
  const stem = basename(modelPath, extname(modelPath));
  let names: string[];
  try {
    names = (await readdir(folder)).filter((name) => name.startsWith(`${stem}.`)).sort();
  } catch {
    return [];
  }
  const previews: (string | Buffer)[] = [];
  for (const name of names) {
    const extension = extname(name);
    if (!IMAGE_EXTENSIONS.has(extension.toLowerCase())) continue;
    const nameStem = name.slice(0, -extension.length);
    if (nameStem === stem || nameStem === `${stem}.preview`) previews.push(join(folder, name));
  }
  const safetensors = names.find((name) => name.endsWith('.safetensors'));
  if (safetensors) {
    const header = await safetensorsHeader(join(folder, safetensors), 8 * 1024 * 1024);
    const covers = (header?.__metadata__ as Record<string, unknown> | undefined)?.ssmd_cover_images;
    if (typeof covers === 'string') {
      try {
        const list = JSON.parse(covers) as unknown;
        if (Array.isArray(list)) for (const image of list) if (typeof image === 'string') previews.push(Buffer.from(image, 'base64'));
      } catch {
        // Unreadable cover list: no cover images.
      }
    }
  }
  return previews;
}
