// The node search dialog: a text query and two type filters (an input that accepts a type, an
// output that gives one), results with their category and pack, keyboard and mouse selection.
// Opened by a double-click on empty canvas and by a link released on empty canvas
// (link-release.ts), which preset the type filter to the link's type.
import { html, LitElement, nothing } from 'lit';
import { NodeCatalog, type CatalogEntry } from './node-catalog.ts';

export interface SearchRequest {
  /** Where the dialog opens (client pixels). */
  x: number;
  y: number;
  inputType?: string;
  outputType?: string;
}

const WIDTH = 420;
const HEIGHT = 380;

export class NodeSearchDialog extends LitElement {
  static override properties = {
    request: { state: true },
    query: { state: true },
    inputType: { state: true },
    outputType: { state: true },
    active: { state: true },
  };
  declare request: SearchRequest | undefined;
  declare query: string;
  declare inputType: string;
  declare outputType: string;
  declare active: number;
  catalog: NodeCatalog | undefined;
  private resolve: ((entry: CatalogEntry | undefined) => void) | undefined;
  private readonly onOutside = (event: PointerEvent) => {
    if (this.request && !this.contains(event.target as Node)) this.finish(undefined);
  };

  constructor() {
    super();
    this.request = undefined;
    this.query = '';
    this.inputType = '';
    this.outputType = '';
    this.active = 0;
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('pointerdown', this.onOutside, true);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('pointerdown', this.onOutside, true);
  }

  get isOpen(): boolean {
    return this.request !== undefined;
  }

  /** Opens the dialog; resolves with the chosen class, or undefined when it is dismissed. */
  show(request: SearchRequest): Promise<CatalogEntry | undefined> {
    this.finish(undefined);
    this.request = request;
    this.query = '';
    this.inputType = request.inputType ?? '';
    this.outputType = request.outputType ?? '';
    this.active = 0;
    void this.updateComplete.then(() => this.querySelector<HTMLInputElement>('.fg-search-query')?.focus());
    return new Promise((resolve) => (this.resolve = resolve));
  }

  private finish(entry: CatalogEntry | undefined): void {
    const resolve = this.resolve;
    this.resolve = undefined;
    this.request = undefined;
    resolve?.(entry);
  }

  private results(): CatalogEntry[] {
    return this.catalog?.search(this.query, { inputType: this.inputType || undefined, outputType: this.outputType || undefined }) ?? [];
  }

  private onKey(event: KeyboardEvent, results: CatalogEntry[]): void {
    // Keys typed here are the dialog's, not the canvas's shortcuts.
    event.stopPropagation();
    if (event.key === 'ArrowDown') this.active = Math.min(results.length - 1, this.active + 1);
    else if (event.key === 'ArrowUp') this.active = Math.max(0, this.active - 1);
    else if (event.key === 'Enter') this.finish(results[this.active]);
    else if (event.key === 'Escape') this.finish(undefined);
    else return;
    event.preventDefault();
    void this.updateComplete.then(() => this.querySelector('.fg-search-item.active')?.scrollIntoView({ block: 'nearest' }));
  }

  override render() {
    const request = this.request;
    if (!request || !this.catalog) return nothing;
    const results = this.results();
    const left = Math.max(8, Math.min(request.x - 40, window.innerWidth - WIDTH - 8));
    const top = Math.max(8, Math.min(request.y - 20, window.innerHeight - HEIGHT - 8));
    const typeSelect = (label: string, direction: 'input' | 'output', value: string, set: (value: string) => void) =>
      html`<label class="fg-search-filter"
        >${label}
        <select
          class="fg-search-${direction}-type"
          .value=${value}
          @change=${(event: Event) => {
            set((event.target as HTMLSelectElement).value);
            this.active = 0;
            this.querySelector<HTMLInputElement>('.fg-search-query')?.focus();
          }}
        >
          <option value="">any</option>
          ${this.catalog!.types(direction).map((type) => html`<option value=${type} ?selected=${type === value}>${type}</option>`)}
        </select></label
      >`;
    return html`<div class="fg-node-search" role="dialog" aria-label="Add a node" style="left:${left}px;top:${top}px;width:${WIDTH}px">
      <input
        class="fg-search-query"
        type="search"
        placeholder="Search nodes…"
        .value=${this.query}
        @input=${(event: Event) => {
          this.query = (event.target as HTMLInputElement).value;
          this.active = 0;
        }}
        @keydown=${(event: KeyboardEvent) => this.onKey(event, results)}
      />
      <div class="fg-search-filters">
        ${typeSelect('input', 'input', this.inputType, (v) => (this.inputType = v))} ${typeSelect('output', 'output', this.outputType, (v) => (this.outputType = v))}
      </div>
      <ul class="fg-search-results">
        ${results.length === 0 ? html`<li class="fg-muted">No node matches.</li>` : nothing}
        ${results.map(
          (entry, index) =>
            html`<li
              class="fg-search-item ${index === this.active ? 'active' : ''}"
              data-type=${entry.name}
              @pointerenter=${() => (this.active = index)}
              @click=${() => this.finish(entry)}
            >
              <span class="fg-search-name">${entry.display}</span>
              <span class="fg-search-category">${entry.category}</span>
              <span class="fg-pack-badge" title="node pack">${entry.pack}</span>
            </li>`,
        )}
      </ul>
    </div>`;
  }
}

customElements.define('fg-node-search', NodeSearchDialog);
