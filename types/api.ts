// Wire shapes shared by the server, the CLI, node packs and the editor. They follow ComfyUI's
// HTTP/WebSocket protocol so that existing ComfyUI clients work unchanged.

/** `[sourceNodeId, outputSlot]`: an input fed by another node's output. */
export type LinkRef = [string, number];

export type InputValue = unknown;

export interface PromptNode {
  class_type: string;
  inputs: Record<string, InputValue>;
  _meta?: { title?: string };
}

/** ComfyUI's "API format": node id -> node. */
export type ApiPrompt = Record<string, PromptNode>;

/** A value is a link only when it is exactly `[string, integer]` (ComfyUI's rule). */
export function isLink(value: unknown): value is LinkRef {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'number' &&
    Number.isInteger(value[1])
  );
}

// ---- /object_info ----------------------------------------------------------------------------

export type InputOptions = Record<string, unknown>;
/** `[TYPE, options?]`; for legacy combos TYPE is the options array itself. */
export type InputInfo = [string | string[]] | [string | string[], InputOptions];

export interface NodeInfo {
  input: {
    required: Record<string, InputInfo>;
    optional?: Record<string, InputInfo>;
    hidden?: Record<string, string>;
  };
  input_order: { required: string[]; optional?: string[]; hidden?: string[] };
  output: (string | string[])[];
  output_is_list: boolean[];
  output_name: string[];
  output_tooltips?: (string | null)[];
  name: string;
  display_name: string;
  description: string;
  python_module: string;
  category: string;
  output_node: boolean;
  deprecated?: boolean;
  experimental?: boolean;
}

export type ObjectInfo = Record<string, NodeInfo>;

// ---- validation -------------------------------------------------------------------------------

export interface ValidationError {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface NodeErrorEntry {
  errors: ValidationError[];
  dependent_outputs: string[];
  class_type: string;
}

export type NodeErrors = Record<string, NodeErrorEntry>;

// ---- UI outputs and history -------------------------------------------------------------------

export type FolderType = 'input' | 'output' | 'temp';

export interface FileRef {
  filename: string;
  subfolder: string;
  type: FolderType;
  format?: string;
}

/** What an output node shows in the editor: `images`, `animated`, `audio`, `video`, `text`... */
export type UiOutput = Record<string, unknown[]>;

export type ExtraData = Record<string, unknown> & { client_id?: string; extra_pnginfo?: Record<string, unknown> };

/** ComfyUI's queue item: `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
export type QueueItem = [number, string, ApiPrompt, ExtraData, string[]];

export type StatusMessage = [string, Record<string, unknown>];

export interface HistoryEntry {
  prompt: QueueItem;
  outputs: Record<string, UiOutput>;
  status: { status_str: 'success' | 'error'; completed: boolean; messages: StatusMessage[] };
  meta: Record<string, { node_id: string; display_node: string; parent_node: string | null; real_node_id: string }>;
}

// ---- execution events (the WebSocket message catalogue) ---------------------------------------

export type NodeRunState = 'pending' | 'running' | 'finished' | 'error';

export interface NodeProgressState {
  value: number;
  max: number;
  state: NodeRunState;
  node_id: string;
  prompt_id: string;
  display_node_id: string;
  parent_node_id: string | null;
  real_node_id: string;
}

export interface ExecutionErrorData {
  prompt_id: string;
  node_id: string;
  node_type: string;
  executed: string[];
  exception_message: string;
  exception_type: string;
  traceback: string[];
  current_inputs: Record<string, unknown[]>;
  current_outputs: string[];
  timestamp: number;
}

export interface ExecutionEventMap {
  execution_start: { prompt_id: string; timestamp: number };
  execution_cached: { nodes: string[]; prompt_id: string; timestamp: number };
  executing: { node: string | null; display_node?: string; prompt_id: string };
  progress: { value: number; max: number; prompt_id: string; node: string };
  progress_state: { prompt_id: string; nodes: Record<string, NodeProgressState> };
  executed: { node: string; display_node: string; output: UiOutput | null; prompt_id: string };
  execution_success: { prompt_id: string; timestamp: number };
  execution_error: ExecutionErrorData;
  execution_interrupted: { prompt_id: string; node_id: string; node_type: string; executed: string[]; timestamp: number };
}

export type ExecutionEventType = keyof ExecutionEventMap;

export type ExecutionEvent = {
  [K in ExecutionEventType]: { type: K; data: ExecutionEventMap[K] };
}[ExecutionEventType];

/** A preview image sent while a node runs (binary WebSocket frame in ComfyUI). */
export interface PreviewImage {
  format: 'JPEG' | 'PNG';
  bytes: Uint8Array;
}
