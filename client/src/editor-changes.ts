// A lit controller that re-renders its element whenever the editor it shows reports a change.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Editor } from './editor.ts';

export class EditorChanges implements ReactiveController {
  private watched: Editor | undefined;
  private readonly onChange = () => this.host.requestUpdate();

  constructor(private readonly host: ReactiveControllerHost & { editor: Editor | undefined }) {
    host.addController(this);
  }

  hostConnected(): void {
    this.host.requestUpdate();
  }

  hostUpdate(): void {
    if (this.host.editor === this.watched) return;
    this.watched?.removeEventListener('change', this.onChange);
    this.watched = this.host.editor;
    this.watched?.addEventListener('change', this.onChange);
  }

  hostDisconnected(): void {
    this.watched?.removeEventListener('change', this.onChange);
    this.watched = undefined;
  }
}
