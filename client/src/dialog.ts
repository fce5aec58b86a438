// Lit elements rendered into the light DOM (one stylesheet styles them all): a view that
// re-renders when the settings change, and a modal dialog that Escape, its × or a click beside it
// closes.
import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { Settings } from './settings.ts';

export abstract class SettingsView extends LitElement {
  static override properties = { settings: { attribute: false } };
  declare settings: Settings | undefined;
  private readonly onSettings = () => this.requestUpdate();

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('settings')) {
      (changed.get('settings') as Settings | undefined)?.removeEventListener('change', this.onSettings);
      this.settings?.addEventListener('change', this.onSettings);
    }
  }
}

export abstract class Dialog extends SettingsView {
  static override properties = { ...SettingsView.properties, open: { type: Boolean, reflect: true } };
  declare open: boolean;

  constructor() {
    super();
    this.open = false;
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

  /** The dialog around `body`, while open. */
  protected frame(title: string, className: string, body: TemplateResult | TemplateResult[]) {
    if (!this.open) return nothing;
    return html`<div class="fg-overlay" @click=${(e: Event) => e.target === e.currentTarget && (this.open = false)}>
      <section class="fg-dialog ${className}" role="dialog" aria-label=${title}>
        <header class="fg-dialog-head">
          <strong>${title}</strong>
          <button class="fg-close" title="close (Escape)" @click=${() => (this.open = false)}>×</button>
        </header>
        ${body}
      </section>
    </div>`;
  }
}
