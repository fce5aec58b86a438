// ComfyUI's "UI format" workflow files: the litegraph serialisation the editor saves and loads.
// Schema 0.4 keeps links as arrays and `last_*_id` counters; schema 1 keeps links as objects and a
// `state` block. Only the fields the runtime reads are typed; every other field travels along
// untouched (the index signatures), so a file survives a load/save round trip byte for byte.

export type UiNodeId = number | string;

/** `[id, origin_id, origin_slot, target_id, target_slot, type]` (schema 0.4). */
export type UiLinkTuple = [number, UiNodeId, number | string, UiNodeId, number | string, unknown, ...unknown[]];

/** Schema 1 link (also used inside subgraph definitions). */
export interface UiLinkObject {
  id: number;
  origin_id: UiNodeId;
  origin_slot: number | string;
  target_id: UiNodeId;
  target_slot: number | string;
  type: unknown;
  parentId?: number;
  [key: string]: unknown;
}

export interface UiNodeInput {
  name: string;
  type: unknown;
  link: number | null;
  /** Present when the input is a widget's socket: its value still sits in `widgets_values`. */
  widget?: { name: string; [key: string]: unknown };
  label?: string;
  localized_name?: string;
  [key: string]: unknown;
}

export interface UiNodeOutput {
  name: string;
  type: unknown;
  links: number[] | null;
  slot_index?: number;
  widget?: { name: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** litegraph modes: 0 always, 1 on event, 2 never (muted), 3 on trigger, 4 bypass. */
export type UiNodeMode = 0 | 1 | 2 | 3 | 4;

export interface UiNode {
  id: UiNodeId;
  type: string;
  pos?: unknown;
  size?: unknown;
  flags?: Record<string, unknown>;
  order?: number;
  mode?: number;
  inputs?: UiNodeInput[];
  outputs?: UiNodeOutput[];
  title?: string;
  properties?: Record<string, unknown>;
  widgets_values?: unknown[] | Record<string, unknown>;
  [key: string]: unknown;
}

export interface UiGroup {
  id?: number;
  title: string;
  bounding: [number, number, number, number];
  [key: string]: unknown;
}

export interface UiReroute {
  id: number;
  parentId?: number;
  pos: unknown;
  linkIds?: number[];
  [key: string]: unknown;
}

export interface UiSubgraphIo {
  id: string;
  name: string;
  type: unknown;
  linkIds?: number[];
  [key: string]: unknown;
}

/** A subgraph definition: a schema-1 graph with its own inputs and outputs. */
export interface UiSubgraphDefinition {
  id: string;
  name?: string;
  nodes: UiNode[];
  links?: UiLinkObject[] | UiLinkTuple[];
  inputs?: UiSubgraphIo[];
  outputs?: UiSubgraphIo[];
  widgets?: { id: number; name: string }[];
  definitions?: { subgraphs?: UiSubgraphDefinition[] };
  [key: string]: unknown;
}

interface UiWorkflowCommon {
  id?: string;
  revision?: number;
  nodes: UiNode[];
  groups?: UiGroup[];
  config?: Record<string, unknown> | null;
  extra?: Record<string, unknown>;
  definitions?: { subgraphs?: UiSubgraphDefinition[]; [key: string]: unknown };
  [key: string]: unknown;
}

export interface UiWorkflowV04 extends UiWorkflowCommon {
  version?: 0.4 | number;
  last_node_id?: number;
  last_link_id?: number;
  links: UiLinkTuple[];
}

export interface UiWorkflowV1 extends UiWorkflowCommon {
  version: 1;
  state: { lastGroupId?: number; lastNodeId: number; lastLinkId: number; lastRerouteId?: number; [key: string]: unknown };
  links: UiLinkObject[];
  reroutes?: UiReroute[];
}

export type UiWorkflow = UiWorkflowV04 | UiWorkflowV1;

/** Control modes a seed-like widget carries next to its value in `widgets_values`. */
export type ControlMode = 'fixed' | 'increment' | 'decrement' | 'randomize' | 'increment-wrap';
