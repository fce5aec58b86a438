// The editing session: the litegraph graph and canvas, the workflow files going in and out, the
// run state the server reports, undo/redo and autosave. Panels read its state and listen for
// its 'change' events.
import { LGraph, LGraphCanvas, LGraphEventMode, LGraphNode, LiteGraph, Subgraph } from '@comfyorg/litegraph';
import type { ExecutionEventMap, FileRef, HistoryEntry, NodeErrors, ObjectInfo, UiOutput } from '../../types/api.ts';
import type { UiWorkflow } from '../../types/workflow.ts';
import { applyControlAfterGenerate } from '../../server/workflow/control.ts';
import { detectWorkflow } from '../../server/workflow/detect.ts';
import { migrateFormerCore } from '../../server/workflow/former-core.ts';
import { apiToUi } from '../../server/workflow/to-ui.ts';
import { uiToApi } from '../../server/workflow/to-api.ts';
import { PromptRejected, type QueueState, type ServerApi } from './api.ts';
import { anyInside, controlTarget, entriesForInstance, executionIdOf, missingNodeTypes, parentPath, resolveExecutionId } from './subgraph-ids.ts';
import { FlashNode, mediaKindOf, OUTPUT_FILE_KEYS, registerNodeTypes } from './node-types.ts';
import { fitNodeSizes, makeRoomBelow, spreadOverlaps, stackColumns } from './layout.ts';
import { installModes, selectedNodes, silencedOutputsNotice, toggleMode } from './modes.ts';
import type { Notice } from './notice.ts';
import { FlashSubgraphNode, forgetSubgraphTypes, registerSubgraphType } from './subgraphs.ts';
import { TextWidgets } from './text-widgets.ts';

const AUTOSAVE_KEY = 'flashgraph.workflow';
const UNDO_LIMIT = 50;
const FRONTEND_VERSION = 'flashgraph-editor-0.1';

export interface GalleryItem {
  promptId: string;
  nodeId: string;
  kind: 'image' | 'video' | 'audio' | 'text';
  url?: string;
  /** The file name of a media item. */
  name?: string;
  text?: string;
}

/** An undo record: the graph as serialised, and the form records are compared in. */
export interface Snapshot {
  readonly key: string;
  readonly graph: string;
}

export interface RunStatus {
  promptId: string | undefined;
  node: string | undefined;
  nodeTitle: string | undefined;
  value: number;
  max: number;
}

export class Editor extends EventTarget {
  readonly graph = new LGraph();
  readonly canvas: LGraphCanvas;
  /** The textareas of multi-line text widgets over the canvas. */
  readonly textWidgets: TextWidgets;
  objectInfo: ObjectInfo = {};
  workflowName = 'workflow';
  queue: QueueState = { queue_running: [], queue_pending: [] };
  history: [string, HistoryEntry][] = [];
  gallery: GalleryItem[] = [];
  notices: Notice[] = [];
  run: RunStatus = { promptId: undefined, node: undefined, nodeTitle: undefined, value: 0, max: 0 };
  connected = false;
  /** Whether the open workflow is kept in this browser and restored on reload (Comfy.Workflow.Persist). */
  persist = true;
  private undoStack: Snapshot[] = [];
  private redoStack: Snapshot[] = [];
  private restoring = false;
  /** The subgraphs the canvas is inside, outermost first (definition ids); empty at the root. */
  private openPath: string[] = [];
  /** The subgraph node ids the open subgraphs were entered through, parallel to openPath. */
  private instancePath: string[] = [];
  /** The instance the subgraph being opened was entered through (set just before the canvas switches). */
  private pendingInstance: string | undefined;
  /** The latest outputs per execution id (`7`, `5:2`, `5:3:2`): each subgraph instance keeps its own. */
  private outputsByPath = new Map<string, UiOutput>();
  /** The error marks of the current run per execution id: the node's message and its inputs' messages. */
  private errorsByPath = new Map<string, { message?: string; inputs: Map<string, string> }>();
  /** Each graph's view (scale, offset) while the canvas shows another one: 'root' or a definition id. */
  private views = new Map<string, { scale: number; offset: [number, number] }>();
  /** node_errors of a prompt the server accepted with some outputs left out. */
  private partialErrors: { promptId: string; nodeErrors: NodeErrors } | undefined;
  /**
   * Called before a file, an example, a past run or New replaces the graph: the workflow tabs
   * (workflow-tabs.ts) open a new tab there unless the shown one can go.
   */
  beforeReplace: ((name: string) => void) | undefined;

  constructor(
    readonly api: ServerApi,
    canvasElement: HTMLCanvasElement,
  ) {
    super();
    this.canvas = new LGraphCanvas(canvasElement, this.graph);
    this.canvas.allow_searchbox = true;
    this.canvas.show_info = false;
    // Litegraph outlines the canvas's first screenful of graph space: no meaning to a user.
    this.canvas.render_canvas_border = false;
    installModes(() => this.checkpoint());
    this.textWidgets = new TextWidgets(this.canvas, this.graph, () => this.checkpoint());
    // After the nodes of each frame: the textareas follow them.
    this.canvas.onDrawForeground = () => this.textWidgets.update();
    // Structural edits (add, remove, connect, paste...) are recorded for undo once they settle.
    const later = () => setTimeout(() => this.checkpoint(), 0);
    this.graph.onNodeAdded = later;
    this.graph.onNodeRemoved = () => {
      setTimeout(() => this.textWidgets.sweep(), 0);
      later();
    };
    this.graph.onAfterChange = later;
    // One node class per subgraph definition, registered as definitions appear (file loads,
    // undo, "Convert to Subgraph"), as ComfyUI's frontend does.
    this.graph.events.addEventListener('subgraph-created', (event) => registerSubgraphType(this.graph, event.detail.subgraph));
    // Dispatched before the new node exists: tidy up and record once the conversion is done.
    this.graph.events.addEventListener('convert-to-subgraph', () =>
      setTimeout(() => {
        for (const node of this.subgraphNodes()) if (!node.widgetsConsistent()) node.relayout();
        this.checkpoint();
      }, 0),
    );
    // Which instance a subgraph is opened through (double-click, the title button, openSubgraphOf):
    // the subgraph node under the pointer, else a selected one, else the first.
    const openSubgraph = this.canvas.openSubgraph.bind(this.canvas);
    this.canvas.openSubgraph = (subgraph: Subgraph) => {
      if (this.pendingInstance === undefined) this.pendingInstance = this.instanceOpening(subgraph);
      try {
        openSubgraph(subgraph);
      } finally {
        this.pendingInstance = undefined;
      }
    };
    canvasElement.addEventListener('litegraph:set-graph', (event) => {
      const { newGraph, oldGraph } = (event as CustomEvent<{ newGraph: LGraph | Subgraph; oldGraph: LGraph | Subgraph | null | undefined }>).detail;
      this.onGraphShown(newGraph, oldGraph ?? undefined);
    });
  }

  async start(): Promise<void> {
    this.objectInfo = await this.api.objectInfo();
    registerNodeTypes(this.objectInfo, {
      canvas: () => this.canvas,
      upload: (file) => this.api.uploadImage(file),
      viewUrl: (file) => this.api.viewUrl(file),
      changed: () => this.checkpoint(),
      fetchRoute: (route) => this.api.fetchRoute(route),
      grew: (node, before) => makeRoomBelow(node, before, node.graph?._nodes ?? []),
    });
    this.listen();
    this.api.connect();
    const saved = this.persist ? localStorage.getItem(AUTOSAVE_KEY) : null;
    let restored = false;
    if (saved) {
      try {
        const { name, workflow } = JSON.parse(saved) as { name: string; workflow: UiWorkflow };
        this.loadUiWorkflow(workflow, name);
        restored = true;
      } catch (error) {
        this.notify({ kind: 'error', title: 'Could not restore the autosaved workflow', lines: [String(error)] });
      }
    }
    if (!restored) this.loadUiWorkflow({ nodes: [], links: [], version: 0.4, last_node_id: 0, last_link_id: 0 }, 'workflow');
    void this.refreshQueue();
    void this.refreshHistory();
    window.addEventListener('beforeunload', () => this.autosave());
  }

  changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  notify(notice: Notice): void {
    this.notices = [...this.notices.slice(-4), notice];
    this.changed();
  }

  dismissNotice(notice: Notice): void {
    this.notices = this.notices.filter((n) => n !== notice);
    this.changed();
  }

  // ---- nodes ----------------------------------------------------------------------------------

  /** The node an execution id names: `7` on the root graph, `5:2` node 2 inside subgraph node 5. */
  nodeById(id: string | number): FlashNode | undefined {
    const node = this.executionChain(id)?.at(-1);
    return node instanceof FlashNode ? node : undefined;
  }

  /** The nodes an execution id passes through, outermost first (subgraph nodes, then the node itself). */
  executionChain(id: string | number): LGraphNode[] | undefined {
    return resolveExecutionId<LGraphNode>(this.graph as never, id, (node) => (node instanceof FlashSubgraphNode ? (node.subgraph as never) : undefined));
  }

  /** Every node of the root graph and of every subgraph definition. */
  private allNodes(): LGraphNode[] {
    return [...this.graph._nodes, ...[...this.graph.subgraphs.values()].flatMap((subgraph) => subgraph._nodes)];
  }

  private flashNodes(): FlashNode[] {
    return this.allNodes().filter((node): node is FlashNode => node instanceof FlashNode);
  }

  private subgraphNodes(): FlashSubgraphNode[] {
    return this.allNodes().filter((node): node is FlashSubgraphNode => node instanceof FlashSubgraphNode);
  }

  /** The graph the canvas shows: the root or a subgraph. */
  get shownGraph(): LGraph {
    return (this.canvas.graph ?? this.graph) as LGraph;
  }

  // ---- subgraph navigation --------------------------------------------------------------------

  /** Root first, then each subgraph the canvas is inside: the breadcrumb. */
  graphPath(): { name: string; id: string }[] {
    return [{ name: 'Root', id: 'root' }, ...this.openPath.map((id) => ({ id, name: this.graph.subgraphs.get(id as never)?.name ?? id }))];
  }

  /** Opens the subgraph a subgraph node stands for (double-click and the title button do the same). */
  openSubgraphOf(node: LGraphNode): void {
    if (!(node instanceof FlashSubgraphNode)) return;
    this.pendingInstance = String(node.id);
    this.canvas.openSubgraph(node.subgraph);
  }

  /** The execution path of the instance the shown subgraph was entered through (`[]` at the root). */
  get shownInstancePath(): string[] {
    return [...this.instancePath];
  }

  private instanceOpening(subgraph: Subgraph): string | undefined {
    const graph = this.shownGraph;
    const candidates = graph._nodes.filter((node): node is FlashSubgraphNode => node instanceof FlashSubgraphNode && node.subgraph === subgraph);
    const [x = 0, y = 0] = this.canvas.graph_mouse;
    const under = candidates.find((node) => node.isPointInside(x, y));
    const selected = candidates.find((node) => node.selected);
    const chosen = under ?? selected ?? candidates[0];
    return chosen === undefined ? undefined : String(chosen.id);
  }

  /** Shows the root graph (`depth` 0) or the subgraph at that depth of the breadcrumb. */
  navigateTo(depth: number): void {
    const id = depth <= 0 ? undefined : this.openPath[depth - 1];
    const target = id === undefined ? this.graph : this.graph.subgraphs.get(id as never);
    if (!target || target === this.canvas.graph) return;
    this.canvas.setGraph(target);
  }

  private graphKey(graph: LGraph | Subgraph): string {
    return graph instanceof Subgraph ? graph.id : 'root';
  }

  private onGraphShown(shown: LGraph | Subgraph, previous: LGraph | Subgraph | undefined): void {
    const key = this.graphKey(shown);
    if (shown instanceof Subgraph) {
      const at = this.openPath.indexOf(key);
      if (at >= 0) {
        this.openPath = this.openPath.slice(0, at + 1);
        this.instancePath = this.instancePath.slice(0, at + 1);
      } else {
        this.openPath = [...this.openPath, key];
        this.instancePath = [...this.instancePath, this.pendingInstance ?? this.instanceOpening(shown) ?? '?'];
      }
      this.pendingInstance = undefined;
      this.showInstanceState();
    } else {
      this.openPath = [];
      this.instancePath = [];
    }
    if (previous && previous !== shown && this.graphKey(previous) !== key) {
      this.views.set(this.graphKey(previous), { scale: this.canvas.ds.scale, offset: [this.canvas.ds.offset[0], this.canvas.ds.offset[1]] });
      const view = this.views.get(key);
      if (view) {
        this.canvas.ds.scale = view.scale;
        this.canvas.ds.offset = [...view.offset];
      } else this.fitView();
    }
    this.canvas.setDirty(true, true);
    this.changed();
  }

  /** The root graph's view, also while a subgraph is shown (saved in files as `extra.ds`). */
  private rootView(): { scale: number; offset: [number, number] } {
    if (this.shownGraph === this.graph) return { scale: this.canvas.ds.scale, offset: [this.canvas.ds.offset[0], this.canvas.ds.offset[1]] };
    return this.views.get('root') ?? { scale: 1, offset: [0, 0] };
  }

  /** Ctrl+M, Ctrl+B: mutes or bypasses the selected nodes, or turns them back on. */
  setModeOfSelected(mode: LGraphEventMode): void {
    if (!toggleMode(selectedNodes(this.canvas), mode)) return;
    this.canvas.setDirty(true, true);
    this.checkpoint();
  }

  // ---- workflow files -------------------------------------------------------------------------

  serialize(): UiWorkflow {
    const workflow = this.graph.serialize() as unknown as UiWorkflow;
    workflow.extra = { ...(workflow.extra ?? {}), ds: this.rootView(), frontendVersion: FRONTEND_VERSION };
    return workflow;
  }

  /** Any workflow file's content: UI format as it is, API format converted with apiToUi. */
  loadWorkflowData(data: unknown, name: string, options: { fit?: boolean } = {}): void {
    const loaded = detectWorkflow(data);
    this.beforeReplace?.(name);
    let workflow: UiWorkflow;
    if (loaded.format === 'api') {
      const converted = apiToUi(loaded.prompt, this.objectInfo);
      workflow = converted.workflow;
      if (converted.warnings.length > 0) this.notify({ kind: 'info', title: `Converted ${name} from API format`, lines: converted.warnings });
    } else {
      const migrated = migrateFormerCore(loaded.workflow, this.objectInfo);
      workflow = migrated.workflow as UiWorkflow;
      if (migrated.warnings.length > 0) this.notify({ kind: 'info', title: `Updated ${name} to the current node classes`, lines: migrated.warnings });
    }
    this.loadUiWorkflow(workflow, name);
    if (loaded.format === 'api') this.stackColumns();
    // A file without a saved view is fitted, as loadUiWorkflow did before the layout below.
    else this.tidy(options.fit === true || savedView(workflow) === undefined);
  }

  /** Nodes get the sizes they need and none stays over another; the view is fitted when asked (examples). */
  private tidy(fit: boolean): void {
    const changed = fitNodeSizes(this.graph._nodes) + spreadOverlaps(this.graph._nodes);
    if (fit) {
      // Nodes finish their layout on their first frame (previews reserve room, pushing others):
      // draw one, then fit what it laid out.
      this.fitView();
      this.canvas.draw(true, true);
      this.fitView();
    }
    this.canvas.setDirty(true, true);
    // The file as laid out is where undo starts.
    if (changed === 0) return;
    this.undoStack = [];
    this.checkpoint();
  }

  /** An API prompt laid out by apiToUi: columns restacked by the nodes' real sizes, then fitted. */
  private stackColumns(): void {
    stackColumns(this.graph._nodes);
    this.fitView();
    this.canvas.setDirty(true, true);
    this.undoStack = [];
    this.checkpoint();
  }

  /** Shows a UI-format workflow with a fresh undo history; `quiet` leaves out the missing-nodes notice. */
  loadUiWorkflow(workflow: UiWorkflow, name: string, quiet = false): void {
    forgetSubgraphTypes();
    this.outputsByPath.clear();
    this.errorsByPath.clear();
    const missing = missingNodeTypes(workflow, (type) => Boolean(LiteGraph.registered_node_types[type]) || isFrontendOnly(type));
    // A new file opens at its root.
    if (this.canvas.graph !== this.graph) this.canvas.setGraph(this.graph);
    this.views.clear();
    this.restoring = true;
    try {
      this.graph.configure(structuredClone(workflow) as never);
    } finally {
      this.restoring = false;
    }
    const ds = savedView(workflow);
    if (ds) {
      this.canvas.ds.scale = ds.scale;
      this.canvas.ds.offset = [ds.offset[0], ds.offset[1]];
    } else this.fitView();
    this.workflowName = name;
    this.undoStack = [];
    this.redoStack = [];
    this.canvas.setDirty(true, true);
    this.checkpoint();
    if (missing.length > 0 && !quiet) this.notify({ kind: 'error', title: 'Node types missing on this server', lines: missing });
    this.reportWidgetRepairs(name);
    this.changed();
  }

  /** Says which saved widget values went to other widgets than their positions (the converter's repair). */
  private reportWidgetRepairs(name: string): void {
    const notes = this.flashNodes().flatMap((node) => (node.loadNote ? [node.loadNote] : []));
    for (const node of this.flashNodes()) node.loadNote = undefined;
    if (notes.length === 0) return;
    const failed = notes.some((note) => note.error);
    const title = failed ? `Some widget values of ${name} fit none of their widgets` : `Widget values of ${name} were matched to their widgets by type`;
    this.notify({ kind: failed ? 'error' : 'info', title, lines: notes.map((note) => note.text) });
  }

  newWorkflow(): void {
    this.beforeReplace?.('workflow');
    this.notices = [];
    this.loadUiWorkflow({ nodes: [], links: [], version: 0.4, last_node_id: 0, last_link_id: 0 }, 'workflow');
  }

  /** Fits the shown graph into the view (the `.` key). */
  fitView(): void {
    const nodes = this.shownGraph._nodes;
    if (nodes.length === 0) {
      this.canvas.ds.scale = 1;
      this.canvas.ds.offset = [0, 0];
      return;
    }
    const xs = nodes.flatMap((n) => [n.pos[0], n.pos[0] + n.size[0]]);
    const ys = nodes.flatMap((n) => [n.pos[1] - LiteGraph.NODE_TITLE_HEIGHT, n.pos[1] + n.size[1]]);
    const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const element = this.canvas.canvas;
    const width = element.clientWidth || 800;
    const height = element.clientHeight || 600;
    const scale = Math.min(1, Math.max(0.2, Math.min((width - 80) / (maxX - minX), (height - 80) / (maxY - minY))));
    this.canvas.ds.scale = scale;
    this.canvas.ds.offset = [(width / scale - (maxX - minX)) / 2 - minX, (height / scale - (maxY - minY)) / 2 - minY];
    this.canvas.setDirty(true, true);
  }

  apiPrompt(): ReturnType<typeof uiToApi> {
    return uiToApi(this.serialize(), this.objectInfo);
  }

  download(kind: 'ui' | 'api'): void {
    let data: unknown;
    try {
      data = kind === 'ui' ? this.serialize() : this.apiPrompt().prompt;
    } catch (error) {
      this.notify({ kind: 'error', title: 'Export failed', lines: [(error as Error).message] });
      return;
    }
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `${this.workflowName}${kind === 'api' ? '.api' : ''}.json`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }

  // ---- undo / redo / autosave -----------------------------------------------------------------

  /** Records the graph when it differs from the last record (called after every user action). */
  checkpoint(): void {
    if (this.restoring) return;
    const snapshot = this.snapshot();
    if (this.undoStack.at(-1)?.key !== snapshot.key) {
      this.undoStack.push(snapshot);
      if (this.undoStack.length > UNDO_LIMIT) this.undoStack.shift();
      this.redoStack = [];
      this.dispatchEvent(new Event('edited'));
    }
    this.autosave();
  }

  /** The graph as last recorded, without the view: equal keys, equal workflows (unsaved markers). */
  get stateKey(): string | undefined {
    return this.undoStack.at(-1)?.key;
  }

  /** The latest outputs per execution id, for a workflow tab put aside and brought back. */
  get nodeOutputs(): ReadonlyMap<string, UiOutput> {
    return new Map(this.outputsByPath);
  }

  set nodeOutputs(outputs: ReadonlyMap<string, UiOutput>) {
    this.outputsByPath = new Map(outputs);
    for (const [id, output] of outputs) {
      const node = this.nodeById(id);
      if (node && this.showsPath(id, node)) node.setOutputs(output, (file) => this.api.viewUrl(file));
    }
    this.canvas.setDirty(true, true);
  }

  /** The undo and redo records, for a workflow tab put aside and brought back. */
  get editHistory(): { undo: readonly Snapshot[]; redo: readonly Snapshot[] } {
    return { undo: [...this.undoStack], redo: [...this.redoStack] };
  }

  set editHistory(history: { undo: readonly Snapshot[]; redo: readonly Snapshot[] }) {
    this.undoStack = [...history.undo];
    this.redoStack = [...history.redo];
  }

  /**
   * The graph for undo, without what litegraph derives while drawing or configuring: the view it
   * adds while the root is shown (and not while a subgraph is), the places of subgraph input and
   * output slots, the execution order. Opening a subgraph or going back is no edit, and an undo
   * leaves the redo stack as it was.
   */
  private snapshot(): Snapshot {
    const graph = this.graph.serialize() as unknown as UiWorkflow;
    // The stamp serialize() puts on files is no edit either (a file re-opened from the autosave has it).
    if (graph.extra) {
      delete graph.extra.ds;
      delete graph.extra.frontendVersion;
    }
    for (const definition of graph.definitions?.subgraphs ?? []) {
      for (const slot of [...(definition.inputs ?? []), ...(definition.outputs ?? [])]) delete slot.pos;
    }
    // The execution order litegraph computes anew on every configure.
    for (const node of [...graph.nodes, ...(graph.definitions?.subgraphs ?? []).flatMap((definition) => definition.nodes)]) delete node.order;
    const full = JSON.stringify(graph);
    // Clicking a node brings it to the front (it moves to the end of the list): no edit either,
    // so records are compared with the nodes in id order, and restored as they were drawn.
    const byId = (a: { id: unknown }, b: { id: unknown }) => String(a.id).localeCompare(String(b.id), undefined, { numeric: true });
    graph.nodes = [...graph.nodes].sort(byId);
    for (const definition of graph.definitions?.subgraphs ?? []) definition.nodes = [...definition.nodes].sort(byId);
    return { key: JSON.stringify(graph), graph: full };
  }

  autosave(): void {
    try {
      if (!this.persist) {
        localStorage.removeItem(AUTOSAVE_KEY);
        return;
      }
      localStorage.setItem(AUTOSAVE_KEY, JSON.stringify({ name: this.workflowName, workflow: this.serialize() }));
    } catch {
      // A full storage quota only costs the autosave.
    }
  }

  undo(): void {
    this.checkpoint();
    if (this.undoStack.length < 2) return;
    this.redoStack.push(this.undoStack.pop()!);
    this.restore(this.undoStack.at(-1)!);
  }

  redo(): void {
    const next = this.redoStack.pop();
    if (!next) return;
    this.undoStack.push(next);
    this.restore(next);
  }

  private restore(snapshot: Snapshot): void {
    this.restoring = true;
    forgetSubgraphTypes();
    try {
      this.graph.configure(JSON.parse(snapshot.graph) as never);
    } finally {
      this.restoring = false;
    }
    this.canvas.setDirty(true, true);
    this.autosave();
    this.dispatchEvent(new Event('edited'));
    this.changed();
  }

  // ---- queueing -------------------------------------------------------------------------------

  async queuePrompt(): Promise<boolean> {
    const workflow = this.serialize();
    let prompt;
    try {
      const converted = uiToApi(workflow, this.objectInfo);
      prompt = converted.prompt;
      const silenced = silencedOutputsNotice(prompt, this.allNodes(), this.objectInfo);
      if (silenced) {
        this.notify(silenced);
        return false;
      }
      if (converted.warnings.length > 0) this.notify({ kind: 'info', title: 'Queued with warnings', lines: converted.warnings });
    } catch (error) {
      this.notify({ kind: 'error', title: 'The workflow cannot be converted', lines: [(error as Error).message] });
      return false;
    }
    this.clearValidationErrors();
    try {
      const accepted = await this.api.queuePrompt(prompt, workflow);
      // As ComfyUI, the server runs the outputs that passed validation and names the others.
      if (accepted.node_errors && Object.keys(accepted.node_errors).length > 0) {
        this.partialErrors = { promptId: accepted.prompt_id, nodeErrors: accepted.node_errors };
        const lines = this.markNodeErrors(accepted.node_errors);
        this.notify({ kind: 'error', title: 'Some outputs failed validation and were left out of the run', lines });
      }
    } catch (error) {
      if (error instanceof PromptRejected) this.showValidationErrors(error);
      else this.notify({ kind: 'error', title: 'Queueing failed', lines: [(error as Error).message] });
      return false;
    }
    // Control after generate: the next run gets the next seed, as in ComfyUI.
    applyControlAfterGenerate(workflow, this.objectInfo, Math.random, (change) => {
      const target = controlTarget(change.node);
      const graph = target.subgraph === undefined ? this.graph : this.graph.subgraphs.get(target.subgraph as never);
      const node = graph?.getNodeById(target.node as never);
      const widget = node instanceof FlashNode ? node.widget(change.widget) : undefined;
      if (widget) widget.value = change.to as never;
    });
    this.canvas.setDirty(true, false);
    this.checkpoint();
    void this.refreshQueue();
    return true;
  }

  private clearValidationErrors(): void {
    this.clearRunState();
    this.notices = this.notices.filter((n) => n.kind !== 'error');
    this.canvas.setDirty(true, false);
    this.changed();
  }

  private showValidationErrors(rejection: PromptRejected): void {
    const lines = this.markNodeErrors(rejection.nodeErrors);
    this.notify({ kind: 'error', title: rejection.message, lines });
  }

  /** Marks the nodes (and the subgraph nodes around them) that node_errors name; returns a line per error. */
  private markNodeErrors(nodeErrors: NodeErrors): string[] {
    const lines: string[] = [];
    for (const [id, entry] of Object.entries(nodeErrors)) {
      const node = this.nodeById(id);
      this.markSubgraphNodes(id, (outer) => (outer.has_errors = true));
      for (const error of entry.errors) {
        const input = (error.extra_info as { input_name?: unknown }).input_name;
        // ComfyUI often puts the input's name in `details`: said once is enough.
        const text = error.details && error.details !== input ? `${error.message}: ${error.details}` : error.message;
        lines.push(`#${id} ${node?.title ?? entry.class_type}${typeof input === 'string' ? ` · ${input}` : ''}: ${text}`);
        this.recordError(id, typeof input === 'string' ? input : undefined, text);
        if (!node || !this.showsPath(id, node)) continue;
        node.has_errors = true;
        if (typeof input === 'string') node.inputErrors.set(input, text);
        else node.errorMessage = text;
      }
    }
    this.canvas.setDirty(true, true);
    return lines;
  }

  async refreshQueue(): Promise<void> {
    try {
      this.queue = await this.api.queue();
      this.changed();
    } catch {
      // The next status event tries again.
    }
  }

  async refreshHistory(): Promise<void> {
    try {
      const history = await this.api.history(50);
      this.history = Object.entries(history).reverse();
      this.changed();
    } catch {
      // idem
    }
  }

  async cancel(promptId: string, running: boolean): Promise<void> {
    if (running) await this.api.interrupt(promptId);
    else await this.api.deleteFromQueue([promptId]);
    await this.refreshQueue();
  }

  async clearQueue(): Promise<void> {
    await this.api.clearQueue();
    await this.refreshQueue();
  }

  openHistoryWorkflow(promptId: string): void {
    const entry = this.history.find(([id]) => id === promptId)?.[1];
    const workflow = (entry?.prompt[3]?.extra_pnginfo as { workflow?: unknown } | undefined)?.workflow;
    try {
      if (workflow) this.loadWorkflowData(workflow, `run-${promptId.slice(0, 8)}`);
      else if (entry) this.loadWorkflowData(entry.prompt[2], `run-${promptId.slice(0, 8)}`);
    } catch (error) {
      this.notify({ kind: 'error', title: 'Could not open that run', lines: [(error as Error).message] });
    }
  }

  outputsOf(promptId: string, outputs: Record<string, UiOutput>): GalleryItem[] {
    return Object.entries(outputs).flatMap(([nodeId, ui]) => galleryItems(promptId, nodeId, ui, (file) => this.api.viewUrl(file)));
  }

  // ---- live run state -------------------------------------------------------------------------

  private listen(): void {
    const { api } = this;
    api.on('connect', () => {
      this.connected = true;
      this.changed();
    });
    api.on('disconnect', () => {
      this.connected = false;
      this.changed();
    });
    api.on('status', () => void this.refreshQueue());
    api.on('execution_start', ({ prompt_id }) => {
      this.clearRunState();
      // The errors of outputs left out of this run stay shown while it runs.
      if (this.partialErrors?.promptId === prompt_id) this.markNodeErrors(this.partialErrors.nodeErrors);
      this.run = { promptId: prompt_id, node: undefined, nodeTitle: undefined, value: 0, max: 0 };
      this.canvas.setDirty(true, false);
      this.changed();
    });
    api.on('executing', (data) => this.onExecuting(data));
    api.on('progress', ({ node, value, max, prompt_id }) => {
      const target = this.nodeById(node);
      const fraction = max > 0 ? value / max : undefined;
      if (target && this.showsPath(node, target)) target.progress = fraction;
      // The subgraph nodes around it show the inner node's progress.
      this.markSubgraphNodes(node, (outer) => (outer.progress = fraction));
      this.canvas.setDirty(true, false);
      this.run = { ...this.run, promptId: prompt_id, node, nodeTitle: this.titleOf(node), value, max };
      this.changed();
    });
    api.on('executed', (data) => this.onExecuted(data));
    api.on('execution_error', (data) => {
      const node = this.nodeById(data.node_id);
      const message = `${data.exception_type}: ${data.exception_message.trim()}`;
      this.recordError(data.node_id, undefined, message);
      this.markSubgraphNodes(data.node_id, (outer) => {
        outer.running = false;
        outer.has_errors = true;
      });
      if (node && this.showsPath(data.node_id, node)) {
        node.running = false;
        node.has_errors = true;
        node.errorMessage = message;
        this.canvas.setDirty(true, true);
      }
      this.notify({ kind: 'error', title: `Node #${data.node_id} (${data.node_type}) failed`, lines: [message] });
      void this.refreshHistory();
    });
    api.on('execution_interrupted', ({ node_id }) => {
      this.notify({ kind: 'info', title: 'Interrupted', lines: [node_id ? `while node #${node_id} ran` : 'before it started'] });
    });
    api.on('execution_success', () => void this.refreshHistory());
    api.on('b_preview_with_metadata', ({ node_id, display_node_id, image, image_type }) => {
      const node = this.nodeById(display_node_id ?? node_id) ?? this.nodeById(node_id);
      node?.setPreview(new Blob([image as BlobPart], { type: image_type }));
    });
  }

  private clearRunState(): void {
    this.errorsByPath.clear();
    for (const node of this.flashNodes()) node.clearRunState();
    for (const node of this.subgraphNodes()) node.clearRunState();
  }

  /**
   * Whether a node an execution id resolved to shows that id's state now: always while its graph
   * is not shown (opening it shows the state of the instance it is entered through), and while it
   * is, only for the instance the canvas was entered through.
   */
  private showsPath(id: string, node: LGraphNode): boolean {
    if (node.graph !== this.shownGraph || this.shownGraph === this.graph) return true;
    return parentPath(id) === this.instancePath.join(':');
  }

  private recordError(id: string, input: string | undefined, text: string): void {
    const entry = this.errorsByPath.get(id) ?? { inputs: new Map<string, string>() };
    if (input === undefined) entry.message = text;
    else entry.inputs.set(input, text);
    this.errorsByPath.set(id, entry);
  }

  /** Puts the outputs and run marks of the instance the shown subgraph was entered through on its nodes. */
  private showInstanceState(): void {
    const graph = this.shownGraph;
    if (graph === this.graph) return;
    const outputs = entriesForInstance(this.outputsByPath, this.instancePath);
    const errors = entriesForInstance(this.errorsByPath, this.instancePath);
    const viewUrl = (file: FileRef) => this.api.viewUrl(file);
    for (const node of graph._nodes) {
      const inner = String(node.id);
      const id = executionIdOf(this.instancePath, inner);
      if (node instanceof FlashNode) {
        node.clearOutputs();
        node.clearRunState();
        const output = outputs.get(inner);
        if (output) node.setOutputs(output, viewUrl);
        const error = errors.get(inner);
        if (error) {
          node.has_errors = true;
          node.errorMessage = error.message;
          for (const [input, text] of error.inputs) node.inputErrors.set(input, text);
        }
        node.running = this.run.node === id;
      } else if (node instanceof FlashSubgraphNode) {
        node.clearRunState();
        node.has_errors = anyInside(this.errorsByPath, [...this.instancePath, inner]);
        node.running = this.run.node !== undefined && this.run.node.startsWith(`${id}:`);
      }
    }
    this.canvas.setDirty(true, true);
  }

  /** Applies `mark` to the subgraph nodes around the node an execution id names (none at the root). */
  private markSubgraphNodes(id: string, mark: (node: FlashSubgraphNode) => void): void {
    const parts = String(id).split(':');
    for (const [i, node] of (this.executionChain(id)?.slice(0, -1) ?? []).entries()) {
      if (node instanceof FlashSubgraphNode && this.showsPath(parts.slice(0, i + 1).join(':'), node)) mark(node);
    }
  }

  /** "Subgraph › Inner node" for nodes inside subgraphs. */
  private titleOf(id: string): string {
    const chain = this.executionChain(id);
    return chain ? chain.map((node) => node.title).join(' › ') : id;
  }

  private onExecuting({ node }: ExecutionEventMap['executing']): void {
    for (const flash of [...this.flashNodes(), ...this.subgraphNodes()]) {
      if (flash.running) {
        flash.running = false;
        flash.progress = undefined;
      }
    }
    if (node === null) {
      this.run = { promptId: undefined, node: undefined, nodeTitle: undefined, value: 0, max: 0 };
      void this.refreshQueue();
    } else {
      const target = this.nodeById(node);
      if (target && this.showsPath(node, target)) target.running = true;
      this.markSubgraphNodes(node, (outer) => (outer.running = true));
      this.run = { ...this.run, node, nodeTitle: this.titleOf(node), value: 0, max: 0 };
    }
    this.canvas.setDirty(true, false);
    this.changed();
  }

  private onExecuted({ node, display_node, output, prompt_id }: ExecutionEventMap['executed']): void {
    const id = this.nodeById(display_node ?? node) ? (display_node ?? node) : node;
    const target = this.nodeById(id);
    if (output) this.outputsByPath.set(String(id), output);
    if (target && this.showsPath(id, target)) target.setOutputs(output, (file) => this.api.viewUrl(file));
    this.canvas.setDirty(true, false);
    if (output) this.gallery = [...galleryItems(prompt_id, node, output, (file) => this.api.viewUrl(file)), ...this.gallery].slice(0, 60);
    this.changed();
  }
}

/** The view a workflow file saved (`extra.ds`), when it holds a usable one. */
function savedView(workflow: UiWorkflow): { scale: number; offset: [number, number] } | undefined {
  const ds = (workflow.extra as { ds?: { scale?: unknown; offset?: unknown } } | undefined)?.ds;
  return ds && typeof ds.scale === 'number' && Array.isArray(ds.offset) ? { scale: ds.scale, offset: [Number(ds.offset[0]), Number(ds.offset[1])] } : undefined;
}

const FRONTEND_ONLY = new Set(['Reroute', 'Note', 'MarkdownNote', 'PrimitiveNode']);

function isFrontendOnly(type: string): boolean {
  return FRONTEND_ONLY.has(type);
}

function galleryItems(promptId: string, nodeId: string, ui: UiOutput, viewUrl: (file: FileRef) => string): GalleryItem[] {
  const items: GalleryItem[] = [];
  for (const key of OUTPUT_FILE_KEYS) {
    for (const file of ui[key] ?? []) {
      if (typeof file !== 'object' || file === null || typeof (file as FileRef).filename !== 'string') continue;
      const ref = file as FileRef;
      items.push({ promptId, nodeId, kind: mediaKindOf(key, ref.filename), url: viewUrl(ref), name: ref.filename });
    }
  }
  for (const text of ui.text ?? []) items.push({ promptId, nodeId, kind: 'text', text: typeof text === 'string' ? text : JSON.stringify(text) });
  return items;
}
