// The keyboard shortcuts panel (`?` or the toolbar's Keys button): the shortcut table as a list.
import { html } from 'lit';
import { Dialog } from './dialog.ts';
import { SHORTCUTS } from './shortcuts.ts';

export class ShortcutsPanel extends Dialog {
  override render() {
    return this.frame(
      'Keyboard shortcuts',
      'fg-shortcuts',
      html`<table>
        ${SHORTCUTS.map((s) => html`<tr><td><kbd>${s.keys}</kbd></td><td>${s.description}</td></tr>`)}
      </table>`,
    );
  }
}

customElements.define('fg-shortcuts-panel', ShortcutsPanel);
