// Node modes as ComfyUI has them: always (0), never, i.e. muted (2), and bypass (4). Litegraph
// 0.17.2 knows bypass only as a number (its changeMode() refuses 4) and still offers its event
// modes (On Event, On Trigger), which add execution sockets ComfyUI has no use for: those are
// refused here and gone from the menus. Muted nodes are drawn faded and bypassed ones tinted
// purple, with the values ComfyUI's frontend uses (src/scripts/app.ts, #addDrawNodeHandler, and
// the NODE_BYPASS_BGCOLOR of its palettes, v1.27.10).
import { LGraphCanvas, LGraphEventMode, LGraphNode, LiteGraph, Subgraph, SubgraphNode, type ContextMenu } from '@comfyorg/litegraph';
import type { ApiPrompt, ObjectInfo } from '../../types/api.ts';
import type { Notice } from './notice.ts';

export const BYPASS_BGCOLOR = '#FF00FF';
/** The canvas alpha a node is drawn with (ComfyUI: 0.4 muted, 0.2 bypassed). */
export const MUTED_ALPHA = 0.4;
export const BYPASS_ALPHA = 0.2;

/** The modes a user can pick, in menu order. */
const MENU_MODES: [label: string, mode: LGraphEventMode][] = [
  ['Always', LGraphEventMode.ALWAYS],
  ['Never (mute)', LGraphEventMode.NEVER],
  ['Bypass', LGraphEventMode.BYPASS],
];
const USER_MODES = new Set<number>(MENU_MODES.map(([, mode]) => mode));

let installed = false;

/**
 * Patches litegraph once: changeMode takes the three modes and refuses the event modes, the
 * node menu's Mode entry lists the three (applied to the selection), and the drawing shows them.
 * `changed` is told after a menu pick so undo and autosave record it.
 */
export function installModes(changed: () => void): void {
  if (installed) return;
  installed = true;
  LGraphNode.prototype.changeMode = function (this: LGraphNode, mode: LGraphEventMode): boolean {
    if (!USER_MODES.has(mode)) return false;
    this.mode = mode;
    return true;
  };
  LGraphCanvas.onMenuNodeMode = (_value, _options, event, menu, node) => {
    new LiteGraph.ContextMenu(
      MENU_MODES.map(([label]) => label),
      {
        event,
        parentMenu: menu as ContextMenu<unknown> | undefined,
        callback: (picked: unknown) => {
          const mode = MENU_MODES.find(([label]) => label === picked)?.[1];
          const canvas = LGraphCanvas.active_canvas;
          if (mode === undefined || !node) return;
          const selected = selectedNodes(canvas);
          // A pick on a node outside the selection sets that node alone, as litegraph does.
          setMode(selected.includes(node) ? selected : [node], mode);
          canvas.setDirty(true, true);
          changed();
        },
      } as never,
    );
    return false;
  };
  // Litegraph's debugging panel offers the event modes in a combo of its own.
  const nodeMenu = LGraphCanvas.prototype.getNodeMenuOptions;
  LGraphCanvas.prototype.getNodeMenuOptions = function (this: LGraphCanvas, node: LGraphNode) {
    return nodeMenu.call(this, node).filter((option) => option?.content !== 'Properties Panel');
  };
  const drawNode = LGraphCanvas.prototype.drawNode;
  LGraphCanvas.prototype.drawNode = function (this: LGraphCanvas, node: LGraphNode, ctx: CanvasRenderingContext2D) {
    const { mode } = node;
    if (mode !== LGraphEventMode.NEVER && mode !== LGraphEventMode.BYPASS) return drawNode.call(this, node, ctx);
    const alpha = this.editor_alpha;
    const bgcolor = node.bgcolor;
    this.editor_alpha = alpha * (mode === LGraphEventMode.BYPASS ? BYPASS_ALPHA : MUTED_ALPHA);
    if (mode === LGraphEventMode.BYPASS) node.bgcolor = BYPASS_BGCOLOR;
    try {
      return drawNode.call(this, node, ctx);
    } finally {
      this.editor_alpha = alpha;
      node.bgcolor = bgcolor;
    }
  };
}

/**
 * Files saved while litegraph's event modes were on offer can hold them (mode 1 or 3) and the
 * execution sockets On Trigger added (onTrigger, onExecuted: type -1): the node opens as always,
 * without them.
 */
export function dropEventModes(node: LGraphNode): void {
  if (node.mode === LGraphEventMode.ON_EVENT || node.mode === LGraphEventMode.ON_TRIGGER) node.mode = LGraphEventMode.ALWAYS;
  const isEvent = (slot: { name: string; type: unknown }, name: string) => slot.name === name && Number(slot.type) === LiteGraph.EVENT;
  for (let i = node.outputs.length - 1; i >= 0; i--) if (isEvent(node.outputs[i]!, 'onExecuted')) node.removeOutput(i);
  for (let i = node.inputs.length - 1; i >= 0; i--) if (isEvent(node.inputs[i]!, 'onTrigger')) node.removeInput(i);
}

export function selectedNodes(canvas: LGraphCanvas): LGraphNode[] {
  return [...canvas.selectedItems].filter((item): item is LGraphNode => item instanceof LGraphNode);
}

/**
 * Ctrl+M and Ctrl+B: the selected nodes take `mode`, or all go back to always when all of them
 * already had it. A subgraph node passes its new mode to every node inside, as ComfyUI's
 * toggleSelectedNodesMode (src/composables/canvas/useSelectedLiteGraphItems.ts) does.
 */
export function toggleMode(nodes: LGraphNode[], mode: LGraphEventMode): boolean {
  if (nodes.length === 0) return false;
  setMode(nodes, nodes.every((node) => node.mode === mode) ? LGraphEventMode.ALWAYS : mode);
  return true;
}

function setMode(nodes: LGraphNode[], mode: LGraphEventMode): void {
  for (const node of nodes) {
    node.mode = mode;
    if (node instanceof SubgraphNode) setMode(node.subgraph._nodes, mode);
  }
}

/**
 * Why a prompt has nothing to run, when that is because its output nodes are muted or bypassed:
 * the notice naming them (the server would only say "Prompt has no outputs").
 */
export function silencedOutputsNotice(prompt: ApiPrompt, nodes: readonly LGraphNode[], objectInfo: ObjectInfo): Notice | undefined {
  const isOutput = (type: string) => Object.hasOwn(objectInfo, type) && objectInfo[type]!.output_node === true;
  if (Object.values(prompt).some((node) => isOutput(node.class_type))) return undefined;
  const silenced = nodes.filter((node) => isOutput(node.type) && (node.mode === LGraphEventMode.NEVER || node.mode === LGraphEventMode.BYPASS));
  if (silenced.length === 0) return undefined;
  return {
    kind: 'error',
    title: 'Nothing to run: every output node is muted or bypassed',
    lines: [
      ...silenced.map((node) => {
        const where = node.graph instanceof Subgraph ? ` (in subgraph ${node.graph.name})` : '';
        return `#${node.id} ${node.title}${where} is ${node.mode === LGraphEventMode.NEVER ? 'muted' : 'bypassed'}`;
      }),
      'Select one and press Ctrl+M (mute) or Ctrl+B (bypass) to turn it back on.',
    ],
  };
}
