// The editor's keyboard shortcuts: one table that the key handler runs and the shortcuts panel
// lists. Keys follow ComfyUI's frontend (src/platform/keybindings/defaults.ts, v1.27.10) where it
// has the same command: Ctrl+Enter queue, Ctrl+S save, Ctrl+O open, Ctrl+M mute, Ctrl+B bypass,
// Ctrl+G group, `.` fit view, Ctrl+, settings. Litegraph's own keys (copy, paste, delete...)
// are listed too; litegraph handles them.
import { LGraphEventMode, LGraphGroup } from '@comfyorg/litegraph';
import type { Editor } from './editor.ts';

/** What shortcuts act on besides the editor: the page's own commands. */
export interface ShortcutHost {
  editor: Editor;
  /** Save to the workflows sidebar (the server's user data), asking for a name the first time. */
  saveWorkflow(): void;
  openFilePicker(): void;
  openSettings(): void;
  toggleShortcuts(): void;
}

export interface Shortcut {
  /** As shown: "Ctrl+Shift+S", "." */
  keys: string;
  description: string;
  /** Absent for litegraph's keys (listed, handled by litegraph). */
  run?: (host: ShortcutHost) => void;
  /** Runs while a text field has the focus too. */
  inTextFields?: boolean;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: 'Ctrl+Enter', description: 'Queue the workflow', run: ({ editor }) => void editor.queuePrompt(), inTextFields: true },
  { keys: 'Ctrl+S', description: 'Save the workflow (workflows sidebar)', run: (host) => host.saveWorkflow(), inTextFields: true },
  { keys: 'Ctrl+Shift+S', description: 'Export the API format', run: ({ editor }) => editor.download('api'), inTextFields: true },
  { keys: 'Ctrl+O', description: 'Open a workflow, or a PNG, WebP, MP4, WebM or FLAC file with one', run: (host) => host.openFilePicker(), inTextFields: true },
  { keys: 'Ctrl+Z', description: 'Undo', run: ({ editor }) => editor.undo() },
  { keys: 'Ctrl+Y', description: 'Redo', run: ({ editor }) => editor.redo() },
  { keys: 'Ctrl+Shift+Z', description: 'Redo', run: ({ editor }) => editor.redo() },
  { keys: 'Ctrl+M', description: 'Mute the selected nodes (again: turn them back on)', run: ({ editor }) => editor.setModeOfSelected(LGraphEventMode.NEVER) },
  { keys: 'Ctrl+B', description: 'Bypass the selected nodes (again: turn them back on)', run: ({ editor }) => editor.setModeOfSelected(LGraphEventMode.BYPASS) },
  { keys: 'Ctrl+G', description: 'Put a group around the selected nodes', run: ({ editor }) => groupSelection(editor) },
  { keys: '.', description: 'Fit the graph into the view', run: ({ editor }) => editor.fitView() },
  { keys: 'Ctrl+,', description: 'Settings', run: (host) => host.openSettings(), inTextFields: true },
  { keys: '?', description: 'This list of shortcuts', run: (host) => host.toggleShortcuts() },
  { keys: 'Ctrl+A', description: 'Select all nodes' },
  { keys: 'Ctrl+C', description: 'Copy the selected nodes' },
  { keys: 'Ctrl+V', description: 'Paste' },
  { keys: 'Ctrl+Shift+V', description: 'Paste with the links into the pasted nodes' },
  { keys: 'Delete', description: 'Remove the selected nodes' },
  { keys: 'Space+drag', description: 'Move the view' },
  { keys: 'Shift+drag', description: 'Snap to the grid while moving' },
  { keys: 'Double-click', description: 'Search for a node to add' },
];

/** "Ctrl+Shift+S" for a key event (Cmd counts as Ctrl); "?" and "." as typed. */
export function keysOf(event: KeyboardEvent): string {
  const key = event.key.length === 1 ? event.key.toUpperCase() : event.key;
  if ((key === '?' || key === '.') && !event.ctrlKey && !event.metaKey && !event.altKey) return key;
  const parts = [event.ctrlKey || event.metaKey ? 'Ctrl' : '', event.altKey ? 'Alt' : '', event.shiftKey ? 'Shift' : ''].filter(Boolean);
  return [...parts, key].join('+');
}

/** Runs the shortcut a key press names, if any. */
export function installShortcuts(host: () => ShortcutHost | undefined): void {
  document.addEventListener('keydown', (event) => {
    const current = host();
    if (!current || event.repeat) return;
    const keys = keysOf(event);
    const shortcut = SHORTCUTS.find((s) => s.run && s.keys === keys);
    if (!shortcut || (isTextField(event.target) && !shortcut.inTextFields)) return;
    event.preventDefault();
    shortcut.run!(current);
  });
}

/** Ctrl+G: a group around the selected nodes (and groups), as ComfyUI's Comfy.Graph.GroupSelectedNodes. */
export function groupSelection(editor: Editor): void {
  const items = [...editor.canvas.selectedItems];
  if (items.length === 0) return;
  const group = new LGraphGroup('Group');
  // ComfyUI's Comfy.GroupSelectedNodes.Padding default.
  group.resizeTo(items, 10);
  editor.shownGraph.add(group);
  group.recomputeInsideNodes();
  editor.canvas.setDirty(true, true);
  editor.checkpoint();
}

export function isTextField(target: EventTarget | null): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement || (target instanceof HTMLElement && target.isContentEditable);
}
