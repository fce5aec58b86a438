// The workflows offered as templates: the repository's workflows/*.json and the example workflows
// of the built-in packs. Each may have beside it a picture `<name>.webp|.png|.jpg` (its thumbnail)
// and a `<name>.md` whose first `# ` heading is its title and whose other lines describe it.
// Only names found here are ever served, so no path of a request reaches the file system.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface TemplateSource {
  /** The template's id: its file name without `.json`. */
  name: string;
  /** Category (the index.json group) it is listed under. */
  category: string;
  file: string;
  /** The picture beside the workflow, when there is one. */
  thumbnail?: { path: string; extension: 'webp' | 'png' | 'jpg' };
  title?: string;
  description?: string;
}

const WORKFLOW_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.json$/;
const THUMBNAIL_EXTENSIONS = ['webp', 'png', 'jpg'] as const;
const MAX_NOTE_BYTES = 64 * 1024;

/**
 * The templates of one folder. `<x>.api.json` is left out when `<x>.json` exists (the same
 * workflow in API format).
 */
export function folderTemplates(folder: string, category: string): TemplateSource[] {
  if (!existsSync(folder)) return [];
  const files = readdirSync(folder).filter((file) => WORKFLOW_FILE.test(file) && statSync(join(folder, file)).isFile());
  const names = new Set(files.map((file) => file.slice(0, -'.json'.length)));
  return files
    .sort()
    .filter((file) => !(file.endsWith('.api.json') && names.has(file.slice(0, -'.api.json'.length))))
    .map((file) => templateSource(join(folder, file), category));
}

export function templateSource(file: string, category: string): TemplateSource {
  const folder = dirname(file);
  const name = basename(file, '.json');
  const source: TemplateSource = { name, category, file };
  for (const extension of THUMBNAIL_EXTENSIONS) {
    const path = join(folder, `${name}.${extension}`);
    if (existsSync(path) && statSync(path).isFile()) {
      source.thumbnail = { path, extension };
      break;
    }
  }
  const note = join(folder, `${name}.md`);
  if (existsSync(note) && statSync(note).isFile() && statSync(note).size <= MAX_NOTE_BYTES) {
    const lines = readFileSync(note, 'utf8').split(/\r?\n/);
    const heading = lines.findIndex((line) => line.startsWith('# '));
    if (heading >= 0) source.title = lines[heading]!.slice(2).trim();
    const text = lines.filter((_, i) => i !== heading).join(' ').replace(/\s+/g, ' ').trim();
    if (text !== '') source.description = text;
  }
  return source;
}

/** The templates of every source, the first of a name winning. */
export function mergeTemplates(...lists: TemplateSource[][]): TemplateSource[] {
  const seen = new Set<string>();
  return lists.flat().filter((source) => !seen.has(source.name) && seen.add(source.name));
}
