import type { PackReport } from '../packs/loader.ts';
import type { NodeRegistry } from '../runtime/registry.ts';
import type { PromptRunner } from '../runtime/runner.ts';
import type { FolderStorage } from '../storage/folders.ts';
import type { ApiConfig } from './config.ts';

/** What the route modules work with. */
export interface ApiContext {
  runner: PromptRunner;
  registry: NodeRegistry;
  packs: PackReport[];
  storage: FolderStorage;
  config: ApiConfig;
  log: (message: string) => void;
}
