// The editor's page: toolbar, canvas, side panels (queue, history, gallery), status bar and
// notices, as lit elements rendered into the light DOM so one stylesheet styles them all.
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import type { QueueItem } from '../../types/api.ts';
import { ServerApi } from './api.ts';
import { Editor, type GalleryItem } from './editor.ts';
import './history-panel.ts';
import type { Workflows } from './workflow-tabs.ts';
import { installWorkspace } from './workspace.ts';
import './canvas-controls.ts';
import { installLinkTooltips } from './link-tooltip.ts';
import { FileIntake, OPEN_ACCEPT } from './media-drop.ts';
import { autoCloseNotices } from './notices.ts';
import type { SettingsDialog } from './settings-dialog.ts';
import './settings-dialog.ts';
import { applySettings, Settings } from './settings.ts';
import type { ShortcutsPanel } from './shortcuts-panel.ts';
import './shortcuts-panel.ts';
import { installShortcuts, isTextField } from './shortcuts.ts';

type Tab = 'queue' | 'history' | 'gallery';

abstract class LightElement extends LitElement {
  protected override createRenderRoot(): HTMLElement {
    return this;
  }
}

/** Panels re-render whenever the editor reports a change. */
abstract class EditorView extends LightElement {
  static override properties = { editor: { attribute: false } };
  declare editor: Editor | undefined;
  private readonly onChange = () => this.requestUpdate();

  protected override updated(changed: PropertyValues): void {
    if (changed.has('editor')) {
      (changed.get('editor') as Editor | undefined)?.removeEventListener('change', this.onChange);
      this.editor?.addEventListener('change', this.onChange);
    }
  }
}

export class FlashGraphApp extends LightElement {
  static override properties = { tab: { state: true }, menuOpen: { state: true }, examples: { state: true }, ready: { state: true } };
  declare tab: Tab;
  declare menuOpen: boolean;
  declare examples: { label: string; load: () => Promise<unknown> }[];
  declare ready: boolean;
  editor: Editor | undefined;
  /** The open workflow tabs and the server's saved workflows. */
  workflows: Workflows | undefined;
  private intake: FileIntake | undefined;
  settings: Settings | undefined;

  constructor() {
    super();
    this.tab = 'queue';
    this.menuOpen = false;
    this.examples = [];
    this.ready = false;
  }

  override async firstUpdated(): Promise<void> {
    const canvas = this.querySelector<HTMLCanvasElement>('#fg-canvas')!;
    canvas.tabIndex = 0;
    const api = new ServerApi();
    const editor = new Editor(api, canvas);
    this.editor = editor;
    (window as unknown as { flashgraph: Editor }).flashgraph = editor;
    const resize = () => editor.canvas.resize(canvas.parentElement!.clientWidth, canvas.parentElement!.clientHeight);
    new ResizeObserver(resize).observe(canvas.parentElement!);
    resize();
    this.installInputHandlers(canvas);
    // Workflow and media files dropped anywhere on the page.
    this.intake = new FileIntake(editor);
    this.intake.install();
    installLinkTooltips(editor.canvas);
    // The settings first: whether the autosaved workflow is restored is one.
    const settings = new Settings((path) => api.url(path));
    this.settings = settings;
    try {
      await settings.load();
    } catch (error) {
      editor.notify({ kind: 'error', title: 'Could not read the settings; the defaults apply', lines: [(error as Error).message] });
    }
    applySettings(settings, editor);
    autoCloseNotices(editor, () => settings.get<number>('FlashGraph.Notices.CloseAfterSeconds'));
    try {
      await editor.start();
    } catch (error) {
      editor.notify({ kind: 'error', title: 'Could not reach the server', lines: [(error as Error).message] });
    }
    this.workflows = installWorkspace(editor);
    await this.loadExtensions(api);
    this.ready = true;
    document.body.dataset.ready = 'true';
    void this.loadExampleList(api);
  }

  /**
   * Node packs' editor extensions: ES modules loaded once the node types exist, so they can
   * decorate them; they reach the editor through `window.flashgraph`. One failing script is
   * reported and the others still load.
   */
  private async loadExtensions(api: ServerApi): Promise<void> {
    let urls: string[];
    try {
      urls = await api.extensions();
    } catch (error) {
      this.editor?.notify({ kind: 'error', title: 'Could not list editor extensions', lines: [(error as Error).message] });
      return;
    }
    for (const url of urls) {
      try {
        await import(/* @vite-ignore */ new URL(`.${url}`, location.href).href);
      } catch (error) {
        this.editor?.notify({ kind: 'error', title: `Editor extension ${url} failed to load`, lines: [(error as Error).message] });
      }
    }
  }

  private async loadExampleList(api: ServerApi): Promise<void> {
    const examples: FlashGraphApp['examples'] = [];
    try {
      for (const name of await api.exampleWorkflows()) examples.push({ label: name.replace(/\.json$/, ''), load: () => api.exampleWorkflow(name) });
      for (const [pack, names] of Object.entries(await api.templates())) {
        for (const name of names) examples.push({ label: `${pack} / ${name}`, load: () => api.template(pack, name) });
      }
    } catch (error) {
      this.editor?.notify({ kind: 'error', title: 'Could not list example workflows', lines: [(error as Error).message] });
    }
    this.examples = examples;
  }

  private installInputHandlers(canvas: HTMLCanvasElement): void {
    const editor = () => this.editor;
    // Every pointer or key action on the canvas may have changed the graph: record it once
    // litegraph has handled it. Litegraph catches pointerup and keyup on the document in the
    // capture phase and stops them there, so the window's capture phase is the place to listen.
    const record = () => setTimeout(() => editor()?.checkpoint(), 0);
    window.addEventListener('pointerup', (event) => {
      if (event.target === canvas || canvas.contains(event.target as Node)) record();
    }, true);
    canvas.addEventListener('pointerdown', () => canvas.focus());
    window.addEventListener('keyup', (event) => {
      if (!isTextField(event.target)) record();
    }, true);
    installShortcuts(() =>
      this.editor
        ? {
          editor: this.editor,
          saveWorkflow: () => void this.workflows?.save(),
          openFilePicker: () => this.openFilePicker(),
          openSettings: () => this.openSettings(),
          toggleShortcuts: () => this.toggleShortcuts(),
        }
        : undefined,
    );
  }

  openSettings(): void {
    const dialog = this.querySelector<SettingsDialog>('fg-settings-dialog');
    if (dialog) dialog.open = true;
  }

  toggleShortcuts(): void {
    const panel = this.querySelector<ShortcutsPanel>('fg-shortcuts-panel');
    if (panel) panel.open = !panel.open;
  }

  openFilePicker(): void {
    this.querySelector<HTMLInputElement>('#fg-open-file')?.click();
  }

  private onFileChosen(event: Event): void {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (file) void this.intake?.open(file);
    input.value = '';
  }

  override render() {
    const editor = this.editor;
    return html`
      <header class="fg-toolbar">
        <span class="fg-brand">FlashGraph</span>
        <button data-action="queue" class="fg-primary" title="Queue (Ctrl+Enter)" @click=${() => void editor?.queuePrompt()}>Queue</button>
        <button data-action="new" @click=${() => editor?.newWorkflow()}>New</button>
        <button data-action="open" title="Open (Ctrl+O)" @click=${() => this.openFilePicker()}>Open…</button>
        <button data-action="save" title="Save in the server's workflows (Ctrl+S)" @click=${() => void this.workflows?.save()}>Save</button>
        <button data-action="save-as" title="Save under another name" @click=${() => void this.workflows?.save(undefined, true)}>Save As…</button>
        <button data-action="export" title="Download the workflow file" @click=${() => editor?.download('ui')}>Export</button>
        <button data-action="export-api" title="Export API format (Ctrl+Shift+S)" @click=${() => editor?.download('api')}>Export (API)</button>
        <div class="fg-menu">
          <button data-action="examples" @click=${() => (this.menuOpen = !this.menuOpen)}>Examples ▾</button>
          ${this.menuOpen
            ? html`<ul class="fg-menu-list">
                ${this.examples.length === 0 ? html`<li class="fg-muted">none</li>` : nothing}
                ${this.examples.map(
                  (example) =>
                    html`<li>
                      <button
                        data-example=${example.label}
                        @click=${async () => {
                          this.menuOpen = false;
                          try {
                            editor?.loadWorkflowData(await example.load(), example.label.replace(/^.* \/ /, ''), { fit: true });
                          } catch (error) {
                            editor?.notify({ kind: 'error', title: `Could not open ${example.label}`, lines: [(error as Error).message] });
                          }
                        }}
                      >
                        ${example.label}
                      </button>
                    </li>`,
                )}
              </ul>`
            : nothing}
        </div>
        <button data-action="undo" title="Undo (Ctrl+Z)" @click=${() => editor?.undo()}>↶</button>
        <button data-action="redo" title="Redo (Ctrl+Y)" @click=${() => editor?.redo()}>↷</button>
        <span class="fg-spacer"></span>
        <span class="fg-hint">double-click: add node · right-click: menu · ? keys</span>
        <button data-action="shortcuts" title="Keyboard shortcuts (?)" @click=${() => this.toggleShortcuts()}>Keys</button>
        <button data-action="settings" title="Settings (Ctrl+,)" @click=${() => this.openSettings()}>Settings</button>
        <input id="fg-open-file" type="file" accept=${OPEN_ACCEPT} hidden @change=${(e: Event) => this.onFileChosen(e)} />
      </header>
      <main class="fg-main">
        <fg-left-sidebar .editor=${editor} .workflows=${this.workflows}></fg-left-sidebar>
        <div class="fg-center">
          <fg-workflow-tabs .workflows=${this.workflows}></fg-workflow-tabs>
          <div class="fg-canvas-wrap"><canvas id="fg-canvas"></canvas><fg-breadcrumb .editor=${editor}></fg-breadcrumb
            ><fg-canvas-controls .editor=${editor} .settings=${this.settings}></fg-canvas-controls
          ></div>
        </div>
        <aside class="fg-side">
          <nav class="fg-tabs">
            ${(['queue', 'history', 'gallery'] as Tab[]).map(
              (tab) => html`<button class=${this.tab === tab ? 'active' : ''} data-tab=${tab} @click=${() => (this.tab = tab)}>${tab}</button>`,
            )}
          </nav>
          ${this.tab === 'queue' ? html`<fg-queue-panel .editor=${editor}></fg-queue-panel>` : nothing}
          ${this.tab === 'history' ? html`<fg-history-panel .editor=${editor}></fg-history-panel>` : nothing}
          ${this.tab === 'gallery' ? html`<fg-gallery .editor=${editor}></fg-gallery>` : nothing}
        </aside>
      </main>
      <fg-status-bar .editor=${editor}></fg-status-bar>
      <fg-notices .editor=${editor}></fg-notices>
      <fg-settings-dialog .settings=${this.settings}></fg-settings-dialog>
      <fg-shortcuts-panel></fg-shortcuts-panel>
    `;
  }
}

export class QueuePanel extends EditorView {
  override render() {
    const editor = this.editor;
    if (!editor) return nothing;
    const { queue_running: running, queue_pending: pending } = editor.queue;
    const row = (item: QueueItem, isRunning: boolean) =>
      html`<li class="fg-queue-item ${isRunning ? 'running' : 'pending'}" data-prompt-id=${item[1]}>
        <span>#${item[0]} ${isRunning ? 'running' : 'pending'}</span>
        <code>${item[1].slice(0, 8)}</code>
        <button data-action="cancel" @click=${() => void editor.cancel(item[1], isRunning)}>${isRunning ? 'Interrupt' : 'Cancel'}</button>
      </li>`;
    return html`<section class="fg-panel fg-queue">
      <div class="fg-panel-head">
        <span>${running.length} running · ${pending.length} pending</span>
        <button data-action="clear-queue" ?disabled=${pending.length === 0} @click=${() => void editor.clearQueue()}>Clear pending</button>
      </div>
      <ul>
        ${running.map((item) => row(item, true))} ${[...pending].sort((a, b) => a[0] - b[0]).map((item) => row(item, false))}
      </ul>
      ${running.length + pending.length === 0 ? html`<p class="fg-muted">The queue is empty. Ctrl+Enter queues the workflow.</p>` : nothing}
    </section>`;
  }
}

export class Gallery extends EditorView {
  override render() {
    const editor = this.editor;
    if (!editor) return nothing;
    return html`<section class="fg-panel fg-gallery">
      ${editor.gallery.length === 0 ? html`<p class="fg-muted">Outputs of this session's runs appear here.</p>` : nothing}
      <div class="fg-thumbs">${editor.gallery.map(renderItem)}</div>
    </section>`;
  }
}

function renderItem(item: GalleryItem) {
  const title = `node #${item.nodeId} · ${item.promptId.slice(0, 8)}`;
  if (item.kind === 'image') return html`<a class="fg-thumb" href=${item.url} target="_blank" title=${title}><img src=${item.url} alt=${title} /></a>`;
  if (item.kind === 'video') return html`<video class="fg-thumb" src=${item.url} title=${title} muted loop autoplay playsinline></video>`;
  if (item.kind === 'audio') {
    return html`<figure class="fg-thumb fg-audio" title=${title}><figcaption>${item.name}</figcaption><audio src=${item.url} controls preload="metadata"></audio></figure>`;
  }
  return html`<pre class="fg-thumb fg-text" title=${title}>${item.text}</pre>`;
}

/** Where the canvas is: Root › Subgraph › Nested subgraph, each a button back to that level. Hidden at the root. */
export class Breadcrumb extends EditorView {
  override render() {
    const editor = this.editor;
    const path = editor?.graphPath() ?? [];
    if (!editor || path.length < 2) return nothing;
    return html`<nav class="fg-breadcrumb" aria-label="subgraph path">
      ${path.map((entry, depth) =>
        depth === path.length - 1
          ? html`<span class="fg-crumb current" data-depth=${depth}>${entry.name}</span>`
          : html`<button class="fg-crumb" data-depth=${depth} title=${depth === 0 ? 'Back to the root graph' : `Back to ${entry.name}`} @click=${() => editor.navigateTo(depth)}>
                ${entry.name}</button
              ><span class="fg-crumb-sep">›</span>`,
      )}
    </nav>`;
  }
}

export class StatusBar extends EditorView {
  override render() {
    const editor = this.editor;
    if (!editor) return nothing;
    const { run } = editor;
    const fraction = run.max > 0 ? run.value / run.max : 0;
    return html`<footer class="fg-status">
      <span class="fg-dot ${editor.connected ? 'on' : 'off'}" title=${editor.connected ? 'connected' : 'disconnected'}></span>
      <span class="fg-workflow-name">${editor.workflowName}</span>
      ${run.node
        ? html`<span class="fg-running" data-node-id=${run.node}>running #${run.node} ${run.nodeTitle ?? ''}</span>
            <progress class="fg-progress" max="1" .value=${fraction}></progress>
            <span class="fg-progress-text">${run.max > 0 ? `${run.value}/${run.max}` : ''}</span>`
        : html`<span class="fg-muted">idle</span>`}
      <span class="fg-spacer"></span>
      <span class="fg-muted">queue: ${editor.queue.queue_running.length + editor.queue.queue_pending.length}</span>
    </footer>`;
  }
}

export class Notices extends EditorView {
  override render() {
    const editor = this.editor;
    if (!editor || editor.notices.length === 0) return nothing;
    return html`<div class="fg-notices">
      ${editor.notices.map(
        (notice, i) => html`<div class="fg-notice ${notice.kind}" data-notice=${i}>
          <button class="fg-close" title="dismiss" @click=${() => editor.dismissNotice(notice)}>×</button>
          <strong>${notice.title}</strong>
          <ul>
            ${notice.lines.map((line) => html`<li>${line}</li>`)}
          </ul>
        </div>`,
      )}
    </div>`;
  }
}


customElements.define('fg-app', FlashGraphApp);
customElements.define('fg-queue-panel', QueuePanel);
customElements.define('fg-gallery', Gallery);
customElements.define('fg-status-bar', StatusBar);
customElements.define('fg-breadcrumb', Breadcrumb);
customElements.define('fg-notices', Notices);
