// Widget values saved by older versions of packs, brought to the form their nodes have now, the
// way those packs' own editor code migrates them when a file is opened.
import { isPlainObject } from './parse.ts';

/**
 * VideoHelperSuite saved some nodes' values as a list before it switched to an object keyed by
 * widget name; these are the names of the list positions (null: an upload button's value).
 */
const VHS_LIST_FORMS: Record<string, (string | null)[]> = {
  VHS_VideoCombine: ['frame_rate', 'loop_count', 'filename_prefix', 'format', 'pingpong', 'save_image'],
  VHS_LoadVideo: ['video', 'force_rate', 'force_size', 'frame_load_cap', 'skip_first_frames', 'select_every_nth'],
  VHS_LoadVideoPath: ['video', 'force_rate', 'force_size', 'frame_load_cap', 'skip_first_frames', 'select_every_nth'],
};

/** Widgets renamed since: the old name's value is used when the new name is absent. */
const RENAMED: Record<string, Record<string, string>> = {
  VHS_VideoCombine: { save_output: 'save_image' },
};

/** The widget values of a node of `type` in their current form (the input is never modified). */
export function currentWidgetValues(type: string, values: unknown): unknown {
  const list = VHS_LIST_FORMS[type];
  let dict: Record<string, unknown> | undefined;
  if (list && Array.isArray(values) && values.length >= list.length && values.length > 0 && (type !== 'VHS_VideoCombine' ? typeof values[2] === 'string' : true)) {
    dict = {};
    list.forEach((name, i) => {
      if (name) dict![name] = values[i];
    });
  } else if (isPlainObject(values) && (Object.hasOwn(RENAMED, type) || Object.hasOwn(values, 'force_size'))) {
    dict = { ...values };
  }
  if (!dict) return values;
  for (const [name, old] of Object.entries(RENAMED[type] ?? {})) {
    if (!Object.hasOwn(dict, name) && Object.hasOwn(dict, old)) dict[name] = dict[old];
  }
  // VHS replaced force_size ("Disabled", "Custom Width", "Custom Height", "512x?") with
  // custom_width and custom_height (0: keep).
  const forceSize = dict.force_size;
  if (typeof forceSize === 'string') {
    if (forceSize.includes('x')) {
      const [w = '?', h = '?'] = forceSize.split('x');
      dict.custom_width = w === '?' ? 0 : Number.parseInt(w, 10) || 0;
      dict.custom_height = h === '?' ? 0 : Number.parseInt(h, 10) || 0;
    } else {
      if (forceSize === 'Disabled' || forceSize === 'Custom Height') dict.custom_width = 0;
      if (forceSize === 'Disabled' || forceSize === 'Custom Width') dict.custom_height = 0;
    }
  }
  return dict;
}
