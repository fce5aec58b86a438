// How a node's `widgets_values` line up with its inputs (spec §5.4). The editor stores widget
// values positionally, and the positions include values that are not inputs at all: the control
// mode after seed-like widgets and the upload buttons' values. The widget list is derived from
// object_info, never from the node's saved `inputs` (those omit unconnected widget sockets).
import type { InputInfo, InputOptions, NodeInfo } from '../../types/api.ts';
import { isPlainObject } from './parse.ts';

export type WidgetSlot =
  /** A widget whose value becomes the input `name`. */
  | { kind: 'value'; name: string; type: string; options: string[] | undefined; spec: InputOptions; required: boolean; toPrompt: boolean }
  /** The control mode of the value widget `name` ("fixed", "randomize", ...). */
  | { kind: 'control'; name: string }
  /** A combo's control filter string, after its control mode. */
  | { kind: 'filter'; name: string }
  /** A value kept by an upload helper widget; never sent to the server. */
  | { kind: 'upload'; name: string; placeholder: unknown };

const PRIMITIVE_WIDGETS = new Set(['INT', 'FLOAT', 'STRING', 'BOOLEAN']);
/** Widget constructors the frontend has besides the primitives and combos. */
const OTHER_WIDGETS = new Set(['MARKDOWN', 'COLOR', 'CURVE', 'IMAGECOMPARE']);
/** Widgets that show something but send nothing to the server. */
const DISPLAY_ONLY_WIDGETS = new Set(['IMAGECOMPARE']);
const SEED_NAMES = new Set(['seed', 'noise_seed']);

/**
 * Upload helpers and the values each adds (what the official frontend saves): its upload
 * extensions add one `upload` input per node to the required inputs, for the first required combo
 * with one of these flags (uploadImage.ts; uploadAudio.ts adds the audio player and button).
 */
const UPLOAD_EXTRAS: [flags: string[], placeholders: unknown[]][] = [
  [['image_upload', 'video_upload', 'animated_image_upload'], ['image']],
  [['audio_upload'], [null, '']],
];

export const CONTROL_MODES = new Set(['fixed', 'increment', 'decrement', 'randomize', 'increment-wrap']);

/** One input as the frontend lays it out; `upload` entries are the helper inputs its extensions add. */
export type OrderedInput =
  | { kind: 'input'; name: string; input: InputInfo; required: boolean }
  | { kind: 'upload'; name: string; placeholders: unknown[] };

/**
 * The inputs in the order the official frontend creates their sockets and widgets
 * (getOrderedInputSpecs, ComfyUI_frontend v1.27.10 src/utils/nodeDefOrderingUtil.ts): the required
 * names of `input_order`, then its optional names, then every input it does not list, in the order
 * of the definition (required, the upload helpers added to them, optional). Without `input_order`
 * that definition order is the whole rule. Since ComfyUI always sends `input_order`, upload helpers
 * come after the optional widgets.
 */
export function orderedInputs(info: NodeInfo): OrderedInput[] {
  const definition: OrderedInput[] = [];
  const uploads: OrderedInput[] = [];
  for (const required of [true, false]) {
    const group = required ? info.input?.required : info.input?.optional;
    if (!isPlainObject(group)) continue;
    for (const [name, input] of Object.entries(group)) {
      if (!Array.isArray(input)) continue;
      definition.push({ kind: 'input', name, input: input as InputInfo, required });
      if (!required) continue;
      const spec = isPlainObject(input[1]) ? input[1] : {};
      const combo = Array.isArray(input[0]) || input[0] === 'COMBO';
      for (const [flags, placeholders] of UPLOAD_EXTRAS) {
        if (combo && flags.some((flag) => spec[flag] === true) && !uploads.some((u) => u.kind === 'upload' && u.placeholders === placeholders)) {
          uploads.push({ kind: 'upload', name, placeholders });
        }
      }
    }
    if (required) definition.push(...uploads);
  }
  const order = info.input_order;
  if (!isPlainObject(order)) return definition;
  const ordered: OrderedInput[] = [];
  for (const required of [true, false]) {
    const names = required ? order.required : order.optional;
    if (!Array.isArray(names)) continue;
    for (const name of names) {
      const found = definition.find((d) => d.kind === 'input' && d.name === name && d.required === required);
      if (found && !ordered.includes(found)) ordered.push(found);
    }
  }
  for (const entry of definition) if (!ordered.includes(entry)) ordered.push(entry);
  return ordered;
}

/** The widget positions of a node, in the order the official frontend saves their values. */
export function widgetSlots(info: NodeInfo): WidgetSlot[] {
  const slots: WidgetSlot[] = [];
  for (const entry of orderedInputs(info)) {
    if (entry.kind === 'upload') {
      for (const placeholder of entry.placeholders) slots.push({ kind: 'upload', name: entry.name, placeholder });
      continue;
    }
    const { name, input, required } = entry;
    const [type, rawOptions] = input;
    const spec: InputOptions = isPlainObject(rawOptions) ? rawOptions : {};
    const combo = Array.isArray(type) || type === 'COMBO';
    const typeName = combo ? 'COMBO' : String(type);
    if (spec.forceInput || (!combo && !PRIMITIVE_WIDGETS.has(typeName) && !OTHER_WIDGETS.has(typeName))) continue;
    const options = Array.isArray(type) ? type.map(String) : Array.isArray(spec.options) ? spec.options.map(String) : combo ? [] : undefined;
    slots.push({ kind: 'value', name, type: typeName, options, spec, required, toPrompt: !DISPLAY_ONLY_WIDGETS.has(typeName) });
    if (hasControl(name, typeName, spec)) {
      slots.push({ kind: 'control', name });
      if (combo) slots.push({ kind: 'filter', name });
    }
  }
  return slots;
}

/**
 * The order FlashGraph's editor saved values in before it followed the official frontend: upload
 * helpers right after the required widgets. Files it wrote for nodes with optional widgets after
 * an upload keep their values there.
 */
function formerUploadOrder(slots: readonly WidgetSlot[]): WidgetSlot[] | undefined {
  const uploads = slots.filter((s) => s.kind === 'upload');
  const rest = slots.filter((s) => s.kind !== 'upload');
  const firstOptional = rest.findIndex((s) => s.kind === 'value' && !s.required);
  if (uploads.length === 0 || firstOptional < 0) return undefined;
  return [...rest.slice(0, firstOptional), ...uploads, ...rest.slice(firstOptional)];
}

function hasControl(name: string, type: string, spec: InputOptions): boolean {
  const flag = spec.control_after_generate;
  if (type === 'INT') return flag === undefined ? SEED_NAMES.has(name) : Boolean(flag);
  if (type === 'FLOAT' || type === 'COMBO') return Boolean(flag);
  return false;
}

export function isControlValue(value: unknown): boolean {
  return typeof value === 'boolean' || (typeof value === 'string' && CONTROL_MODES.has(value));
}

export interface MappedWidget {
  slot: Extract<WidgetSlot, { kind: 'value' }>;
  /** Index in an array `widgets_values`, or the key in an object one; undefined when missing. */
  at?: number | string;
  value: unknown;
  /** Whether `value` came from the file (else it is the input's default). */
  present: boolean;
  control?: { mode: unknown; at?: number | string; filter?: unknown };
}

/** What the mapping had to guess: reported by the converter (a warning, or an error for `unfit`). */
export type WidgetMappingIssue =
  | { kind: 'refit'; assignments: string[] }
  | { kind: 'unfit'; value: unknown }
  /** The values were saved with upload helpers before the optional widgets (older FlashGraph editors). */
  | { kind: 'former-upload-order' };

/**
 * Assigns each value widget its value: by position for arrays (skipping control and upload
 * values, tolerating files that lack them), by name for objects, the input's default when absent.
 * Values that do not fit in the official frontend's order but do in FlashGraph's former one
 * (uploads before the optional widgets) are read in that order.
 * A list shorter than the node's widgets whose values do not fit their positions (a file saved
 * before the node gained a widget in the middle) is fitted by type instead; see fitByType.
 */
export function mapWidgetValues(slots: readonly WidgetSlot[], values: unknown, report?: (issue: WidgetMappingIssue) => void): MappedWidget[] {
  const positional = mapByPosition(slots, values);
  const allFit = (mapped: MappedWidget[]) => mapped.every((m) => !m.present || fits(m.slot, m.value));
  if (!Array.isArray(values) || allFit(positional)) return positional;
  const former = formerUploadOrder(slots);
  const formerMapping = former && mapByPosition(former, values);
  if (formerMapping && allFit(formerMapping)) {
    report?.({ kind: 'former-upload-order' });
    return formerMapping;
  }
  const valueSlots = slots.filter((s): s is Extract<WidgetSlot, { kind: 'value' }> => s.kind === 'value');
  if (values.length >= valueSlots.length || slots.some((s) => s.kind !== 'value')) return positional;
  return fitByType(valueSlots, values, report);
}

/**
 * Older files of a node that later gained a widget hold fewer values than it has widgets, so
 * positions shift (ComfyUI would put `true` into a combo). Each value goes to the next widget whose
 * type and options it fits, in order; skipped widgets take their defaults.
 */
function fitByType(
  slots: readonly Extract<WidgetSlot, { kind: 'value' }>[],
  values: readonly unknown[],
  report?: (issue: WidgetMappingIssue) => void,
): MappedWidget[] {
  const assigned = new Map<number, number>();
  let next = 0;
  for (const [at, value] of values.entries()) {
    let found = -1;
    for (let i = next; i < slots.length; i++) {
      if (fits(slots[i]!, value)) {
        found = i;
        break;
      }
    }
    if (found < 0) {
      report?.({ kind: 'unfit', value });
      return mapByPosition(slots, values);
    }
    assigned.set(found, at);
    next = found + 1;
  }
  const mapped = slots.map((slot, i): MappedWidget => {
    const at = assigned.get(i);
    return at === undefined ? { slot, value: defaultValue(slot), present: false } : { slot, at, value: values[at], present: true };
  });
  report?.({
    kind: 'refit',
    assignments: mapped.map((m) => `${m.slot.name} = ${JSON.stringify(m.value)}${m.present ? '' : ' (default)'}`),
  });
  return mapped;
}

/** Whether a saved value could belong to a widget (its type; a combo's options). */
function fits(slot: Extract<WidgetSlot, { kind: 'value' }>, value: unknown): boolean {
  switch (slot.type) {
    case 'INT':
      return typeof value === 'number' && Number.isInteger(value);
    case 'FLOAT':
      return typeof value === 'number';
    case 'BOOLEAN':
      return typeof value === 'boolean';
    case 'STRING':
      return typeof value === 'string';
    case 'COMBO':
      // A file combo's list is the server's folder now: a file saved elsewhere still names a file.
      return typeof value === 'string' && (!slot.options || slot.options.length === 0 || slot.options.includes(value) || isFileCombo(slot.spec));
    default:
      return true;
  }
}

/** Combos whose options are the files of a folder (upload buttons, remote lists). */
function isFileCombo(spec: InputOptions): boolean {
  return UPLOAD_EXTRAS.some(([flags]) => flags.some((flag) => spec[flag] === true)) || isPlainObject(spec.remote);
}

function mapByPosition(slots: readonly WidgetSlot[], values: unknown): MappedWidget[] {
  const mapped: MappedWidget[] = [];
  const byName = new Map<string, MappedWidget>();
  if (isPlainObject(values)) {
    for (const slot of slots) {
      if (slot.kind !== 'value') continue;
      const present = Object.hasOwn(values, slot.name);
      const entry: MappedWidget = present
        ? { slot, at: slot.name, value: values[slot.name], present }
        : { slot, value: defaultValue(slot), present };
      mapped.push(entry);
    }
    return mapped;
  }
  const list = Array.isArray(values) ? values : [];
  const valueSlotsAfter = slots.map((_, i) => slots.slice(i + 1).filter((s) => s.kind === 'value').length);
  let at = 0;
  for (const [i, slot] of slots.entries()) {
    const remaining = list.length - at;
    if (slot.kind === 'value') {
      const entry: MappedWidget =
        remaining > 0 ? { slot, at, value: list[at], present: true } : { slot, value: defaultValue(slot), present: false };
      if (remaining > 0) at++;
      mapped.push(entry);
      byName.set(slot.name, entry);
    } else if (slot.kind === 'control') {
      // Older and newer files may lack the control value: take it only when it looks like one.
      if (remaining > 0 && isControlValue(list[at])) {
        const owner = byName.get(slot.name);
        if (owner) owner.control = { mode: list[at], at };
        at++;
      }
    } else if (slot.kind === 'filter') {
      const owner = byName.get(slot.name);
      if (owner?.control && remaining > valueSlotsAfter[i]! && typeof list[at] === 'string') {
        owner.control.filter = list[at];
        at++;
      }
    } else if (remaining > 0 && (isUploadValue(list[at]) || remaining > valueSlotsAfter[i]!)) {
      at++;
    }
  }
  return mapped;
}

function isUploadValue(value: unknown): boolean {
  return value === null || value === '' || value === 'image';
}

/** What the editor shows for a widget no value was saved for. */
export function defaultValue(slot: Extract<WidgetSlot, { kind: 'value' }>): unknown {
  const { spec } = slot;
  if (spec.default !== undefined) return spec.default;
  switch (slot.type) {
    case 'COMBO':
      return slot.options?.[0];
    case 'INT':
    case 'FLOAT': {
      const min = typeof spec.min === 'number' ? spec.min : 0;
      const max = typeof spec.max === 'number' ? spec.max : 2048;
      return Math.min(Math.max(0, min), max);
    }
    case 'STRING':
      return '';
    case 'BOOLEAN':
      return false;
    default:
      return undefined;
  }
}

/**
 * Widgets a combo adds for its chosen option (VideoHelperSuite's VideoCombine lists them in the
 * combo's `formats` option: `{ "video/h264-mp4": [["crf", "INT", {...}], ...] }`). Its editor saves
 * every widget by name, so they are read from an object `widgets_values`; absent ones take their
 * defaults. They become prompt inputs the node reads, as in ComfyUI.
 */
export function formatWidgetValues(mapped: readonly MappedWidget[], values: unknown): MappedWidget[] {
  const extra: MappedWidget[] = [];
  const taken = new Set(mapped.map((m) => m.slot.name));
  for (const m of mapped) {
    if (m.slot.type !== 'COMBO' || typeof m.value !== 'string' || !isPlainObject(m.slot.spec.formats)) continue;
    const widgets = (m.slot.spec.formats as Record<string, unknown>)[m.value];
    if (!Array.isArray(widgets)) continue;
    for (const widget of widgets) {
      if (!Array.isArray(widget) || typeof widget[0] !== 'string' || taken.has(widget[0])) continue;
      const [name, type, rawOptions] = widget as [string, unknown, unknown];
      const spec: InputOptions = isPlainObject(rawOptions) ? rawOptions : {};
      const combo = Array.isArray(type);
      const slot = { kind: 'value' as const, name, type: combo ? 'COMBO' : String(type), options: combo ? (type as unknown[]).map(String) : undefined, spec, required: false, toPrompt: true };
      const present = isPlainObject(values) && Object.hasOwn(values, name);
      extra.push(present ? { slot, at: name, value: (values as Record<string, unknown>)[name], present } : { slot, value: defaultValue(slot), present });
      taken.add(name);
    }
  }
  return extra;
}
