// The history panel: one card per run with a thumbnail of its first image or video, its status,
// start time and duration (from history `status.messages`), and what can be done with it: open
// its workflow, queue it again as it ran, compare a portrait animation's media, list its outputs.
import { html, LitElement, nothing } from 'lit';
import type { FileRef, HistoryEntry } from '../../types/api.ts';
import { openCompareView } from './compare-view.ts';
import type { Editor } from './editor.ts';
import { WatchChanges } from './watch-changes.ts';
import { compareSources, formatDuration, outputFiles, runTiming, type OutputFile } from './run-info.ts';

/** "14:03:27" for today, "2024-05-01 14:03" for older runs. */
function formatStart(ms: number): string {
  const date = new Date(ms);
  const today = new Date().toDateString() === date.toDateString();
  if (today) return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export class HistoryPanel extends LitElement {
  static override properties = { editor: { attribute: false }, expanded: { state: true } };
  declare editor: Editor | undefined;
  declare expanded: string | undefined;

  constructor() {
    super();
    new WatchChanges(this, () => this.editor);
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.editor?.refreshHistory();
  }

  /** Queues the run's prompt again, with the workflow it carried, as a new run. */
  private async requeue(id: string, entry: HistoryEntry): Promise<void> {
    const editor = this.editor!;
    const workflow = (entry.prompt[3]?.extra_pnginfo as { workflow?: unknown } | undefined)?.workflow;
    try {
      const accepted = await editor.api.queuePrompt(entry.prompt[2], workflow);
      editor.notify({ kind: 'info', title: `Queued run ${id.slice(0, 8)} again`, lines: [`new run ${accepted.prompt_id.slice(0, 8)}`] });
    } catch (error) {
      editor.notify({ kind: 'error', title: `Could not queue run ${id.slice(0, 8)} again`, lines: [(error as Error).message] });
    }
    await editor.refreshQueue();
  }

  private thumbnail(file: OutputFile | undefined) {
    if (!file) return html`<div class="fg-run-thumb fg-run-thumb-empty">no media</div>`;
    const url = this.editor!.api.viewUrl(file);
    // The fragment makes the browser show the first frame without playing.
    if (file.kind === 'video') return html`<video class="fg-run-thumb" src=${`${url}#t=0.001`} muted playsinline preload="metadata"></video>`;
    return html`<img class="fg-run-thumb" src=${url} alt=${file.filename} loading="lazy" />`;
  }

  private outputs(files: OutputFile[], texts: string[]) {
    const url = (file: FileRef) => this.editor!.api.viewUrl(file);
    return html`<div class="fg-thumbs">
      ${files.map((file) =>
        file.kind === 'video'
          ? html`<video class="fg-thumb" src=${url(file)} title=${file.filename} muted loop autoplay playsinline></video>`
          : file.kind === 'image'
            ? html`<a class="fg-thumb" href=${url(file)} target="_blank" title=${file.filename}><img src=${url(file)} alt=${file.filename} /></a>`
            : html`<a class="fg-thumb fg-text" href=${url(file)} target="_blank">${file.filename}</a>`,
      )}
      ${texts.map((text) => html`<pre class="fg-thumb fg-text">${text}</pre>`)}
    </div>`;
  }

  override render() {
    const editor = this.editor;
    if (!editor) return nothing;
    return html`<section class="fg-panel fg-history">
      <div class="fg-panel-head">
        <span>${plural(editor.history.length, 'run')}</span>
        <button data-action="refresh-history" @click=${() => void editor.refreshHistory()}>Refresh</button>
      </div>
      <ul>
        ${editor.history.map(([id, entry]) => {
          const files = outputFiles(entry.outputs);
          const texts = Object.values(entry.outputs).flatMap((ui) => (ui.text ?? []).map((t) => (typeof t === 'string' ? t : JSON.stringify(t))));
          const timing = runTiming(entry.status);
          const sources = compareSources(entry.prompt[2], entry.outputs);
          const failure = entry.status?.messages.find(([type]) => type === 'execution_error')?.[1];
          return html`<li class="fg-history-item ${entry.status?.status_str ?? ''}" data-prompt-id=${id}>
            <div class="fg-history-card">
              ${this.thumbnail(files.find((file) => file.kind !== 'other'))}
              <div class="fg-history-meta">
                <div class="fg-row">
                  <span class="fg-badge ${entry.status?.status_str ?? ''}">${entry.status?.status_str ?? 'unknown'}</span>
                  <code title=${id}>${id.slice(0, 8)}</code>
                </div>
                <div class="fg-row fg-muted">
                  ${timing.start !== undefined ? html`<span class="fg-run-start" title=${new Date(timing.start).toISOString()}>${formatStart(timing.start)}</span>` : nothing}
                  ${timing.durationMs !== undefined ? html`<span class="fg-run-duration" data-ms=${timing.durationMs}>${formatDuration(timing.durationMs)}</span>` : nothing}
                  <span>${plural(files.length + texts.length, 'output')}</span>
                </div>
                ${failure ? html`<div class="fg-run-error" title=${String(failure.exception_message ?? '')}>#${String(failure.node_id)}: ${String(failure.exception_message ?? '').slice(0, 80)}</div>` : nothing}
              </div>
            </div>
            <div class="fg-row fg-history-actions">
              <button data-action="open-run" title="Open the workflow of this run" @click=${() => editor.openHistoryWorkflow(id)}>Open</button>
              <button data-action="requeue" title="Queue this run's prompt again" @click=${() => void this.requeue(id, entry)}>Re-queue</button>
              ${sources
                ? html`<button data-action="compare" title="Driving video, reference image and output side by side" @click=${() => openCompareView(editor.api, sources, `run ${id.slice(0, 8)}`)}>Compare</button>`
                : nothing}
              <button data-action="show-outputs" @click=${() => (this.expanded = this.expanded === id ? undefined : id)}>Outputs</button>
            </div>
            ${this.expanded === id ? this.outputs(files, texts) : nothing}
          </li>`;
        })}
      </ul>
    </section>`;
  }
}

customElements.define('fg-history-panel', HistoryPanel);
