// Assembles a working engine from a folder layout: registry with the built-in nodes, storage
// confined to the allowed folders, history on disk, and the prompt runner.
import { join } from 'node:path';
import { nodes as coreNodes } from '../nodes/core/index.ts';
import { createMediaService } from './media/tools.ts';
import type { CachePolicy } from './runtime/cache.ts';
import { CORE_PACK, NodeRegistry } from './runtime/registry.ts';
import { PromptRunner } from './runtime/runner.ts';
import { FolderStorage, folderLayout, type FolderLayout } from './storage/folders.ts';
import { HistoryFile } from './storage/history-file.ts';

export interface HostOptions {
  folders?: Partial<FolderLayout>;
  cache?: CachePolicy;
  progressState?: boolean;
  /** Keep history in memory only (one-shot CLI runs). */
  ephemeralHistory?: boolean;
  onError?: (error: unknown) => void;
}

export interface Host {
  registry: NodeRegistry;
  storage: FolderStorage;
  runner: PromptRunner;
}

export function createRegistry(): NodeRegistry {
  const registry = new NodeRegistry();
  for (const def of coreNodes) registry.register(def, CORE_PACK);
  return registry;
}

/** Host services every engine gets: ffmpeg/ffprobe for the media nodes. */
export function createServices(): Record<string, unknown> {
  return { media: createMediaService() };
}

export async function createHost(options: HostOptions = {}): Promise<Host> {
  const storage = new FolderStorage(folderLayout(options.folders));
  storage.clearTemp();
  const registry = createRegistry();
  const runner = new PromptRunner({
    registry,
    env: { storage, services: createServices() },
    cache: options.cache,
    historyStore: options.ephemeralHistory ? undefined : new HistoryFile(join(storage.layout.user, 'history.json')),
    progressState: options.progressState,
    onError: options.onError,
  });
  await runner.start();
  return { registry, storage, runner };
}
