// Multi-line text inputs as real `<textarea>`s over the canvas, as ComfyUI's DOM widgets: one per
// MultilineWidget of the nodes the canvas draws, placed and scaled after every frame from the
// canvas transform, hidden while the node is collapsed, off-screen, inside a subgraph that is not
// shown, or zoomed out below litegraph's low-quality threshold (the canvas then draws the empty
// box alone). Textareas of nodes that left the graph are removed.
import type { LGraph, LGraphCanvas, LGraphNode } from '@comfyorg/litegraph';
import { MultilineWidget, TEXTAREA_MARGIN, textareaHeight } from './node-types.ts';

interface Entry {
  node: LGraphNode;
  element: HTMLTextAreaElement;
}

export class TextWidgets {
  private readonly layer: HTMLDivElement;
  private readonly entries = new Map<MultilineWidget, Entry>();

  constructor(
    private readonly canvas: LGraphCanvas,
    private readonly root: LGraph,
    /** A text was edited (on blur): undo and autosave take note. */
    private readonly committed: () => void,
  ) {
    this.layer = document.createElement('div');
    this.layer.className = 'fg-dom-widgets';
    canvas.canvas.after(this.layer);
  }

  /** The textarea of a widget, while it has one (tests and extensions). */
  elementOf(widget: MultilineWidget): HTMLTextAreaElement | undefined {
    return this.entries.get(widget)?.element;
  }

  /** Called after each frame the canvas draws. */
  update(): void {
    const { canvas } = this;
    const shown = new Set<MultilineWidget>();
    const { scale, offset } = canvas.ds;
    if (!canvas.low_quality) {
      for (const node of canvas.visible_nodes) {
        if (node.flags.collapsed || !node.widgets) continue;
        for (const widget of node.widgets) {
          if (!(widget instanceof MultilineWidget) || !node.isWidgetVisible(widget)) continue;
          const height = textareaHeight(widget);
          if (height < 8) continue;
          shown.add(widget);
          const element = this.entries.get(widget)?.element ?? this.create(widget, node);
          const x = (node.pos[0] + TEXTAREA_MARGIN + offset[0]) * scale;
          const y = (node.pos[1] + widget.y + offset[1]) * scale;
          const style = element.style;
          style.display = '';
          style.width = `${Math.max(0, node.size[0] - 2 * TEXTAREA_MARGIN)}px`;
          style.height = `${height}px`;
          style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
          const disabled = Boolean(widget.disabled) || node.getSlotFromWidget(widget)?.link != null;
          if (element.disabled !== disabled) element.disabled = disabled;
          const value = String(widget.value ?? '');
          // Values set from outside (undo, paste, control after generate) show unless the user is typing.
          if (element.value !== value && document.activeElement !== element) element.value = value;
        }
      }
    }
    for (const [widget, entry] of this.entries) {
      if (shown.has(widget)) continue;
      if (this.inGraph(entry.node)) entry.element.style.display = 'none';
      else this.drop(widget);
    }
  }

  /** Removes every textarea whose node left the graph (the next frame would too). */
  sweep(): void {
    for (const [widget, entry] of this.entries) if (!this.inGraph(entry.node)) this.drop(widget);
  }

  private create(widget: MultilineWidget, node: LGraphNode): HTMLTextAreaElement {
    const element = document.createElement('textarea');
    element.className = 'fg-textarea';
    element.placeholder = widget.label ?? widget.name;
    element.spellcheck = false;
    element.dataset.widget = widget.name;
    element.dataset.node = String(node.id);
    element.value = String(widget.value ?? '');
    element.addEventListener('input', () => {
      widget.value = element.value;
      node.setDirtyCanvas(true, false);
    });
    // Recorded on focus too, so that an undo right after the edit takes back the edit alone
    // (not layout the canvas did since the last record).
    element.addEventListener('focus', () => this.committed());
    element.addEventListener('change', () => this.committed());
    // The wheel zooms the canvas unless the text has lines to scroll.
    element.addEventListener(
      'wheel',
      (event) => {
        if (element.scrollHeight > element.clientHeight) return;
        event.preventDefault();
        this.canvas.canvas.dispatchEvent(new WheelEvent(event.type, event));
      },
      { passive: false },
    );
    this.layer.append(element);
    this.entries.set(widget, { node, element });
    return element;
  }

  private drop(widget: MultilineWidget): void {
    this.entries.get(widget)?.element.remove();
    this.entries.delete(widget);
  }

  /** Whether a node is still in the root graph or one of its subgraph definitions. */
  private inGraph(node: LGraphNode): boolean {
    const graph = node.graph as LGraph | null;
    if (!graph || graph.getNodeById(node.id) !== node) return false;
    return graph === this.root || this.root.subgraphs.get((graph as unknown as { id: never }).id) === (graph as never);
  }
}
