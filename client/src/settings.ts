// The editor's settings, kept on the server through ComfyUI's /settings routes (one JSON object
// per user) under ComfyUI's own setting ids where it has one, so that both frontends share them
// (ids, values and defaults from ComfyUI_frontend v1.27.10
// src/platform/settings/constants/coreSettings.ts). Each setting is applied as it changes.
import { LGraphCanvas, LiteGraph, LinkMarkerShape } from '@comfyorg/litegraph';
import type { Editor } from './editor.ts';
import { applyTheme, type ThemeName } from './theme.ts';

export interface SettingOption {
  value: string | number;
  text: string;
}

export interface SettingDefinition {
  id: string;
  name: string;
  category: string;
  type: 'combo' | 'boolean' | 'number';
  defaultValue: unknown;
  options?: SettingOption[];
  min?: number;
  max?: number;
  tooltip?: string;
}

export const SETTING_DEFINITIONS: readonly SettingDefinition[] = [
  { id: 'Comfy.ColorPalette', name: 'Theme', category: 'Appearance', type: 'combo', defaultValue: 'dark', options: [{ value: 'dark', text: 'Dark' }, { value: 'light', text: 'Light' }] },
  {
    id: 'Comfy.LinkRenderMode',
    name: 'Link style',
    category: 'Appearance',
    type: 'combo',
    defaultValue: LiteGraph.SPLINE_LINK,
    options: [
      { value: LiteGraph.STRAIGHT_LINK, text: 'Straight' },
      { value: LiteGraph.LINEAR_LINK, text: 'Linear' },
      { value: LiteGraph.SPLINE_LINK, text: 'Spline' },
      { value: LiteGraph.HIDDEN_LINK, text: 'Hidden' },
    ],
  },
  {
    id: 'Comfy.Graph.LinkMarkers',
    name: 'Link midpoint markers',
    category: 'Appearance',
    type: 'combo',
    defaultValue: LinkMarkerShape.Circle,
    options: [
      { value: LinkMarkerShape.None, text: 'None' },
      { value: LinkMarkerShape.Circle, text: 'Circle' },
      { value: LinkMarkerShape.Arrow, text: 'Arrow' },
    ],
  },
  { id: 'Comfy.Minimap.Visible', name: 'Show the minimap', category: 'Appearance', type: 'boolean', defaultValue: true },
  { id: 'pysssss.SnapToGrid', name: 'Always snap to grid', category: 'Canvas', type: 'boolean', defaultValue: false, tooltip: 'Without it, hold Shift while dragging to snap.' },
  { id: 'Comfy.SnapToGrid.GridSize', name: 'Snap to grid size', category: 'Canvas', type: 'number', defaultValue: LiteGraph.CANVAS_GRID_SIZE, min: 1, max: 500 },
  {
    id: 'Comfy.Workflow.Persist',
    name: 'Autosave the open workflow in this browser and restore it on reload',
    category: 'Workflow',
    type: 'boolean',
    defaultValue: true,
  },
  {
    id: 'FlashGraph.Notices.CloseAfterSeconds',
    name: 'Close information notices after (seconds; errors stay until closed)',
    category: 'Workflow',
    type: 'number',
    defaultValue: 6,
    min: 1,
    max: 600,
  },
];

const BY_ID = new Map(SETTING_DEFINITIONS.map((definition) => [definition.id, definition]));

/** Setting values as the server keeps them, with the defaults for those never set. */
export class Settings extends EventTarget {
  private values: Record<string, unknown> = {};

  constructor(private readonly url: (path: string) => string) {
    super();
  }

  /** Reads the user's settings (GET /settings); the defaults stand when the server has none. */
  async load(): Promise<void> {
    const response = await fetch(this.url('/settings'), { cache: 'no-store' });
    if (!response.ok) throw new Error(`GET /settings: HTTP ${response.status}`);
    const values = (await response.json()) as unknown;
    this.values = values && typeof values === 'object' && !Array.isArray(values) ? (values as Record<string, unknown>) : {};
    this.dispatchEvent(new Event('change'));
  }

  get<T>(id: string): T {
    return (Object.hasOwn(this.values, id) ? this.values[id] : BY_ID.get(id)?.defaultValue) as T;
  }

  /** Changes a setting here at once and on the server (POST /settings/{id}). */
  async set(id: string, value: unknown): Promise<void> {
    this.values = { ...this.values, [id]: value };
    this.dispatchEvent(new Event('change'));
    const response = await fetch(this.url(`/settings/${encodeURIComponent(id)}`), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) });
    if (!response.ok) throw new Error(`POST /settings/${id}: HTTP ${response.status}`);
  }
}

/** Puts the settings into effect on the editor, now and whenever one changes. */
export function applySettings(settings: Settings, editor: Editor): void {
  const apply = () => {
    const { canvas } = editor;
    applyTheme(settings.get<ThemeName>('Comfy.ColorPalette') === 'light' ? 'light' : 'dark', canvas);
    canvas.links_render_mode = Number(settings.get('Comfy.LinkRenderMode'));
    canvas.linkMarkerShape = Number(settings.get('Comfy.Graph.LinkMarkers')) as LinkMarkerShape;
    LiteGraph.alwaysSnapToGrid = Boolean(settings.get('pysssss.SnapToGrid'));
    LiteGraph.CANVAS_GRID_SIZE = Math.max(1, Number(settings.get('Comfy.SnapToGrid.GridSize')) || 10);
    const persist = settings.get<boolean>('Comfy.Workflow.Persist') !== false;
    if (editor.persist !== persist) {
      editor.persist = persist;
      // Turned off: the kept copy goes; turned on: the open workflow is kept from now on.
      editor.autosave();
    }
    canvas.setDirty(true, true);
    LGraphCanvas.active_canvas?.setDirty(true, true);
  };
  settings.addEventListener('change', apply);
  apply();
}
