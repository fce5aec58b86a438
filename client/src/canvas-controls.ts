// Seeing the graph: zoom buttons, fit view and a minimap in the canvas's bottom-right corner, as
// ComfyUI's frontend has them (its graph canvas menu and minimap, v1.27.10: node rectangles,
// bypassed ones purple, errors red, the view as a frame; a click or drag on the minimap moves the
// view there). Shown while Comfy.Minimap.Visible is on.
import { LGraphEventMode, LiteGraph, type LGraphNode } from '@comfyorg/litegraph';
import { html, nothing, type PropertyValues } from 'lit';
import { SettingsView } from './dialog.ts';
import type { Editor } from './editor.ts';
import { BYPASS_BGCOLOR } from './modes.ts';

const MINIMAP_WIDTH = 220;
const MINIMAP_HEIGHT = 150;
const ZOOM_STEP = 1.2;
const MINIMAP_INTERVAL = 100;

/** Zooms by `factor` around the middle of the canvas, within litegraph's limits. */
export function zoomBy(editor: Editor, factor: number): void {
  const { canvas } = editor;
  const element = canvas.canvas;
  canvas.ds.changeScale(canvas.ds.scale * factor, [element.clientWidth / 2, element.clientHeight / 2]);
  canvas.setDirty(true, true);
  editor.changed();
}

interface Bounds {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The area the nodes (and the view) cover, in graph units. */
function graphBounds(nodes: readonly LGraphNode[], view: Bounds): Bounds {
  let [left, top, right, bottom] = [view.left, view.top, view.left + view.width, view.top + view.height];
  for (const node of nodes) {
    left = Math.min(left, node.pos[0]);
    top = Math.min(top, node.pos[1] - LiteGraph.NODE_TITLE_HEIGHT);
    right = Math.max(right, node.pos[0] + node.size[0]);
    bottom = Math.max(bottom, node.pos[1] + node.size[1]);
  }
  return { left, top, width: right - left, height: bottom - top };
}

export class CanvasControls extends SettingsView {
  static override properties = { ...SettingsView.properties, editor: { attribute: false } };
  declare editor: Editor | undefined;
  /** Graph units to minimap pixels, as last drawn. */
  private mapping: { bounds: Bounds; scale: number; x: number; y: number } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastDrawn = 0;
  private shownScale = 0;
  private signature = '';

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    if (changed.has('editor') && this.editor) {
      // After each frame the canvas draws (the editor's own hook stays first).
      const { canvas } = this.editor;
      const previous = canvas.onDrawForeground;
      canvas.onDrawForeground = (ctx, area) => {
        previous?.call(canvas, ctx, area);
        this.scheduleMinimap();
        // The zoom level shown follows the wheel too.
        if (canvas.ds.scale !== this.shownScale) this.requestUpdate();
      };
    }
    this.scheduleMinimap();
  }

  private get minimapVisible(): boolean {
    return this.settings?.get<boolean>('Comfy.Minimap.Visible') ?? true;
  }

  /** Redraws the minimap after the canvas's frame, at most every MINIMAP_INTERVAL ms (panning draws 60 frames a second). */
  private scheduleMinimap(): void {
    if (this.timer !== undefined || !this.minimapVisible) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastDrawn = performance.now();
      this.drawMinimap();
    }, Math.max(0, this.lastDrawn + MINIMAP_INTERVAL - performance.now()));
  }

  /** The part of the graph the canvas shows, in graph units. */
  private view(): Bounds {
    const { ds, canvas } = this.editor!.canvas;
    return { left: -ds.offset[0], top: -ds.offset[1], width: canvas.clientWidth / ds.scale, height: canvas.clientHeight / ds.scale };
  }

  private drawMinimap(): void {
    const element = this.querySelector<HTMLCanvasElement>('.fg-minimap canvas');
    const editor = this.editor;
    if (!element || !editor) return;
    const graph = editor.shownGraph;
    const view = this.view();
    const signature = `${graph._version}:${graph._nodes.length}:${view.left}:${view.top}:${view.width}:${document.documentElement.dataset.theme}`;
    if (signature === this.signature) return;
    this.signature = signature;
    const ratio = window.devicePixelRatio || 1;
    if (element.width !== MINIMAP_WIDTH * ratio) {
      element.width = MINIMAP_WIDTH * ratio;
      element.height = MINIMAP_HEIGHT * ratio;
    }
    const ctx = element.getContext('2d')!;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, MINIMAP_WIDTH, MINIMAP_HEIGHT);
    const bounds = graphBounds(graph._nodes, view);
    const scale = Math.min((MINIMAP_WIDTH - 8) / bounds.width, (MINIMAP_HEIGHT - 8) / bounds.height);
    const x = (MINIMAP_WIDTH - bounds.width * scale) / 2;
    const y = (MINIMAP_HEIGHT - bounds.height * scale) / 2;
    this.mapping = { bounds, scale, x, y };
    const toMap = (gx: number, gy: number): [number, number] => [x + (gx - bounds.left) * scale, y + (gy - bounds.top) * scale];
    const light = document.documentElement.dataset.theme === 'light';
    for (const node of graph._nodes) {
      const [nx, ny] = toMap(node.pos[0], node.pos[1] - LiteGraph.NODE_TITLE_HEIGHT);
      ctx.globalAlpha = node.mode === LGraphEventMode.NEVER ? 0.4 : 1;
      ctx.fillStyle = node.has_errors ? '#e03030' : node.mode === LGraphEventMode.BYPASS ? BYPASS_BGCOLOR : light ? '#9aa3ad' : '#5b6270';
      ctx.fillRect(nx, ny, Math.max(2, node.size[0] * scale), Math.max(2, (node.size[1] + LiteGraph.NODE_TITLE_HEIGHT) * scale));
    }
    ctx.globalAlpha = 1;
    const [vx, vy] = toMap(view.left, view.top);
    ctx.strokeStyle = light ? '#1f6feb' : '#e8e8e8';
    ctx.lineWidth = 1.5;
    ctx.strokeRect(vx, vy, view.width * scale, view.height * scale);
  }

  /** A click or drag on the minimap centres the view on that point of the graph. */
  private onMinimapPointer(event: PointerEvent): void {
    if (event.type === 'pointermove' && event.buttons !== 1) return;
    const editor = this.editor;
    const mapping = this.mapping;
    if (!editor || !mapping) return;
    if (event.type === 'pointerdown') (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId);
    const rect = (event.currentTarget as HTMLElement).getBoundingClientRect();
    const gx = mapping.bounds.left + (event.clientX - rect.left - mapping.x) / mapping.scale;
    const gy = mapping.bounds.top + (event.clientY - rect.top - mapping.y) / mapping.scale;
    const { ds, canvas } = editor.canvas;
    ds.offset = [canvas.clientWidth / ds.scale / 2 - gx, canvas.clientHeight / ds.scale / 2 - gy];
    editor.canvas.setDirty(true, true);
    editor.changed();
  }

  private toggleMinimap(): void {
    void this.settings?.set('Comfy.Minimap.Visible', !this.minimapVisible);
  }

  override render() {
    const editor = this.editor;
    if (!editor) return nothing;
    this.shownScale = editor.canvas.ds.scale;
    const percent = Math.round(this.shownScale * 100);
    return html`
      ${this.minimapVisible
        ? html`<div class="fg-minimap" title="Minimap: click or drag to move the view">
            <canvas
              style="width:${MINIMAP_WIDTH}px;height:${MINIMAP_HEIGHT}px"
              @pointerdown=${(e: PointerEvent) => this.onMinimapPointer(e)}
              @pointermove=${(e: PointerEvent) => this.onMinimapPointer(e)}
            ></canvas>
          </div>`
        : nothing}
      <div class="fg-zoom" role="toolbar" aria-label="view">
        <button data-action="zoom-out" title="Zoom out" @click=${() => zoomBy(editor, 1 / ZOOM_STEP)}>−</button>
        <span class="fg-zoom-level">${percent}%</span>
        <button data-action="zoom-in" title="Zoom in" @click=${() => zoomBy(editor, ZOOM_STEP)}>+</button>
        <button data-action="fit-view" title="Fit view (.)" @click=${() => editor.fitView()}>Fit</button>
        <button data-action="toggle-minimap" class=${this.minimapVisible ? 'active' : ''} title="Show or hide the minimap" @click=${() => this.toggleMinimap()}>Map</button>
      </div>
    `;
  }
}

customElements.define('fg-canvas-controls', CanvasControls);
