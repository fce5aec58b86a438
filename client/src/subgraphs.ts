// Subgraphs in the editor. Litegraph keeps the definitions (`graph.subgraphs`) and draws a
// subgraph's inside; like ComfyUI's frontend, the editor registers one node class per
// definition (type = the definition's id) so that `graph.configure` and "Convert to Subgraph"
// can create its instances.
import { LGraph, LiteGraph, SubgraphNode, type ExportedSubgraphInstance, type Subgraph } from '@comfyorg/litegraph';
import type { ISerialisedNode } from '@comfyorg/litegraph/dist/types/serialisation';

/** A subgraph's instance on its parent graph, with the run-state decorations FlashNodes have. */
export class FlashSubgraphNode extends SubgraphNode {
  /** One of the nodes inside (at any depth) is running. */
  running = false;
  errorMessage: string | undefined = undefined;

  constructor(graph: LGraph, subgraph: Subgraph, instanceData: ExportedSubgraphInstance) {
    super(graph, subgraph, instanceData);
    // Promoted widgets keep their values in the instance's widgets_values, as in ComfyUI's files.
    this.serialize_widgets = true;
    this.strokeStyles.running = () => (this.running ? { color: '#22e07a', lineWidth: 3, padding: 7 } : undefined);
    // Litegraph's "open" title button draws a PrimeIcons glyph, a font the editor does not load.
    for (const button of this.title_buttons) if (button.name === 'enter_subgraph') button.text = '↗';
  }

  /**
   * "Convert to Subgraph" creates the node with plain input and output objects (createNode's
   * options, the definition's slots as saved): lay it out from the definition instead, as a file
   * load does, so that its slots are real ones and inputs feeding widgets inside carry their
   * promoted widgets (greyed while linked).
   */
  override onNodeCreated(): void {
    const plain = [...this.inputs, ...this.outputs].some((slot) => 'linkIds' in slot);
    if (!plain) return;
    this.configure({ id: this.id, type: this.type, pos: [this.pos[0], this.pos[1]], size: [this.size[0], this.size[1]], flags: {}, order: 0, mode: this.mode } as unknown as ExportedSubgraphInstance);
  }

  /** The promoted widgets' own values, before a file's widgets_values are laid over them. */
  private promotedDefaults: unknown[] = [];

  override _internalConfigureAfterSlots(): void {
    super._internalConfigureAfterSlots();
    this.promotedDefaults = this.widgets.map((widget) => widget.value);
  }

  /**
   * Litegraph gives `widgets_values` to the promoted widgets by position. Files that mark fewer
   * inputs as widgets than there are promoted widgets (hand-written ones, older frontends: a
   * widget input fed from outside left unmarked) mean the marked inputs, in order, as the
   * server's converter reads them: match by name instead.
   */
  override onConfigure(info: ISerialisedNode): void {
    const values = info.widgets_values;
    const marked = (info.inputs ?? []).filter((input) => input.widget).map((input) => input.widget?.name ?? input.name);
    if (!Array.isArray(values) || marked.length === this.widgets.length) return;
    for (const [i, widget] of this.widgets.entries()) widget.value = this.promotedDefaults[i] as never;
    for (const [i, name] of marked.entries()) {
      const widget = this.widgets.find((w) => w.name === name);
      if (widget && i < values.length) widget.value = values[i] as never;
    }
  }

  /**
   * Whether the promoted widgets match the inputs: one per input marked as a widget input, no
   * duplicates. Converting nodes inside a subgraph into a nested one disconnects and reconnects
   * the subgraph's inputs, and litegraph's promotion bookkeeping can leave duplicates or
   * unmarked widgets behind on the instances outside.
   */
  widgetsConsistent(): boolean {
    const names = this.widgets.map((widget) => widget.name);
    const marked = this.inputs.filter((input) => input.widget).map((input) => input.widget!.name);
    return new Set(names).size === names.length && names.length === marked.length && marked.every((name) => names.includes(name));
  }

  /** Lays the node out again from its definition (slots and promoted widgets), keeping its links and values. */
  relayout(): void {
    this.configure(this.serialize() as unknown as ExportedSubgraphInstance);
    this.setDirtyCanvas(true, true);
  }

  clearRunState(): void {
    this.running = false;
    this.progress = undefined;
    this.errorMessage = undefined;
    this.has_errors = false;
  }
}

/** The node types registered for subgraph definitions so far. */
const subgraphTypes = new Set<string>();

/**
 * Unregisters every subgraph node class: before a workflow is configured anew, so that a file can
 * only make instances of the definitions it holds (not of a previous file's).
 */
export function forgetSubgraphTypes(): void {
  for (const type of subgraphTypes) if (LiteGraph.registered_node_types[type]) LiteGraph.unregisterNodeType(type);
  subgraphTypes.clear();
}

/** Registers (or re-registers, after the definition was configured anew) the class of a subgraph's instances. */
export function registerSubgraphType(root: LGraph, subgraph: Subgraph): void {
  subgraphTypes.add(subgraph.id);
  const instanceData = { id: -1, type: subgraph.id, pos: [0, 0], size: [100, 100], inputs: [], outputs: [], flags: {}, order: 0, mode: 0 } as unknown as ExportedSubgraphInstance;
  const nodeClass = class extends FlashSubgraphNode {
    static override title = subgraph.name;
    constructor() {
      super(root, subgraph, instanceData);
    }
  };
  LiteGraph.registerNodeType(subgraph.id, nodeClass);
  // Instances are made by conversion or by files, not from the node menus.
  Object.assign(nodeClass, { category: 'subgraphs', skip_list: true });
}
