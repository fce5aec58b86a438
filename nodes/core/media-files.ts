// What the media loaders share: which input files each one lists, ComfyUI's annotated names
// ("clip.mp4 [output]"), content fingerprints, and the save nodes' metadata.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { FolderType } from '../../types/api.ts';
import type { NodeContext, NodeInputs, NodeStorage } from '../../server/runtime/schema.ts';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif', '.heic', '.heif', '.jfif', '.apng']);
const VIDEO_EXTENSIONS = new Set(['.mp4', '.webm', '.mkv', '.mov', '.avi', '.m4v', '.mpg', '.mpeg', '.ts', '.flv', '.wmv', '.3gp', '.ogv']);
const AUDIO_EXTENSIONS = new Set(['.wav', '.mp3', '.ogg', '.oga', '.opus', '.flac', '.m4a', '.aac', '.aif', '.aiff', '.wma']);

const hasExtension = (set: Set<string>) => (name: string) => set.has(extname(name).toLowerCase());
export const isImageFile = hasExtension(IMAGE_EXTENSIONS);
export const isVideoFile = hasExtension(VIDEO_EXTENSIONS);
export const isAudioOrVideoFile = (name: string) => AUDIO_EXTENSIONS.has(extname(name).toLowerCase()) || isVideoFile(name);

/** "sub/x.png" (input folder) or "x.png [output]" / "[temp]" / "[input]": folder and path. */
export function parseAnnotated(name: string, fallback: FolderType = 'input'): { folder: FolderType; path: string } {
  const match = /^(.*) \[(input|output|temp)\]$/.exec(name);
  return match ? { folder: match[2] as FolderType, path: match[1]! } : { folder: fallback, path: name };
}

/** The absolute path of an annotated name, or undefined when it is unsafe or not a file. */
export function existingFile(storage: NodeStorage, name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return undefined;
  try {
    const { folder, path } = parseAnnotated(name);
    const full = storage.resolve(folder, path);
    return existsSync(full) && statSync(full).isFile() ? full : undefined;
  } catch {
    return undefined;
  }
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (data) => hash.update(data))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** isChanged for loaders: SHA-256 of the file (NaN, i.e. "re-run", when it is missing). */
export function fileHashFingerprint(input: string) {
  return (inputs: NodeInputs, ctx: Pick<NodeContext, 'storage'>): Promise<string> | number => {
    const path = existingFile(ctx.storage, inputs[input]);
    return path ? sha256File(path) : NaN;
  };
}

/** ComfyUI's save metadata: `prompt`, then one entry per extra_pnginfo key, as JSON. */
export function saveMetadata(prompt: unknown, extraPnginfo: unknown): Record<string, string> {
  const tags: Record<string, string> = {};
  if (prompt !== null && prompt !== undefined) tags.prompt = JSON.stringify(prompt);
  if (extraPnginfo && typeof extraPnginfo === 'object') {
    for (const [key, value] of Object.entries(extraPnginfo)) tags[key] = JSON.stringify(value);
  }
  return tags;
}

/** The file name prefix of preview nodes: `ComfyUI_temp_` and five random letters, as ComfyUI. */
export function tempFilePrefix(): string {
  return `ComfyUI_temp_${Array.from({ length: 5 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('')}`;
}
