// GET /i18n: the packs' translations, as ComfyUI's app/custom_node_manager.py builds them from
// each pack's `locales/<lang>/main.json` plus nodeDefs.json, commands.json and settings.json
// (under those keys), merged over every pack in load order. Read once, at the first request.
import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import { isPlainObject } from '../../runtime/validate.ts';
import { isInside } from '../../storage/safe-path.ts';
import type { ApiContext } from '../context.ts';

const EXTRA_FILES = ['nodeDefs', 'commands', 'settings'] as const;
const MAX_LOCALE_FILE_BYTES = 4 * 1024 * 1024;

type Json = Record<string, unknown>;

export function i18nRoutes(ctx: ApiContext): Router {
  const router = Router();
  let built: Json | undefined;
  router.get('/i18n', (_req, res) => {
    built ??= buildTranslations(ctx.packs.filter((pack) => !pack.failure).map((pack) => pack.path), ctx.log);
    res.json(built);
  });
  return router;
}

export function buildTranslations(packFolders: readonly string[], log: (message: string) => void = () => {}): Json {
  const translations: Json = {};
  for (const pack of packFolders) {
    const locales = join(pack, 'locales');
    for (const language of folderNames(locales)) {
      const folder = join(locales, language);
      if (!staysInside(pack, folder)) continue;
      const strings: Json = readLocaleFile(pack, join(folder, 'main.json'), log) ?? {};
      for (const extra of EXTRA_FILES) {
        const data = readLocaleFile(pack, join(folder, `${extra}.json`), log);
        if (data && Object.keys(data).length > 0) strings[extra] = data;
      }
      if (Object.keys(strings).length > 0) translations[language] = mergeDeep(isPlainObject(translations[language]) ? translations[language] : {}, strings);
    }
  }
  return translations;
}

function folderNames(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

/** A locale file's object; missing, too large, outside the pack or not JSON reads as nothing. */
function readLocaleFile(pack: string, path: string, log: (message: string) => void): Json | undefined {
  try {
    const found = lstatSync(path);
    if (!found.isFile() || found.size > MAX_LOCALE_FILE_BYTES || !staysInside(pack, path)) return undefined;
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return isPlainObject(parsed) ? parsed : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log(`i18n: cannot read ${path}: ${(error as Error).message}`);
    return undefined;
  }
}

function staysInside(pack: string, path: string): boolean {
  try {
    return isInside(realpathSync(pack), realpathSync(path));
  } catch {
    return false;
  }
}

/** json_util.py's merge: objects merge key by key, lists concatenate, anything else is replaced. */
function mergeDeep(target: Json, source: Json): Json {
  const out: Json = { ...target };
  for (const [key, value] of Object.entries(source)) {
    if (key === '__proto__') continue;
    const current = out[key];
    if (isPlainObject(current) && isPlainObject(value)) out[key] = mergeDeep(current, value);
    else if (Array.isArray(current) && Array.isArray(value)) out[key] = [...current, ...value];
    else out[key] = value;
  }
  return out;
}
