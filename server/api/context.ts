import type { PackReport } from '../packs/loader.ts';
import type { NodeRegistry } from '../runtime/registry.ts';
import type { PromptService } from '../runtime/prompt-service.ts';
import type { FolderStorage } from '../storage/folders.ts';
import type { ApiConfig } from './config.ts';
import type { MessageHub } from './hub.ts';
import type { LogRing } from './log-ring.ts';

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
  /** The server's recent log (the frontend's logs panel) and the clients it is sent to. */
  logs: LogRing;
  hub: MessageHub;
  /** Where third-party packs are read from (ComfyUI's `custom_nodes` folder path). */
  customNodesDirectory?: string;
}
