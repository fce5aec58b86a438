// The settings dialog (Ctrl+, or the toolbar's Settings button): every setting of settings.ts by
// category, each saved on the server (POST /settings/{id}) and applied as soon as it changes.
import { html, nothing } from 'lit';
import { Dialog } from './dialog.ts';
import { SETTING_DEFINITIONS, type SettingDefinition } from './settings.ts';

export class SettingsDialog extends Dialog {
  static override properties = { ...Dialog.properties, error: { state: true } };
  declare error: string | undefined;

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
    if (!this.settings) return nothing;
    const categories = [...new Set(SETTING_DEFINITIONS.map((d) => d.category))];
    return this.frame(
      'Settings',
      'fg-settings',
      html`${categories.map(
          (category) => html`<fieldset>
            <legend>${category}</legend>
            ${SETTING_DEFINITIONS.filter((d) => d.category === category).map((d) => this.field(d))}
          </fieldset>`,
        )}
        ${this.error ? html`<p class="fg-error">${this.error}</p>` : nothing}
        <p class="fg-muted">Kept on the server under ComfyUI's setting ids, shared with ComfyUI's own frontend.</p>`,
    );
  }
}

customElements.define('fg-settings-dialog', SettingsDialog);
