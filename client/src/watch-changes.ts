// A lit controller that re-renders its element whenever the object it shows (the editor, the
// workflow tabs) dispatches 'change'; it follows the object when the element is given another.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class WatchChanges implements ReactiveController {
  private watched: EventTarget | undefined;
  private readonly onChange = () => this.host.requestUpdate();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly source: () => EventTarget | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.host.requestUpdate();
  }

  hostUpdate(): void {
    const source = this.source();
    if (source === this.watched) return;
    this.watched?.removeEventListener('change', this.onChange);
    this.watched = source;
    this.watched?.addEventListener('change', this.onChange);
  }

  hostDisconnected(): void {
    this.watched?.removeEventListener('change', this.onChange);
    this.watched = undefined;
  }
}
