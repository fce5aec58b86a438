// The keyboard shortcuts panel (`?` or the toolbar's Keys button): the shortcut table as a list.
import { html, LitElement, nothing } from 'lit';
import { SHORTCUTS } from './shortcuts.ts';

export class ShortcutsPanel extends LitElement {
  static override properties = { open: { type: Boolean, reflect: true } };
  declare open: boolean;

  constructor() {
    super();
    this.open = false;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('keydown', this.onKey, true);
  }

  override disconnectedCallback(): void {
    document.removeEventListener('keydown', this.onKey, true);
    super.disconnectedCallback();
  }

  private readonly onKey = (event: KeyboardEvent) => {
    if (this.open && event.key === 'Escape') {
      event.stopPropagation();
      this.open = false;
    }
  };

  override render() {
    if (!this.open) return nothing;
    return html`<div class="fg-overlay" @click=${(e: Event) => e.target === e.currentTarget && (this.open = false)}>
      <section class="fg-dialog fg-shortcuts" role="dialog" aria-label="Keyboard shortcuts">
        <header class="fg-dialog-head">
          <strong>Keyboard shortcuts</strong>
          <button class="fg-close" title="close (Escape)" @click=${() => (this.open = false)}>×</button>
        </header>
        <table>
          ${SHORTCUTS.map((s) => html`<tr><td><kbd>${s.keys}</kbd></td><td>${s.description}</td></tr>`)}
        </table>
      </section>
    </div>`;
  }
}

customElements.define('fg-shortcuts-panel', ShortcutsPanel);
