// Several open workflows: one tab each, with its own graph, undo history and view, an unsaved
// marker, and a question before anything unsaved is closed. A file, an example, a past run or New
// never replaces an unsaved graph: they open in a new tab (the shown one is reused only when it
// was never saved and holds nothing new). Tabs save to the server's workflows/ folder
// (userdata.ts), as ComfyUI's frontend does, so both frontends share them.
import type { UiWorkflow } from '../../types/workflow.ts';
import { askChoice, askText } from './ask.ts';
import type { Editor } from './editor.ts';
import { displayName, withJsonExtension, WorkflowExistsError, WorkflowStore, type StoredWorkflow } from './userdata.ts';

const TABS_KEY = 'flashgraph.workflow-tabs';
const EMPTY: UiWorkflow = { nodes: [], links: [], version: 0.4, last_node_id: 0, last_link_id: 0 } as unknown as UiWorkflow;

export interface WorkflowTab {
  readonly id: number;
  name: string;
  /** Where it is saved, below workflows/ ("a.json"); undefined until first saved. */
  path: string | undefined;
  /** The hash of the graph as opened or last saved; undefined for a new graph (unsaved once it has nodes). */
  savedHash: string | undefined;
  /** While another tab is shown: its graph, undo records, node outputs and state. */
  workflow?: UiWorkflow;
  history?: Editor['editHistory'];
  outputs?: Editor['nodeOutputs'];
  stashedHash?: string;
  stashedEmpty?: boolean;
}

interface StoredTabs {
  active: number;
  tabs: Pick<WorkflowTab, 'name' | 'path' | 'savedHash' | 'workflow' | 'stashedHash' | 'stashedEmpty'>[];
}

/** A short hash of a graph record (cyrb53), so unsaved markers survive a reload cheaply. */
export function hashText(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

export class Workflows extends EventTarget {
  readonly store: WorkflowStore;
  tabs: WorkflowTab[] = [];
  active!: WorkflowTab;
  /** The server's saved workflows, as last listed. */
  saved: StoredWorkflow[] = [];
  private nextId = 1;
  private activeHash = '';
  private persistTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly editor: Editor) {
    super();
    this.store = new WorkflowStore(editor.api);
    this.restoreTabs();
    this.measure();
    editor.addEventListener('edited', () => {
      this.measure();
      this.changed();
    });
    editor.beforeReplace = (name) => this.makeRoomFor(name);
    // The saved workflows are listed when the sidebar shows them (a new server has no workflows/
    // folder, and its listing is a 404 the browser logs).
    window.addEventListener('beforeunload', () => this.persist());
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
    clearTimeout(this.persistTimer);
    this.persistTimer = setTimeout(() => this.persist(), 200);
  }

  private measure(): void {
    this.activeHash = hashText(this.editor.stateKey ?? '');
  }

  private get shownEmpty(): boolean {
    return this.editor.graph._nodes.length === 0;
  }

  isModified(tab: WorkflowTab): boolean {
    const active = tab === this.active;
    const hash = active ? this.activeHash : tab.stashedHash;
    const empty = active ? this.shownEmpty : tab.stashedEmpty;
    return tab.savedHash === undefined ? !empty : hash !== tab.savedHash;
  }

  private newTab(name: string, path?: string): WorkflowTab {
    return { id: this.nextId++, name, path, savedHash: undefined };
  }

  /** The shown graph's state into its tab, before another one is shown. */
  private stash(): void {
    const tab = this.active;
    // The graph as litegraph serialises it (what undo records hold, so the records still match it
    // when it comes back), with the root view the file would get.
    const workflow = this.editor.graph.serialize() as unknown as UiWorkflow;
    workflow.extra = { ...(workflow.extra ?? {}), ds: this.editor.serialize().extra?.ds };
    tab.workflow = workflow;
    tab.history = this.editor.editHistory;
    tab.outputs = this.editor.nodeOutputs;
    tab.stashedHash = this.activeHash;
    tab.stashedEmpty = this.shownEmpty;
    tab.name = this.editor.workflowName;
  }

  /** Shows a put-aside tab: its graph, view (the file's extra.ds), undo records and node outputs. */
  private show(tab: WorkflowTab): void {
    this.active = tab;
    this.editor.loadUiWorkflow(tab.workflow ?? EMPTY, tab.name, true);
    if (tab.history && tab.history.undo.length > 0) this.editor.editHistory = tab.history;
    if (tab.outputs) this.editor.nodeOutputs = tab.outputs;
    tab.workflow = undefined;
    tab.history = undefined;
    tab.outputs = undefined;
    this.measure();
  }

  activate(tab: WorkflowTab): void {
    if (tab === this.active || !this.tabs.includes(tab)) return;
    this.stash();
    this.show(tab);
    this.changed();
  }

  /** A new empty tab, shown. */
  openNew(): void {
    this.stash();
    const tab = this.newTab('workflow');
    this.tabs.push(tab);
    this.show(tab);
    this.changed();
  }

  /**
   * Before a load replaces the shown graph: keeps the shown tab when it was never saved and holds
   * nothing new, else moves to a new empty tab. The loaded graph then counts as unmodified.
   */
  private makeRoomFor(name: string): void {
    const tab = this.active;
    if (tab.path !== undefined || this.isModified(tab)) {
      this.stash();
      const fresh = this.newTab(name);
      this.tabs.push(fresh);
      this.show(fresh);
    }
    this.active.name = name;
    this.active.path = undefined;
    // The load itself runs right after this, synchronously: its result is the baseline.
    queueMicrotask(() => {
      this.measure();
      this.active.savedHash = this.activeHash;
      this.active.name = this.editor.workflowName;
      this.changed();
    });
  }

  /** Closes a tab, asking first when it holds unsaved changes; false when the user kept it. */
  async close(tab: WorkflowTab): Promise<boolean> {
    if (this.isModified(tab)) {
      this.activate(tab);
      const answer = await askChoice(
        'Save changes?',
        `"${tab.name}" has changes that are not saved. Save them before closing?`,
        [
          { id: 'cancel', label: 'Cancel' },
          { id: 'discard', label: "Don't save", danger: true },
          { id: 'save', label: 'Save', primary: true },
        ],
        'cancel',
      );
      if (answer === 'cancel') return false;
      if (answer === 'save' && !(await this.save(tab))) return false;
    }
    const index = this.tabs.indexOf(tab);
    if (index < 0) return true;
    this.tabs.splice(index, 1);
    if (this.tabs.length === 0) this.tabs.push(this.newTab('workflow'));
    if (tab === this.active) this.show(this.tabs[Math.min(index, this.tabs.length - 1)]!);
    this.changed();
    return true;
  }

  /**
   * Saves the shown tab to workflows/ on the server: under its file, or under a name asked for
   * when it has none yet (or `saveAs`). An existing other file is replaced only when confirmed.
   */
  async save(tab: WorkflowTab = this.active, saveAs = false): Promise<boolean> {
    this.activate(tab);
    let path = tab.path;
    let overwrite = true;
    if (path === undefined || saveAs) {
      const name = await askText(saveAs ? 'Save workflow as' : 'Save workflow', 'File name in the workflows folder:', tab.path ? tab.path.replace(/\.json$/i, '') : tab.name);
      if (name === undefined) return false;
      path = withJsonExtension(name);
      if (path !== tab.path) {
        overwrite = (await this.listSafely()).some((file) => file.path === path);
        if (overwrite && !(await this.confirmOverwrite(path))) return false;
      }
    }
    try {
      await this.store.write(path, this.editor.serialize(), overwrite);
    } catch (error) {
      if (!(error instanceof WorkflowExistsError) || !(await this.confirmOverwrite(path))) {
        if (!(error instanceof WorkflowExistsError)) this.editor.notify({ kind: 'error', title: 'Save failed', lines: [(error as Error).message] });
        return false;
      }
      await this.store.write(path, this.editor.serialize(), true);
    }
    tab.path = path;
    tab.name = displayName(path);
    this.editor.workflowName = tab.name;
    tab.savedHash = this.activeHash;
    this.editor.autosave();
    this.editor.changed();
    this.changed();
    await this.refresh();
    return true;
  }

  private async confirmOverwrite(path: string): Promise<boolean> {
    const answer = await askChoice('Replace the saved workflow?', `workflows/${path} already exists. Replace it?`, [
      { id: 'cancel', label: 'Cancel' },
      { id: 'overwrite', label: 'Replace', danger: true },
    ], 'cancel');
    return answer === 'overwrite';
  }

  private async listSafely(): Promise<StoredWorkflow[]> {
    try {
      return await this.store.list();
    } catch {
      return this.saved;
    }
  }

  /** Lists the server's saved workflows again. */
  async refresh(): Promise<void> {
    try {
      this.saved = await this.store.list();
    } catch (error) {
      this.editor.notify({ kind: 'error', title: 'Could not list the saved workflows', lines: [(error as Error).message] });
    }
    this.changed();
  }

  /** Opens a saved workflow: its tab when it is open already, else in a tab of its own. */
  async openSaved(path: string): Promise<void> {
    const open = this.tabs.find((tab) => tab.path === path);
    if (open) {
      this.activate(open);
      return;
    }
    let data: unknown;
    try {
      data = await this.store.read(path);
      this.editor.loadWorkflowData(data, displayName(path));
    } catch (error) {
      this.editor.notify({ kind: 'error', title: `Could not open ${path}`, lines: [(error as Error).message] });
      return;
    }
    this.measure();
    this.active.path = path;
    this.active.savedHash = this.activeHash;
    this.changed();
  }

  async rename(path: string): Promise<void> {
    const name = await askText('Rename workflow', 'New file name in the workflows folder:', path.replace(/\.json$/i, ''), 'Rename');
    if (name === undefined) return;
    const target = withJsonExtension(name);
    if (target === path) return;
    try {
      await this.store.move(path, target);
    } catch (error) {
      const reason = error instanceof WorkflowExistsError ? `workflows/${target} already exists` : (error as Error).message;
      this.editor.notify({ kind: 'error', title: `Could not rename ${path}`, lines: [reason] });
      return;
    }
    for (const tab of this.tabs.filter((t) => t.path === path)) {
      tab.path = target;
      tab.name = displayName(target);
      if (tab === this.active) {
        this.editor.workflowName = tab.name;
        this.editor.changed();
      }
    }
    await this.refresh();
  }

  /** Deletes a saved workflow once confirmed; a tab showing it stays open, as unsaved. */
  async remove(path: string): Promise<void> {
    const answer = await askChoice('Delete workflow?', `Delete workflows/${path} from the server? This cannot be undone.`, [
      { id: 'cancel', label: 'Cancel' },
      { id: 'delete', label: 'Delete', danger: true },
    ], 'cancel');
    if (answer !== 'delete') return;
    try {
      await this.store.remove(path);
    } catch (error) {
      this.editor.notify({ kind: 'error', title: `Could not delete ${path}`, lines: [(error as Error).message] });
      return;
    }
    for (const tab of this.tabs.filter((t) => t.path === path)) {
      tab.path = undefined;
      tab.savedHash = undefined;
    }
    await this.refresh();
  }

  // ---- kept across reloads ----------------------------------------------------------------------

  private persist(): void {
    const stored: StoredTabs = {
      active: this.tabs.indexOf(this.active),
      tabs: this.tabs.map(({ name, path, savedHash, workflow, stashedHash, stashedEmpty }) => ({ name, path, savedHash, workflow, stashedHash, stashedEmpty })),
    };
    try {
      localStorage.setItem(TABS_KEY, JSON.stringify(stored));
    } catch {
      // A full storage quota costs only the other tabs after a reload.
    }
  }

  /** The tabs of the last session; the shown one is the graph the editor restored from its autosave. */
  private restoreTabs(): void {
    let stored: StoredTabs | undefined;
    try {
      stored = JSON.parse(localStorage.getItem(TABS_KEY) ?? 'null') as StoredTabs | undefined;
    } catch {
      stored = undefined;
    }
    const tabs = stored?.tabs.map((saved) => ({ ...this.newTab(saved.name, saved.path), ...saved })) ?? [];
    const active = tabs[stored?.active ?? -1];
    if (!active) {
      this.tabs = [this.newTab(this.editor.workflowName)];
      this.active = this.tabs[0]!;
      return;
    }
    active.workflow = undefined;
    active.name = this.editor.workflowName;
    this.tabs = tabs;
    this.active = active;
  }
}
