// Assembles a working engine from a folder layout: registry with the built-in nodes, storage
// confined to the allowed folders, history on disk, and the prompt runner.
import { join } from 'node:path';
import { nodes as coreNodes } from '../nodes/core/index.ts';
import type { CachePolicy } from './runtime/cache.ts';
import { CORE_PACK, NodeRegistry } from './runtime/registry.ts';
import { PromptRunner } from './runtime/runner.ts';
import { FolderStorage, folderLayout, type FolderLayout } from './storage/folders.ts';
import { HistoryFile } from './storage/history-file.ts';
import { QueueFile } from './storage/queue-file.ts';
import type { NodeDefinition } from './runtime/schema.ts';

export interface HostOptions {
  folders?: Partial<FolderLayout>;
  cache?: CachePolicy;
  progressState?: boolean;
  /** Keep history in memory only (one-shot CLI runs). */
  ephemeralHistory?: boolean;
  /** Save pending prompts in user/queue.json and resume them at the next start (the server). */
  persistQueue?: boolean;
  /** Node classes added to the built-in ones (tests, embedders). */
  nodes?: readonly NodeDefinition[];
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

export async function createHost(options: HostOptions = {}): Promise<Host> {
  const storage = new FolderStorage(folderLayout(options.folders));
  storage.clearTemp();
  const registry = createRegistry();
  for (const def of options.nodes ?? []) registry.register(def);
  const runner = new PromptRunner({
    registry,
    env: { storage, services: {} },
    cache: options.cache,
    historyStore: options.ephemeralHistory ? undefined : new HistoryFile(join(storage.layout.user, 'history.json')),
    queueStore: options.persistQueue ? new QueueFile(join(storage.layout.user, 'queue.json')) : undefined,
    progressState: options.progressState,
    onError: options.onError,
  });
  await runner.start();
  return { registry, storage, runner };
}
