// Finds the ffmpeg and ffprobe programs: an explicit environment override, else the system's (a
// distribution build is newer and has more codecs), else the binaries bundled in the
// @ffmpeg-installer / @ffprobe-installer packages, so `npm install` alone is enough.
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

export interface MediaTools {
  ffmpeg: string;
  ffprobe: string;
  /** Where they were found, for diagnostics. */
  origin: 'environment' | 'system' | 'npm';
}

export class MediaToolsMissingError extends Error {
  override name = 'MediaToolsMissingError';
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, process.platform === 'win32' ? `${name}.exe` : name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

function bundled(pkg: string): string | undefined {
  try {
    const found = createRequire(import.meta.url)(pkg) as { path?: string };
    return found.path && executable(found.path) ? found.path : undefined;
  } catch {
    return undefined;
  }
}

export function findMediaTools(env: NodeJS.ProcessEnv = process.env): MediaTools {
  if (env.FLASHGRAPH_FFMPEG && env.FLASHGRAPH_FFPROBE) {
    return { ffmpeg: env.FLASHGRAPH_FFMPEG, ffprobe: env.FLASHGRAPH_FFPROBE, origin: 'environment' };
  }
  const systemFfmpeg = onPath('ffmpeg', env);
  const systemFfprobe = onPath('ffprobe', env);
  if (systemFfmpeg && systemFfprobe) return { ffmpeg: systemFfmpeg, ffprobe: systemFfprobe, origin: 'system' };
  const npmFfmpeg = bundled('@ffmpeg-installer/ffmpeg');
  const npmFfprobe = bundled('@ffprobe-installer/ffprobe');
  if (npmFfmpeg && npmFfprobe) return { ffmpeg: npmFfmpeg, ffprobe: npmFfprobe, origin: 'npm' };
  throw new MediaToolsMissingError(
    'ffmpeg and ffprobe were not found: install them (e.g. `apt-get install ffmpeg`), or re-run `npm install` so the bundled @ffmpeg-installer binaries are present, or set FLASHGRAPH_FFMPEG and FLASHGRAPH_FFPROBE',
  );
}

/** The media service nodes receive as `ctx.services.media`; tools are looked up on first use. */
export interface MediaService {
  tools(): MediaTools;
}

export function createMediaService(env: NodeJS.ProcessEnv = process.env): MediaService {
  let found: MediaTools | undefined;
  return {
    tools: () => (found ??= findMediaTools(env)),
  };
}

export function mediaToolsFrom(services: Readonly<Record<string, unknown>>): MediaTools {
  const service = services.media as MediaService | undefined;
  if (!service || typeof service.tools !== 'function') {
    throw new MediaToolsMissingError('the host provides no media service (ctx.services.media); create it with createMediaService()');
  }
  return service.tools();
}
