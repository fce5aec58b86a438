// The file list behind ComfyUI's `GET /internal/files/{input|output|temp}`, which remote combos
// (LoadImageOutput's `remote.route`) fetch when their refresh button is pressed: the plain files at
// the top of the folder, newest first, each annotated with its folder ("x.png [output]") so that
// loaders resolve it there.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const LISTED_FOLDERS = ['output', 'input', 'temp'] as const;
export type ListedFolder = (typeof LISTED_FOLDERS)[number];

/** Annotated names of the files directly in `directory`, newest modification first (ties by name). */
export function newestFilesFirst(directory: string, folder: ListedFolder): string[] {
  let entries;
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return [];
  }
  const files: { name: string; mtime: number }[] = [];
  for (const entry of entries) {
    try {
      // Like os.scandir's is_file(): a link to a file counts.
      const info = statSync(join(directory, entry.name));
      if (info.isFile()) files.push({ name: entry.name, mtime: info.mtimeMs });
    } catch {
      // vanished or a broken link: not listed
    }
  }
  files.sort((a, b) => b.mtime - a.mtime || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return files.map((f) => `${f.name} [${folder}]`);
}
