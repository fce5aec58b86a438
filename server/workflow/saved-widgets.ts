// A node's saved `widgets_values` read into its current widgets: older packs' forms migrated
// (legacy-widgets.ts), then mapped by position, or fitted by type when a value list from before
// the node gained a widget would put values into the wrong widgets (widgets.ts). The converter
// (uiToApi) and the editor (when it opens a file) both read values through this one function, so
// the editor shows what a run would use.
import type { NodeInfo } from '../../types/api.ts';
import { currentWidgetValues } from './legacy-widgets.ts';
import { formatWidgetValues, mapWidgetValues, widgetSlots, type MappedWidget } from './widgets.ts';

export interface SavedWidgets {
  /** Each value widget with its value (the input's default where the file has none). */
  widgets: MappedWidget[];
  /** What moved: values fitted to the widgets by type, or read in an older FlashGraph editor's order. */
  refit?: string;
  /** Why the values could not be placed: one fits none of the widgets (positions are kept). */
  unfit?: string;
}

/** Reads `saved` (a node's widgets_values) for a node of `type`; `where` names the node in messages. */
export function readSavedWidgets(type: string, info: NodeInfo, saved: unknown, where: string): SavedWidgets {
  const values = currentWidgetValues(type, saved);
  const slots = widgetSlots(info);
  const result: SavedWidgets = { widgets: [] };
  result.widgets = mapWidgetValues(slots, values, (issue) => {
    if (issue.kind === 'refit') {
      result.refit = `${where}: the file holds fewer widget values than the node has widgets; matched them by type: ${issue.assignments.join(', ')}`;
    } else if (issue.kind === 'former-upload-order') {
      result.refit = `${where}: the file keeps the upload button's value before the optional widgets (an older FlashGraph editor); read in that order`;
    } else {
      const names = slots.flatMap((s) => (s.kind === 'value' ? [s.name] : [])).join(', ');
      result.unfit = `${where}: the saved widget value ${JSON.stringify(issue.value)} fits none of its widgets (${names})`;
    }
  });
  result.widgets.push(...formatWidgetValues(result.widgets, values));
  return result;
}
