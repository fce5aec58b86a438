// Assembles a working engine from a folder layout: registry with the node packs, storage
// confined to the allowed folders, history on disk, and the prompt runner.
import { clearFrameStore } from './media/frame-store.ts';
import { join } from 'node:path';
import { ModelManager } from './ml/model-manager.ts';
import { nodes as coreNodes } from '../nodes/core/index.ts';
import { createMediaService } from './media/tools.ts';
import { loadPacks, registerPack, type PackLoadOptions, type PackReport } from './packs/loader.ts';
import type { CachePolicy } from './runtime/cache.ts';
import { CORE_PACK, NodeRegistry } from './runtime/registry.ts';
import { PromptRunner } from './runtime/runner.ts';
import { FolderStorage, folderLayout, type FolderLayout } from './storage/folders.ts';
import { HistoryFile } from './storage/history-file.ts';
import { QueueFile } from './storage/queue-file.ts';
import type { NodeDefinition } from './runtime/schema.ts';

export interface HostOptions {
  folders?: Partial<FolderLayout>;
  packs?: Omit<PackLoadOptions, 'customNodesDirectory'> & { customNodesDirectory?: string };
  cache?: CachePolicy;
  progressState?: boolean;
  /** Keep history in memory only (one-shot CLI runs). */
  ephemeralHistory?: boolean;
  /** Save pending prompts in user/queue.json and resume them at the next start (the server). */
  persistQueue?: boolean;
  /** A fresh prompt's wait before it starts (the server's START_GRACE_MS; RunnerOptions.startGraceMs). */
  startGraceMs?: number;
  /** Node classes added to the built-in ones (tests, embedders). */
  nodes?: readonly NodeDefinition[];
  onError?: (error: unknown) => void;
}

export interface Host {
  registry: NodeRegistry;
  packs: PackReport[];
  storage: FolderStorage;
  runner: PromptRunner;
}

/** Node classes handed to createHost directly by a program embedding FlashGraph (or a test). */
const EMBEDDER_PACK = { name: 'embedder', module: 'custom_nodes.embedder', builtin: false };

/** A registry with only the built-in core nodes, registered synchronously (tests, tools). */
export function createRegistry(): NodeRegistry {
  const registry = new NodeRegistry();
  registerPack(registry, CORE_PACK, coreNodes);
  return registry;
}

/** Environment variable: the device nodes use when asked to pick one (set by --cpu, --device). */
export const DEVICE_ENV = 'FLASHGRAPH_DEVICE';

/**
 * Host services every engine gets: ffmpeg/ffprobe for the media nodes, the model manager (networks
 * kept between runs) and, when one is set, the device (`auto`, `cpu`, `cuda`, `webgpu`).
 */
export function createServices(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  // One model manager per host: nodes load networks through it, /free unloads them.
  const device = env[DEVICE_ENV];
  return { media: createMediaService(), models: new ModelManager(), ...(device ? { device } : {}) };
}

/** Every built-in pack plus the third-party packs of `<base>/custom_nodes` (or the given folder). */
export async function loadRegistry(layout: FolderLayout, packs: HostOptions['packs'] = {}): Promise<{ registry: NodeRegistry; packs: PackReport[] }> {
  const registry = new NodeRegistry();
  const reports = await loadPacks(registry, { ...packs, customNodesDirectory: packs.customNodesDirectory ?? join(layout.base, 'custom_nodes') });
  return { registry, packs: reports };
}

/** Storage and registry with every pack loaded: what both a server and a queue worker run on. */
export async function prepareHost(options: Pick<HostOptions, 'folders' | 'packs' | 'nodes'> = {}): Promise<Omit<Host, 'runner'>> {
  const storage = new FolderStorage(folderLayout(options.folders));
  storage.clearTemp();
  // Spill files of frame writers that a killed process left behind (a live process's are kept).
  clearFrameStore(storage.directory('temp'));
  const { registry, packs } = await loadRegistry(storage.layout, options.packs);
  for (const def of options.nodes ?? []) registry.register(def, EMBEDDER_PACK);
  return { registry, packs, storage };
}

export async function createHost(options: HostOptions = {}): Promise<Host> {
  const { registry, packs, storage } = await prepareHost(options);
  const runner = new PromptRunner({
    registry,
    env: { storage, services: createServices() },
    cache: options.cache,
    historyStore: options.ephemeralHistory ? undefined : new HistoryFile(join(storage.layout.user, 'history.json')),
    queueStore: options.persistQueue ? new QueueFile(join(storage.layout.user, 'queue.json')) : undefined,
    progressState: options.progressState,
    startGraceMs: options.startGraceMs,
    onError: options.onError,
  });
  await runner.start();
  return { registry, packs, storage, runner };
}
