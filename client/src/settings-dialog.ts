// The settings dialog (Ctrl+, or the toolbar's Settings button): every setting of settings.ts by
// category, each saved on the server (POST /settings/{id}) and applied as soon as it changes.
import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { SETTING_DEFINITIONS, type SettingDefinition, type Settings } from './settings.ts';

export class SettingsDialog extends LitElement {
  static override properties = { open: { type: Boolean, reflect: true }, settings: { attribute: false }, error: { state: true } };
  declare open: boolean;
  declare settings: Settings | undefined;
  declare error: string | undefined;
  private readonly onChange = () => this.requestUpdate();

  constructor() {
    super();
    this.open = false;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('settings')) {
      (changed.get('settings') as Settings | undefined)?.removeEventListener('change', this.onChange);
      this.settings?.addEventListener('change', this.onChange);
    }
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

  private change(definition: SettingDefinition, value: unknown): void {
    this.error = undefined;
    this.settings?.set(definition.id, value).catch((error: Error) => (this.error = `Not saved on the server: ${error.message}`));
  }

  private field(definition: SettingDefinition) {
    const value = this.settings!.get<unknown>(definition.id);
    const id = `fg-setting-${definition.id}`;
    const label = html`<label for=${id} title=${definition.tooltip ?? definition.id}>${definition.name}</label>`;
    if (definition.type === 'boolean') {
      return html`<div class="fg-setting">
        <input id=${id} type="checkbox" data-setting=${definition.id} .checked=${Boolean(value)} @change=${(e: Event) => this.change(definition, (e.target as HTMLInputElement).checked)} />
        ${label}
      </div>`;
    }
    if (definition.type === 'combo') {
      const options = definition.options ?? [];
      return html`<div class="fg-setting">
        ${label}
        <select
          id=${id}
          data-setting=${definition.id}
          @change=${(e: Event) => this.change(definition, options[(e.target as HTMLSelectElement).selectedIndex]?.value)}
        >
          ${options.map((option) => html`<option .selected=${option.value === value}>${option.text}</option>`)}
        </select>
      </div>`;
    }
    return html`<div class="fg-setting">
      ${label}
      <input
        id=${id}
        type="number"
        data-setting=${definition.id}
        min=${definition.min ?? nothing}
        max=${definition.max ?? nothing}
        .value=${String(value)}
        @change=${(e: Event) => {
          const input = e.target as HTMLInputElement;
          const number = Math.min(definition.max ?? Infinity, Math.max(definition.min ?? -Infinity, Number(input.value)));
          if (Number.isFinite(number)) this.change(definition, number);
        }}
      />
    </div>`;
  }

  override render() {
    if (!this.open || !this.settings) return nothing;
    const categories = [...new Set(SETTING_DEFINITIONS.map((d) => d.category))];
    return html`<div class="fg-overlay" @click=${(e: Event) => e.target === e.currentTarget && (this.open = false)}>
      <section class="fg-dialog fg-settings" role="dialog" aria-label="Settings">
        <header class="fg-dialog-head">
          <strong>Settings</strong>
          <button class="fg-close" title="close (Escape)" @click=${() => (this.open = false)}>×</button>
        </header>
        ${categories.map(
          (category) => html`<fieldset>
            <legend>${category}</legend>
            ${SETTING_DEFINITIONS.filter((d) => d.category === category).map((d) => this.field(d))}
          </fieldset>`,
        )}
        ${this.error ? html`<p class="fg-error">${this.error}</p>` : nothing}
        <p class="fg-muted">Kept on the server under ComfyUI's setting ids, shared with ComfyUI's own frontend.</p>
      </section>
    </div>`;
  }
}

customElements.define('fg-settings-dialog', SettingsDialog);
