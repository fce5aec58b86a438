// Dark and light looks (Comfy.ColorPalette "dark" / "light"): litegraph's drawing colours, the
// canvas background and its grid, and the page's CSS variables (the `data-theme` attribute).
import { LiteGraph, type LGraphCanvas } from '@comfyorg/litegraph';

export type ThemeName = 'dark' | 'light';

/** The litegraph colours a theme sets. */
type Colours = Record<
  | 'NODE_TITLE_COLOR' | 'NODE_SELECTED_TITLE_COLOR' | 'NODE_TEXT_COLOR' | 'NODE_TEXT_HIGHLIGHT_COLOR' | 'NODE_DEFAULT_COLOR' | 'NODE_DEFAULT_BGCOLOR'
  | 'NODE_DEFAULT_BOXCOLOR' | 'NODE_BOX_OUTLINE_COLOR' | 'DEFAULT_SHADOW_COLOR' | 'WIDGET_BGCOLOR' | 'WIDGET_OUTLINE_COLOR' | 'WIDGET_TEXT_COLOR'
  | 'WIDGET_SECONDARY_TEXT_COLOR' | 'WIDGET_DISABLED_TEXT_COLOR' | 'LINK_COLOR',
  string
>;

const LIGHT: Colours = {
  NODE_TITLE_COLOR: '#222',
  NODE_SELECTED_TITLE_COLOR: '#000',
  NODE_TEXT_COLOR: '#444',
  NODE_TEXT_HIGHLIGHT_COLOR: '#111',
  NODE_DEFAULT_COLOR: '#e8e8e8',
  NODE_DEFAULT_BGCOLOR: '#f6f6f6',
  NODE_DEFAULT_BOXCOLOR: '#bbb',
  NODE_BOX_OUTLINE_COLOR: '#222',
  DEFAULT_SHADOW_COLOR: 'rgba(0,0,0,0.12)',
  WIDGET_BGCOLOR: '#dadada',
  WIDGET_OUTLINE_COLOR: '#999',
  WIDGET_TEXT_COLOR: '#222',
  WIDGET_SECONDARY_TEXT_COLOR: '#555',
  WIDGET_DISABLED_TEXT_COLOR: '#999',
  LINK_COLOR: '#4a9a55',
};

/** Litegraph's own colours, taken before any theme changes them. */
let dark: Colours | undefined;
let darkCanvas: { background: string; image: string } | undefined;
let lightGrid: string | undefined;

/** A 100x100 tile of light grid lines (litegraph's own tile is dark). */
function lightGridImage(): string {
  if (lightGrid) return lightGrid;
  const tile = document.createElement('canvas');
  tile.width = tile.height = 100;
  const ctx = tile.getContext('2d')!;
  ctx.fillStyle = '#e9e9e9';
  ctx.fillRect(0, 0, 100, 100);
  ctx.fillStyle = '#dcdcdc';
  for (let i = 0; i < 100; i += 10) {
    ctx.fillRect(i, 0, 1, 100);
    ctx.fillRect(0, i, 100, 1);
  }
  ctx.fillStyle = '#cdcdcd';
  ctx.fillRect(0, 0, 2, 100);
  ctx.fillRect(0, 0, 100, 2);
  lightGrid = tile.toDataURL();
  return lightGrid;
}

export function applyTheme(name: ThemeName, canvas: LGraphCanvas): void {
  const global = LiteGraph as unknown as Colours;
  dark ??= Object.fromEntries(Object.keys(LIGHT).map((key) => [key, global[key as keyof Colours]])) as Colours;
  darkCanvas ??= { background: canvas.clear_background_color, image: canvas.background_image };
  if (document.documentElement.dataset.theme === name) return;
  Object.assign(global, name === 'light' ? LIGHT : dark);
  canvas.clear_background_color = name === 'light' ? '#e4e4e4' : darkCanvas.background;
  canvas.background_image = name === 'light' ? lightGridImage() : darkCanvas.image;
  canvas.default_link_color = global.LINK_COLOR;
  canvas.node_title_color = global.NODE_TITLE_COLOR;
  // Litegraph keeps the pattern of the previous image.
  (canvas as unknown as { _pattern?: unknown })._pattern = undefined;
  document.documentElement.dataset.theme = name;
  canvas.setDirty(true, true);
}
