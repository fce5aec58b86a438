// The node library sidebar: every node class by category (folders that open and close), a search
// over names, categories and packs, each class with its pack's badge. Dragging a class onto the
// canvas adds it where it is dropped; a click adds it in the middle of the view.
import { html, LitElement, nothing, type TemplateResult } from 'lit';
import type { Editor } from './editor.ts';
import { addNodeAt } from './link-release.ts';
import { catalogOf, type CatalogEntry, type CategoryNode } from './node-catalog.ts';

/** Pixels the pointer must travel before a press on a class becomes a drag. */
const DRAG_THRESHOLD = 5;

export class NodeLibrary extends LitElement {
  static override properties = { editor: { attribute: false }, query: { state: true }, open: { state: true } };
  declare editor: Editor | undefined;
  declare query: string;
  /** Category paths whose folders are open. */
  declare open: Set<string>;
  private ghost: HTMLElement | undefined;

  constructor() {
    super();
    this.query = '';
    this.open = new Set();
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  /** Adds a class at a point of the page; over the canvas only. Returns whether it did. */
  private addAt(entry: CatalogEntry, clientX: number, clientY: number): boolean {
    const editor = this.editor;
    if (!editor) return false;
    const element = editor.canvas.canvas;
    const rect = element.getBoundingClientRect();
    if (clientX < rect.left || clientX > rect.right || clientY < rect.top || clientY > rect.bottom) return false;
    const hit = document.elementFromPoint(clientX, clientY);
    if (hit !== element && !element.parentElement?.contains(hit)) return false;
    const node = addNodeAt(editor.canvas, entry.name, editor.canvas.ds.convertCanvasToOffset([clientX - rect.left, clientY - rect.top]));
    editor.checkpoint();
    return node !== undefined;
  }

  private addInMiddle(entry: CatalogEntry): void {
    const rect = this.editor?.canvas.canvas.getBoundingClientRect();
    if (rect) this.addAt(entry, rect.left + rect.width / 2, rect.top + rect.height / 3);
  }

  /** Press on a class: a drag when the pointer moves, a click when it does not. */
  private onPointerDown(event: PointerEvent, entry: CatalogEntry): void {
    if (event.button !== 0) return;
    event.preventDefault();
    const item = event.currentTarget as HTMLElement;
    item.setPointerCapture(event.pointerId);
    const start = [event.clientX, event.clientY] as const;
    let dragging = false;
    const move = (e: PointerEvent) => {
      if (!dragging && Math.hypot(e.clientX - start[0], e.clientY - start[1]) < DRAG_THRESHOLD) return;
      dragging = true;
      this.showGhost(entry, e.clientX, e.clientY);
    };
    const up = (e: PointerEvent) => {
      item.removeEventListener('pointermove', move);
      item.removeEventListener('pointerup', up);
      item.removeEventListener('pointercancel', up);
      this.hideGhost();
      if (e.type === 'pointercancel') return;
      if (dragging) this.addAt(entry, e.clientX, e.clientY);
      else this.addInMiddle(entry);
    };
    item.addEventListener('pointermove', move);
    item.addEventListener('pointerup', up);
    item.addEventListener('pointercancel', up);
  }

  private showGhost(entry: CatalogEntry, x: number, y: number): void {
    if (!this.ghost) {
      this.ghost = document.createElement('div');
      this.ghost.className = 'fg-drag-ghost';
      this.ghost.textContent = entry.display;
      document.body.append(this.ghost);
    }
    this.ghost.style.transform = `translate(${x + 8}px, ${y + 8}px)`;
  }

  private hideGhost(): void {
    this.ghost?.remove();
    this.ghost = undefined;
  }

  private toggle(path: string): void {
    const open = new Set(this.open);
    if (open.has(path)) open.delete(path);
    else open.add(path);
    this.open = open;
  }

  private renderEntry(entry: CatalogEntry): TemplateResult {
    return html`<li
      class="fg-library-node"
      data-type=${entry.name}
      title=${`${entry.name}${entry.description ? `\n${entry.description}` : ''}\nDrag onto the canvas, or click to add.`}
      @pointerdown=${(event: PointerEvent) => this.onPointerDown(event, entry)}
    >
      <span class="fg-library-name">${entry.display}</span>
      <span class="fg-pack-badge">${entry.pack}</span>
    </li>`;
  }

  private renderFolder(folder: CategoryNode, searching: boolean): TemplateResult {
    const open = searching || this.open.has(folder.path);
    return html`<li class="fg-library-folder ${open ? 'open' : ''}" data-category=${folder.path}>
      <button class="fg-library-category" @click=${() => this.toggle(folder.path)}>
        <span class="fg-caret">${open ? '▾' : '▸'}</span>${folder.name}
        <span class="fg-muted">${count(folder)}</span>
      </button>
      ${open
        ? html`<ul>
            ${folder.children.map((child) => this.renderFolder(child, searching))} ${folder.nodes.map((entry) => this.renderEntry(entry))}
          </ul>`
        : nothing}
    </li>`;
  }

  override render() {
    if (!this.editor) return nothing;
    const catalog = catalogOf(this.editor.objectInfo);
    const searching = this.query.trim() !== '';
    const tree = catalog.tree(searching ? catalog.search(this.query, {}, Number.POSITIVE_INFINITY) : catalog.entries);
    return html`<section class="fg-panel fg-node-library">
      <input
        class="fg-library-search"
        type="search"
        placeholder="Search ${catalog.entries.length} nodes…"
        .value=${this.query}
        @input=${(event: Event) => (this.query = (event.target as HTMLInputElement).value)}
      />
      <ul class="fg-library-tree">
        ${tree.children.map((folder) => this.renderFolder(folder, searching))} ${tree.nodes.map((entry) => this.renderEntry(entry))}
      </ul>
      ${searching && count(tree) === 0 ? html`<p class="fg-muted">No node matches.</p>` : nothing}
    </section>`;
  }
}

function count(folder: CategoryNode): number {
  return folder.nodes.length + folder.children.reduce((sum, child) => sum + count(child), 0);
}

customElements.define('fg-node-library', NodeLibrary);
