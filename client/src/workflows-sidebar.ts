// The workflows sidebar: the workflows saved on the server (workflows/ in the user's folder, the
// files ComfyUI's frontend lists too), each opened with a click, renamed or deleted; the open
// tabs above them.
import { html, LitElement, nothing } from 'lit';
import { WatchChanges } from './watch-changes.ts';
import type { Workflows } from './workflow-tabs.ts';

export class WorkflowsPanel extends LitElement {
  static override properties = { workflows: { attribute: false }, filter: { state: true } };
  declare workflows: Workflows | undefined;
  declare filter: string;

  constructor() {
    super();
    new WatchChanges(this, () => this.workflows);
    this.filter = '';
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.workflows?.refresh();
  }

  override render() {
    const workflows = this.workflows;
    if (!workflows) return nothing;
    const words = this.filter.toLowerCase().split(/\s+/).filter(Boolean);
    const saved = workflows.saved.filter((file) => words.every((word) => file.path.toLowerCase().includes(word)));
    const openPaths = new Set(workflows.tabs.map((tab) => tab.path));
    return html`<section class="fg-panel fg-workflows">
      <div class="fg-panel-head">
        <span>Open</span>
      </div>
      <ul class="fg-open-workflows">
        ${workflows.tabs.map(
          (tab) =>
            html`<li class="fg-open-workflow ${tab === workflows.active ? 'active' : ''}" @click=${() => workflows.activate(tab)}>
              <span>${tab.name}</span>${workflows.isModified(tab) ? html`<span class="fg-unsaved">•</span>` : nothing}
            </li>`,
        )}
      </ul>
      <div class="fg-panel-head">
        <span>Saved on the server</span>
        <button data-action="refresh-workflows" title="List again" @click=${() => void workflows.refresh()}>↻</button>
      </div>
      <input class="fg-workflows-search" type="search" placeholder="Filter…" .value=${this.filter} @input=${(event: Event) => (this.filter = (event.target as HTMLInputElement).value)} />
      <ul class="fg-saved-workflows">
        ${saved.map(
          (file) =>
            html`<li class="fg-saved-workflow ${openPaths.has(file.path) ? 'open' : ''}" data-path=${file.path}>
              <button class="fg-saved-open" title=${`Open workflows/${file.path}`} @click=${() => void workflows.openSaved(file.path)}>${file.path.replace(/\.json$/i, '')}</button>
              <button class="fg-saved-rename" data-action="rename" title="Rename" @click=${() => void workflows.rename(file.path)}>✎</button>
              <button class="fg-saved-delete" data-action="delete" title="Delete" @click=${() => void workflows.remove(file.path)}>✕</button>
            </li>`,
        )}
      </ul>
      ${workflows.saved.length === 0 ? html`<p class="fg-muted">No saved workflows yet. Ctrl+S saves the shown one here.</p>` : nothing}
    </section>`;
  }
}

customElements.define('fg-workflows-panel', WorkflowsPanel);
