// The left sidebar: a column of buttons, each opening its panel beside the canvas (the node
// library, the workflows saved on the server); a second click on the open one closes it.
import { html, LitElement, nothing } from 'lit';
import type { Editor } from './editor.ts';
import './node-library.ts';
import type { Workflows } from './workflow-tabs.ts';
import './workflows-sidebar.ts';

type Panel = 'workflows' | 'nodes';

const PANELS: { id: Panel; label: string; icon: string }[] = [
  { id: 'workflows', label: 'Workflows', icon: '☰' },
  { id: 'nodes', label: 'Node library', icon: '⬚' },
];

export class LeftSidebar extends LitElement {
  static override properties = { editor: { attribute: false }, workflows: { attribute: false }, panel: { state: true } };
  declare editor: Editor | undefined;
  declare workflows: Workflows | undefined;
  declare panel: Panel | undefined;

  constructor() {
    super();
    this.panel = undefined;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override render() {
    return html`<nav class="fg-sidebar-bar" aria-label="sidebar">
        ${PANELS.map(
          (panel) =>
            html`<button class="fg-sidebar-button ${this.panel === panel.id ? 'active' : ''}" data-sidebar=${panel.id} title=${panel.label} @click=${() => (this.panel = this.panel === panel.id ? undefined : panel.id)}>
              <span class="fg-sidebar-icon">${panel.icon}</span><span class="fg-sidebar-label">${panel.label}</span>
            </button>`,
        )}
      </nav>
      ${this.panel === 'nodes' ? html`<div class="fg-sidebar-panel"><fg-node-library .editor=${this.editor}></fg-node-library></div>` : nothing}
      ${this.panel === 'workflows' ? html`<div class="fg-sidebar-panel"><fg-workflows-panel .workflows=${this.workflows}></fg-workflows-panel></div>` : nothing}`;
  }
}

customElements.define('fg-left-sidebar', LeftSidebar);
