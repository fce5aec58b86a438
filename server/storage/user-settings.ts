// A user's settings: the JSON object in `user/<user>/comfy.settings.json`, as ComfyUI keeps it
// (app/app_settings.py). Every change is a read-modify-write under the file's lock, so concurrent
// changes all land; a damaged file reads as {} (as in ComfyUI) and is kept aside before the next
// write replaces it.
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { UserFiles } from './user-files.ts';

export const SETTINGS_FILE = 'comfy.settings.json';

export type Settings = Record<string, unknown>;

export class UserSettings {
  constructor(
    readonly files: UserFiles,
    readonly log: (message: string) => void = () => {},
  ) {}

  async read(userFolder: string): Promise<Settings> {
    const path = this.files.resolve(userFolder, SETTINGS_FILE);
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EISDIR') return undefined;
      throw error;
    });
    if (text === undefined) return {};
    const parsed = parseSettings(text);
    if (!parsed) this.log(`The user settings file is damaged (read as {}): ${path}`);
    return parsed ?? {};
  }

  /** Applies `change` to the current settings and saves the result (4-space indent, as ComfyUI). */
  async change(userFolder: string, change: (settings: Settings) => Settings): Promise<void> {
    await this.files.update(userFolder, SETTINGS_FILE, async (current) => {
      let settings: Settings = {};
      if (current !== undefined) {
        const parsed = parseSettings(current.toString('utf8'));
        if (parsed) settings = parsed;
        else {
          const aside = `${SETTINGS_FILE}.damaged-${Date.now()}`;
          await rename(join(userFolder, SETTINGS_FILE), join(userFolder, aside));
          this.log(`The user settings file was damaged: kept as ${aside}, replaced by the new settings`);
        }
      }
      return JSON.stringify(change(settings), null, 4);
    });
  }
}

function parseSettings(text: string): Settings | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Settings) : undefined;
  } catch {
    return undefined;
  }
}
