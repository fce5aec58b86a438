// What the HTTP routes, the socket hub and the CLI drive: one interface over the in-process queue
// (PromptRunner) and the Redis/BullMQ queue with remote workers (RedisPromptService).
// The types live here, not in runner.ts, so the dependency runs one way: runner.ts implements
// this interface and imports it; nothing here imports the runner.
import type { ExecutionEvent, ExtraData, HistoryEntry, NodeErrors, PreviewImage, ValidationError } from '../../types/api.ts';
import type { History } from './history.ts';
import type { QueuedPrompt } from './queue.ts';

export type RunnerEvent =
  | { kind: 'execution'; event: ExecutionEvent; clientId: string | undefined }
  | { kind: 'preview'; nodeId: string; promptId: string; preview: PreviewImage; clientId: string | undefined }
  | { kind: 'status'; queueRemaining: number };

export interface SubmitRequest {
  prompt: unknown;
  promptId?: string;
  clientId?: string;
  extraData?: ExtraData;
  number?: number;
  front?: boolean;
  partialExecutionTargets?: readonly string[];
}

export type SubmitResult =
  | { ok: true; promptId: string; number: number; nodeErrors: NodeErrors }
  | { ok: false; error: ValidationError; nodeErrors: NodeErrors };

export interface QueueSnapshot {
  /** Prompts running now (several with several workers). */
  running: QueuedPrompt[];
  /** Pending prompts in run order. */
  pending: QueuedPrompt[];
  paused: boolean;
}

export type CancelResult = 'pending' | 'running' | undefined;

export interface PromptService {
  readonly history: History;
  /** Name of the backend, for logs and /system_stats. */
  readonly backend: 'local' | 'redis';
  on(listener: (event: RunnerEvent) => void): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
  submit(request: SubmitRequest): Promise<SubmitResult>;
  snapshot(): Promise<QueueSnapshot>;
  /** Pending + running, as last known (the `status` message needs it synchronously). */
  remaining(): number;
  deletePending(promptIds: readonly string[]): Promise<number>;
  clearPending(): Promise<void>;
  /** Interrupts the running prompt(s); with an id, only that prompt. */
  interrupt(promptId?: string): Promise<boolean>;
  /** Removes a pending prompt or interrupts a running one. */
  cancel(promptId: string): Promise<CancelResult>;
  free(flags: { unloadModels?: boolean; freeMemory?: boolean }): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Moves a pending prompt to `position` (0 = next to run); its new number, or undefined when not pending. */
  move(promptId: string, position: number): Promise<number | undefined>;
  waitFor(promptId: string): Promise<HistoryEntry>;
}
