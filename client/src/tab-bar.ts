// The workflow tabs above the canvas: a click shows a tab, × closes it (asking first when it is
// unsaved), + opens a new one; a dot marks unsaved changes, as in ComfyUI.
import { html, LitElement, nothing } from 'lit';
import { WatchChanges } from './watch-changes.ts';
import type { Workflows } from './workflow-tabs.ts';

export class WorkflowTabBar extends LitElement {
  static override properties = { workflows: { attribute: false } };
  declare workflows: Workflows | undefined;

  constructor() {
    super();
    new WatchChanges(this, () => this.workflows);
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override render() {
    const workflows = this.workflows;
    if (!workflows) return nothing;
    return html`<nav class="fg-workflow-tabs" aria-label="open workflows">
      ${workflows.tabs.map((tab) => {
        const modified = workflows.isModified(tab);
        return html`<div
          class="fg-workflow-tab ${tab === workflows.active ? 'active' : ''} ${modified ? 'modified' : ''}"
          data-tab-id=${tab.id}
          title=${tab.path ? `workflows/${tab.path}` : 'not saved on the server'}
          @click=${() => workflows.activate(tab)}
          @auxclick=${(event: MouseEvent) => event.button === 1 && void workflows.close(tab)}
        >
          <span class="fg-tab-name">${tab.name}</span>
          ${modified ? html`<span class="fg-unsaved" title="unsaved changes">•</span>` : nothing}
          <button
            class="fg-tab-close"
            title="Close"
            @click=${(event: Event) => {
              event.stopPropagation();
              void workflows.close(tab);
            }}
          >
            ×
          </button>
        </div>`;
      })}
      <button class="fg-tab-new" data-action="new-tab" title="New workflow in a new tab" @click=${() => workflows.openNew()}>+</button>
    </nav>`;
  }
}

customElements.define('fg-workflow-tabs', WorkflowTabBar);
