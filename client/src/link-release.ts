// Adding nodes through the search dialog: a double-click on empty canvas opens it (litegraph's
// own search box is replaced), and a link released on empty canvas opens it filtered by the
// link's type, then connects the chosen node to the link's socket, as ComfyUI's "search box"
// link-release action does.
import { LiteGraph, type LGraph, type LGraphCanvas, type LGraphNode } from '@comfyorg/litegraph';
import type { RenderLink } from '@comfyorg/litegraph/dist/canvas/RenderLink';
import type { Editor } from './editor.ts';
import { catalogOf, typesMatch } from './node-catalog.ts';
import type { NodeSearchDialog, SearchRequest } from './node-search.ts';

/** Adds a node of a class to the graph the canvas shows, at a graph point, selected. */
export function addNodeAt(canvas: LGraphCanvas, type: string, at: ArrayLike<number>): LGraphNode | undefined {
  const graph = canvas.graph as LGraph | null;
  const node = LiteGraph.createNode(type);
  if (!graph || !node) return undefined;
  node.pos = [at[0]!, at[1]!];
  graph.add(node);
  canvas.selectItems([node]);
  canvas.setDirty(true, true);
  return node;
}

export function installNodeSearch(editor: Editor, dialog: NodeSearchDialog): void {
  const canvas = editor.canvas;

  /** Opens the dialog at the pointer and adds the chosen class there; resolves with the new node. */
  const addFromSearch = async (event: MouseEvent, filter: Omit<SearchRequest, 'x' | 'y'>): Promise<LGraphNode | undefined> => {
    const graph = canvas.graph as LGraph | null;
    if (!graph) return undefined;
    const [x, y] = canvas.convertEventToCanvasOffset(event);
    dialog.catalog = catalogOf(editor.objectInfo);
    const chosen = await dialog.show({ x: event.clientX, y: event.clientY, ...filter });
    if (!chosen || canvas.graph !== graph) return undefined;
    return addNodeAt(canvas, chosen.name, [x!, y!]);
  };

  canvas.showSearchBox = ((event: MouseEvent) => {
    void addFromSearch(event, {});
    return document.createElement('div');
  }) as typeof canvas.showSearchBox;

  canvas.linkConnector.events.addEventListener('dropped-on-canvas', (custom) => {
    const connector = canvas.linkConnector;
    // Existing links dragged off a socket and dropped are disconnected, as litegraph does.
    if (connector.state.draggingExistingLinks) return;
    const links: RenderLink[] = [...connector.renderLinks];
    const first = links[0];
    if (!first) return;
    const type = String(first.fromSlot.type ?? '*');
    const toInput = first.toType === 'input';
    const event = custom.detail as unknown as MouseEvent;
    void addFromSearch(event, toInput ? { inputType: type } : { outputType: type }).then((node) => {
      if (!node) return;
      if (toInput) {
        const input = node.inputs.find((slot) => typesMatch(type, String(slot.type)));
        if (input) for (const link of links) link.connectToInput(node, input, connector.events);
      } else {
        const output = node.outputs.find((slot) => typesMatch(String(slot.type), type));
        // The new node sits left of the pointer, its output where the link was released.
        if (output) {
          node.pos = [node.pos[0] - node.size[0], node.pos[1]];
          for (const link of links) link.connectToOutput(node, output, connector.events);
        }
      }
      editor.checkpoint();
      canvas.setDirty(true, true);
    });
  });
}
