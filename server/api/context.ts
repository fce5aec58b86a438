import type { PackReport } from '../packs/loader.ts';
import type { NodeRegistry } from '../runtime/registry.ts';
import type { PromptService } from '../runtime/prompt-service.ts';
import type { FolderStorage } from '../storage/folders.ts';
import type { ApiConfig } from './config.ts';

/** What the route modules work with. */
export interface ApiContext {
  runner: PromptService;
  registry: NodeRegistry;
  packs: PackReport[];
  storage: FolderStorage;
  config: ApiConfig;
  log: (message: string) => void;
  /** Set when remote workers send output files (Redis queue): the token they must present. */
  workerToken?: string;
}
