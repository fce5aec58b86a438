// Keeping nodes apart. Files laid out by another editor (or with smaller nodes than ours) can put
// nodes over each other once they take their real sizes; nodes grow when they show previews and
// outputs. Both cases move the nodes in the way down, as a person tidying the graph would.
import { LiteGraph, type LGraphNode } from '@comfyorg/litegraph';

/** Room kept between a node and the one pushed below it. */
const GAP = 20;

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** A node's area on the canvas, its title bar included. */
function boxOf(node: LGraphNode): Box {
  const title = LiteGraph.NODE_TITLE_HEIGHT;
  const [width, height] = node.flags.collapsed ? [node._collapsed_width ?? LiteGraph.NODE_COLLAPSED_WIDTH, 0] : [node.size[0], node.size[1]];
  return { left: node.pos[0], top: node.pos[1] - title, right: node.pos[0] + width, bottom: node.pos[1] + height };
}

const overlap = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/** Gives every node at least the size its sockets and widgets need (files may hold smaller ones); returns how many grew. */
export function fitNodeSizes(nodes: readonly LGraphNode[]): number {
  let grown = 0;
  for (const node of nodes) {
    const needed = node.computeSize();
    if (node.size[0] >= needed[0] && node.size[1] >= needed[1]) continue;
    node.setSize([Math.max(node.size[0], needed[0]), Math.max(node.size[1], needed[1])]);
    grown++;
  }
  return grown;
}

/**
 * Moves nodes down until none overlaps another: nodes are placed from the top, and each one that
 * overlaps a node placed before it goes below that node. Returns how many moved.
 */
export function spreadOverlaps(nodes: readonly LGraphNode[]): number {
  const order = [...nodes].sort((a, b) => a.pos[1] - b.pos[1] || a.pos[0] - b.pos[0]);
  const placed: Box[] = [];
  let moved = 0;
  for (const node of order) {
    const start = node.pos[1];
    let box = boxOf(node);
    for (let blocker = placed.find((p) => overlap(p, box)); blocker; blocker = placed.find((p) => overlap(p, box))) {
      node.pos[1] += blocker.bottom + GAP - box.top;
      box = boxOf(node);
    }
    if (node.pos[1] !== start) moved++;
    placed.push(box);
  }
  return moved;
}

/**
 * apiToUi guesses node heights: once the nodes exist, every node takes the size it needs and each
 * column (nodes at one x) is restacked from its top by the real heights.
 */
export function stackColumns(nodes: readonly LGraphNode[]): void {
  fitNodeSizes(nodes);
  const columns = new Map<number, LGraphNode[]>();
  for (const node of nodes) columns.set(node.pos[0], [...(columns.get(node.pos[0]) ?? []), node]);
  for (const column of columns.values()) {
    column.sort((a, b) => a.pos[1] - b.pos[1]);
    let y = column[0]!.pos[1];
    for (const node of column) {
      node.pos[1] = y;
      y += node.size[1] + LiteGraph.NODE_TITLE_HEIGHT + GAP;
    }
  }
}

/**
 * A node grew from `before` (its height then): the nodes below it that it now reaches move down
 * by what it grew, and the nodes those reach in turn.
 */
export function makeRoomBelow(grown: LGraphNode, before: number, nodes: readonly LGraphNode[]): void {
  const grew = grown.size[1] - before;
  if (grew <= 0) return;
  const oldBottom = grown.pos[1] + before;
  const pushers = [grown];
  const pushed = new Set<LGraphNode>([grown]);
  while (pushers.length > 0) {
    const pusher = pushers.pop()!;
    const area = boxOf(pusher);
    for (const node of nodes) {
      if (pushed.has(node)) continue;
      const box = boxOf(node);
      // Below the grown node's old bottom (not beside it), and reached now.
      if (box.top < oldBottom || !overlap(area, box)) continue;
      node.pos[1] += grew;
      pushed.add(node);
      pushers.push(node);
    }
  }
}
