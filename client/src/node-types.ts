// Node classes built at start from GET /object_info: one litegraph class per server node class,
// its sockets typed and coloured, its widgets made from the input specs in the order
// `widgetSlots` gives (the official frontend's order, which the UI->API conversion reads
// `widgets_values` in).
import { BaseWidget, LGraphCanvas, LGraphNode, LiteGraph, RenderShape } from '@comfyorg/litegraph';
import type { ISerialisedNode } from '@comfyorg/litegraph/dist/types/serialisation';
import type { IBaseWidget } from '@comfyorg/litegraph/dist/types/widgets';
import type { DrawWidgetOptions } from '@comfyorg/litegraph/dist/widgets/BaseWidget';
import type { FileRef, InputInfo, NodeInfo, ObjectInfo, UiOutput } from '../../types/api.ts';
import { readSavedWidgets } from '../../server/workflow/saved-widgets.ts';
import { orderedInputs, widgetSlots, type WidgetSlot } from '../../server/workflow/widgets.ts';
import { typeColor } from './colors.ts';
import { dropEventModes } from './modes.ts';
import { comboFile, remoteSpec, remoteValues } from './remote-combos.ts';

/** What nodes need from the editor around them. */
export interface NodeServices {
  canvas(): LGraphCanvas;
  upload(file: File): Promise<FileRef>;
  viewUrl(file: FileRef): string;
  /** A widget changed through a node's own UI (upload): autosave and undo take note. */
  changed(): void;
  /** GET of a server route (a remote combo's `remote.route`), parsed JSON. */
  fetchRoute(route: string): Promise<unknown>;
  /** A node grew taller to show outputs or a preview (`before`: its height until then). */
  grew?(node: LGraphNode, before: number): void;
}

const CONTROL_MODES = ['fixed', 'increment', 'decrement', 'randomize'];
const COMBO_CONTROL_MODES = [...CONTROL_MODES, 'increment-wrap'];
const VIDEO_FILE = /\.(mp4|webm|mov|mkv)$/i;
const AUDIO_FILE = /\.(flac|wav|mp3|ogg|opus|m4a|aac)$/i;
const AUDIO_BAR_HEIGHT = 34;
const UPLOAD_BUTTON = 'choose file to upload';
const REFRESH_BUTTON = 'refresh';
const MEDIA_MIN_HEIGHT = 180;
const TEXT_LINE_HEIGHT = 14;
const TEXTAREA_MIN_HEIGHT = 60;
/** Where multi-line boxes start and end across the node (litegraph's widget margin). */
export const TEXTAREA_MARGIN = 15;

type ValueSlot = Extract<WidgetSlot, { kind: 'value' }>;

type MediaKind = 'image' | 'video' | 'audio';
type Media =
  | { kind: 'image'; element: HTMLImageElement; url: string }
  | { kind: 'video'; element: HTMLVideoElement; url: string }
  | { kind: 'audio'; element: HTMLAudioElement; url: string; name: string };

/** What a file is shown as: audio or video by its output key (ComfyUI's `audio`, `video`) or its extension, else an image (animated GIF/WebP included). */
export function mediaKindOf(key: string, filename: string): MediaKind {
  if (key === 'audio' || AUDIO_FILE.test(filename)) return 'audio';
  if (key === 'video' || VIDEO_FILE.test(filename)) return 'video';
  return 'image';
}

/** Base of every generated class: run-state decorations and output previews. */
export class FlashNode extends LGraphNode {
  static nodeInfo: NodeInfo;
  static services: NodeServices;

  running = false;
  /** The error shown above the node (execution_error or a node-level validation error). */
  errorMessage: string | undefined = undefined;
  /** Validation errors per input name (node_errors from a refused POST /prompt). */
  inputErrors = new Map<string, string>();
  media: Media[] = [];
  texts: string[] = [];
  /** The latest sampler preview of the running node, replaced by the outputs when it finishes. */
  livePreview: HTMLImageElement | undefined = undefined;
  /** Where the media area began at the last draw (node coordinates), for clicks on it. */
  private mediaTop = Number.POSITIVE_INFINITY;
  private laidOut = false;

  constructor(title?: string) {
    const info = (new.target as typeof FlashNode).nodeInfo;
    super(title ?? info.display_name, info.name);
    this.comfyClass = info.name;
    this.serialize_widgets = true;
    this.buildSlots(info);
    // LGraphNode's constructor sets onMouseDown on the instance (title buttons), shadowing any
    // method: chain onto it.
    const titleButtons = this.onMouseDown;
    this.onMouseDown = (e, pos, canvas) => this.clickMedia(pos) || Boolean(titleButtons?.call(this, e, pos, canvas));
    this.strokeStyles.running = () => (this.running ? { color: '#22e07a', lineWidth: 3, padding: 7 } : undefined);
    const size = this.computeSize();
    // A new node's text boxes get a few lines more than their minimum.
    const textBoxes = this.widgets?.filter((w) => w instanceof MultilineWidget).length ?? 0;
    this.setSize([Math.max(size[0], 220), size[1] + 6 + textBoxes * 60]);
  }

  get info(): NodeInfo {
    return (this.constructor as typeof FlashNode).nodeInfo;
  }

  private get services(): NodeServices {
    return (this.constructor as typeof FlashNode).services;
  }

  private buildSlots(info: NodeInfo): void {
    const slots = widgetSlots(info);
    const widgetInputs = new Map(slots.filter((s): s is ValueSlot => s.kind === 'value').map((s) => [s.name, s]));
    for (const entry of orderedInputs(info)) {
      if (entry.kind !== 'input') continue;
      const { name, input: spec, required } = entry;
      const type = Array.isArray(spec[0]) ? 'COMBO' : spec[0];
      const options = spec[1] ?? {};
      const label = typeof options.display_name === 'string' ? options.display_name : undefined;
      const extra: Record<string, unknown> = { color_on: typeColor(type), color_off: typeColor(type) };
      if (label) extra.label = label;
      if (widgetInputs.has(name)) extra.widget = { name };
      if (!required) extra.shape = RenderShape.HollowCircle;
      this.addInput(name, type, extra);
    }
    for (const [i, output] of info.output.entries()) {
      const type = Array.isArray(output) ? 'COMBO' : output;
      const extra: Record<string, unknown> = { color_on: typeColor(type), color_off: typeColor(type) };
      if (info.output_is_list[i]) extra.shape = RenderShape.GRID;
      this.addOutput(info.output_name[i] ?? type, type, extra);
    }
    for (const slot of slots) this.addWidgetFor(slot, slots);
  }

  private addWidgetFor(slot: WidgetSlot, slots: WidgetSlot[]): void {
    if (slot.kind === 'control') {
      const owner = slots.find((s): s is ValueSlot => s.kind === 'value' && s.name === slot.name);
      const modes = owner?.type === 'COMBO' ? COMBO_CONTROL_MODES : CONTROL_MODES;
      this.addWidget('combo', 'control_after_generate', owner?.type === 'COMBO' ? 'fixed' : 'randomize', null, { values: modes });
      return;
    }
    if (slot.kind === 'filter') {
      this.addWidget('text', 'control_filter_list', '', null, {});
      return;
    }
    if (slot.kind === 'upload') {
      // Audio uploads keep two values in saved files (ComfyUI's player and button): one button
      // shows, the other value rides along unseen so positions stay as saved.
      if (this.widgets?.some((w) => w.name === UPLOAD_BUTTON)) {
        this.addCustomWidget(new HiddenValueWidget({ type: 'hidden', name: `${slot.name}_upload_value`, value: slot.placeholder as string, options: {}, y: 0 } as IBaseWidget<string, 'hidden'>, this));
        return;
      }
      const button = this.addWidget('button', UPLOAD_BUTTON, slot.placeholder as string, () => this.pickUpload(slot.name), {});
      button.value = slot.placeholder as string;
      return;
    }
    const { spec, name } = slot;
    const changed = () => this.onValueWidgetChanged(slot);
    switch (slot.type) {
      case 'INT':
      case 'FLOAT': {
        const isInt = slot.type === 'INT';
        const step = typeof spec.step === 'number' ? spec.step : isInt ? 1 : 0.01;
        const round = typeof spec.round === 'number' ? spec.round : step;
        const precision = isInt ? 0 : Math.max(0, Math.min(6, decimals(round)));
        const options: Record<string, unknown> = { step2: step, precision, round: isInt ? 1 : round };
        if (typeof spec.min === 'number') options.min = spec.min;
        if (typeof spec.max === 'number') options.max = spec.max;
        this.addWidget('number', name, Number(spec.default ?? Math.max(0, Number(spec.min ?? 0))), changed, options);
        break;
      }
      case 'BOOLEAN':
        this.addWidget('toggle', name, Boolean(spec.default ?? false), changed, {
          on: typeof spec.label_on === 'string' ? spec.label_on : 'true',
          off: typeof spec.label_off === 'string' ? spec.label_off : 'false',
        });
        break;
      case 'COMBO': {
        const values = [...(slot.options ?? [])];
        this.addWidget('combo', name, String(spec.default ?? values[0] ?? ''), changed, { values });
        const remote = remoteSpec(spec);
        if (remote?.refresh_button) {
          // ComfyUI's refresh button beside a remote combo: not a saved value.
          const button = this.addWidget('button', REFRESH_BUTTON, '', () => void this.refreshRemote(name, true), {});
          button.serialize = false;
        }
        break;
      }
      case 'STRING':
        if (spec.multiline) this.addCustomWidget(new MultilineWidget({ type: 'multiline', name, value: String(spec.default ?? ''), options: {}, y: 0 } as IBaseWidget<string, 'multiline'>, this));
        else this.addWidget('text', name, String(spec.default ?? ''), changed, {});
        break;
      default:
        // Frontend-only widget kinds (COLOR, MARKDOWN...): a text box keeps the value editable.
        this.addWidget('text', name, spec.default === undefined ? '' : String(spec.default), changed, {});
    }
  }

  widget(name: string): IBaseWidget | undefined {
    return this.widgets?.find((w) => w.name === name);
  }

  private onValueWidgetChanged(slot: ValueSlot): void {
    if (isUploadCombo(slot)) this.showInputFile();
  }

  /** The upload button: a file picker, POST /upload/image, then the combo shows the new file. */
  private pickUpload(comboName: string): void {
    const picker = document.createElement('input');
    picker.type = 'file';
    const spec = widgetSlots(this.info).find((s): s is ValueSlot => s.kind === 'value' && s.name === comboName)?.spec ?? {};
    picker.accept = spec.video_upload ? 'video/*' : spec.audio_upload ? 'audio/*' : 'image/*,video/*';
    picker.addEventListener('change', () => {
      const file = picker.files?.[0];
      if (file) void this.uploadInto(comboName, file);
    });
    picker.click();
  }

  async uploadInto(comboName: string, file: File): Promise<void> {
    const stored = await this.services.upload(file);
    const name = stored.subfolder ? `${stored.subfolder}/${stored.filename}` : stored.filename;
    const combo = this.widget(comboName);
    if (!combo) return;
    const values = (combo.options as { values?: string[] }).values;
    if (values && !values.includes(name)) values.push(name);
    combo.value = name;
    this.showInputFile();
    this.services.changed();
  }

  /** Upload combos preview the chosen input file, as ComfyUI's LoadImage does. */
  showInputFile(): void {
    const slot = widgetSlots(this.info).find((s): s is ValueSlot => s.kind === 'value' && isUploadCombo(s));
    if (!slot) return;
    const value = this.widget(slot.name)?.value;
    if (typeof value !== 'string' || value === '') return;
    const file = comboFile(value);
    this.setMedia([{ file, kind: mediaKindOf('', file.filename) }]);
  }

  override onNodeCreated(): void {
    // Remote combos fetch their list once when the node is made (the value stays).
    for (const slot of widgetSlots(this.info)) {
      if (slot.kind === 'value' && slot.type === 'COMBO' && remoteSpec(slot.spec)) void this.refreshRemote(slot.name, false);
    }
  }

  /**
   * Fetches a remote combo's list from its route; after a click on its refresh button,
   * `control_after_refresh` picks the first (ComfyUI: the newest file) or last value.
   */
  async refreshRemote(comboName: string, clicked: boolean): Promise<void> {
    const slot = widgetSlots(this.info).find((s): s is ValueSlot => s.kind === 'value' && s.name === comboName);
    const remote = slot ? remoteSpec(slot.spec) : undefined;
    const combo = this.widget(comboName);
    if (!remote || !combo) return;
    let values: string[];
    try {
      values = remoteValues(await this.services.fetchRoute(remote.route), remote);
    } catch {
      return;
    }
    (combo.options as { values?: string[] }).values = values;
    const before = combo.value;
    if (clicked && values.length > 0) {
      if (remote.control_after_refresh === 'first') combo.value = values[0]!;
      else if (remote.control_after_refresh === 'last') combo.value = values.at(-1)!;
    }
    if (combo.value !== before) {
      this.showInputFile();
      this.services.changed();
    }
    this.setDirtyCanvas(true, true);
  }

  /** Takes the outputs off the node (another subgraph instance's outputs come next). */
  clearOutputs(): void {
    for (const old of this.media) if (old.kind !== 'image') old.element.pause();
    this.media = [];
    this.texts = [];
    this.livePreview = undefined;
    this.showInputFile();
    this.setDirtyCanvas(true, false);
  }

  /**
   * Litegraph's configure copies the saved inputs over the first entries of the node's own list
   * and keeps the rest (the saved list omits widget sockets, so an optional input after them came
   * twice), and puts widgets_values into the widgets by position. Here the saved inputs are the
   * node's inputs, the ones the node has and the file lacks follow them (slot indices of links
   * stay valid), and the values go through the converter's own reading (readSavedWidgets).
   */
  override configure(serialised: ISerialisedNode): void {
    const own = this.inputs;
    if (Array.isArray(serialised.inputs)) this.inputs = [];
    const { widgets_values: values, ...rest } = serialised;
    super.configure(rest as ISerialisedNode);
    for (const input of own) if (!this.inputs.some((i) => i.name === input.name)) this.inputs.push(input);
    this.dropDuplicateInputs();
    dropEventModes(this);
    this.applyWidgetValues(values);
    this.showInputFile();
  }

  /** Files the editor saved before the fix above hold an input twice: the linked one stays. */
  private dropDuplicateInputs(): void {
    for (let i = this.inputs.length - 1; i >= 0; i--) {
      const input = this.inputs[i]!;
      const twin = this.inputs.findIndex((other, j) => j !== i && other.name === input.name);
      if (twin < 0) continue;
      if (input.link == null || this.inputs[twin]!.link != null) this.removeInput(i);
    }
  }

  /** What moved when the saved values were fitted by type (or why they could not be): for the open notice. */
  loadNote: { text: string; error: boolean } | undefined = undefined;

  /** Values as the converter reads them (uiToApi): the same repair, the same defaults. */
  applyWidgetValues(values: unknown): void {
    const saved = readSavedWidgets(this.type, this.info, values, `node #${this.id} ${this.type}`);
    const control = this.widget('control_after_generate');
    for (const mapped of saved.widgets) {
      const widget = this.widget(mapped.slot.name);
      if (widget && mapped.value !== undefined) widget.value = mapped.value as never;
      if (control && typeof mapped.control?.mode === 'string') control.value = mapped.control.mode;
    }
    this.loadNote = saved.unfit ? { text: saved.unfit, error: true } : saved.refit ? { text: saved.refit, error: false } : undefined;
  }

  /** Shows what an `executed` message carried: images, videos, text. */
  setOutputs(ui: UiOutput | null, viewUrl: (file: FileRef) => string): void {
    this.livePreview = undefined;
    if (!ui) return;
    const files: { file: FileRef; kind: MediaKind }[] = [];
    for (const key of OUTPUT_FILE_KEYS) {
      for (const item of ui[key] ?? []) if (isFileRef(item)) files.push({ file: item, kind: mediaKindOf(key, item.filename) });
    }
    if (files.length > 0) this.setMedia(files, viewUrl);
    const texts = (ui.text ?? []).map((t) => (typeof t === 'string' ? t : JSON.stringify(t)));
    if (texts.length > 0) this.texts = texts;
    this.ensureRoomForOutputs();
  }

  private setMedia(files: { file: FileRef; kind: MediaKind }[], viewUrl = (f: FileRef) => this.services.viewUrl(f)): void {
    for (const old of this.media) if (old.kind !== 'image') old.element.pause();
    this.media = files.map(({ file, kind }): Media => {
      const url = viewUrl(file);
      if (kind === 'audio') {
        const element = new Audio();
        element.preload = 'metadata';
        for (const event of ['loadedmetadata', 'timeupdate', 'play', 'pause', 'ended']) element.addEventListener(event, () => this.setDirtyCanvas(true, false));
        element.src = url;
        return { kind, element, url, name: file.filename };
      }
      if (kind === 'video') {
        const element = document.createElement('video');
        Object.assign(element, { muted: true, loop: true, autoplay: true, playsInline: true, src: url });
        element.addEventListener('loadeddata', () => this.setDirtyCanvas(true, false));
        void element.play().catch(() => undefined);
        return { kind: 'video' as const, element, url };
      }
      const element = new Image();
      element.addEventListener('load', () => this.setDirtyCanvas(true, false));
      element.src = url;
      return { kind: 'image' as const, element, url };
    });
    this.ensureRoomForOutputs();
  }

  setPreview(blob: Blob): void {
    const image = new Image();
    const url = URL.createObjectURL(blob);
    image.addEventListener('load', () => {
      if (this.livePreview && this.livePreview !== image) URL.revokeObjectURL(this.livePreview.src);
      this.livePreview = image;
      this.ensureRoomForOutputs();
      this.setDirtyCanvas(true, false);
    });
    image.src = url;
  }

  clearRunState(): void {
    this.running = false;
    this.livePreview = undefined;
    this.progress = undefined;
    this.errorMessage = undefined;
    this.has_errors = false;
    this.inputErrors.clear();
  }

  /** Whether the node shows outputs (text, media, a live preview) below its widgets. */
  get showsOutputs(): boolean {
    return this.media.length > 0 || this.texts.length > 0 || Boolean(this.livePreview);
  }

  private contentTop(): number {
    const slotsBottom = Math.max(this.inputs.filter((i) => !i.widget).length, this.outputs.length) * LiteGraph.NODE_SLOT_HEIGHT + 8;
    const first = this.widgets?.[0];
    if (!first) return slotsBottom;
    // Text boxes shrink to their minimum once outputs show (maybe not laid out so yet).
    let bottom = first.y;
    for (const widget of this.widgets!) {
      const height = widget.computedHeight ?? LiteGraph.NODE_WIDGET_HEIGHT;
      bottom += widget instanceof MultilineWidget && this.showsOutputs ? Math.min(height, TEXTAREA_MIN_HEIGHT) : height;
    }
    return Math.max(slotsBottom, bottom + 6);
  }

  private ensureRoomForOutputs(): void {
    const mediaHeight = this.livePreview || this.media.some((m) => m.kind !== 'audio') ? MEDIA_MIN_HEIGHT : this.media.length > 0 ? AUDIO_BAR_HEIGHT + 8 : 0;
    const wanted = this.contentTop() + mediaHeight + this.texts.length * TEXT_LINE_HEIGHT * 2;
    const before = this.size[1];
    if (this.size[1] < wanted || this.size[0] < 220) this.setSize([Math.max(this.size[0], 220), Math.max(this.size[1], wanted)]);
    if (this.size[1] > before) this.services.grew?.(this, before);
    this.setDirtyCanvas(true, false);
  }

  override onDrawForeground(ctx: CanvasRenderingContext2D): void {
    if (this.flags.collapsed) return;
    // Litegraph lays widgets out after this call: a node drawn for the first time (one inside a
    // subgraph that was just opened, its outputs set while it was not shown) is laid out here
    // first, so its outputs go below its widgets, with room made for them.
    if (!this.laidOut) {
      this.laidOut = true;
      this._setConcreteSlots();
      this.arrange();
      if (this.showsOutputs) this.ensureRoomForOutputs();
    }
    let top = this.contentTop();
    const width = this.size[0];
    if (this.texts.length > 0) {
      ctx.save();
      ctx.fillStyle = '#d8d8d8';
      ctx.font = '12px monospace';
      for (const text of this.texts) {
        for (const line of wrap(ctx, text, width - 16).slice(0, 6)) {
          ctx.fillText(line, 8, top + 11);
          top += TEXT_LINE_HEIGHT;
        }
      }
      ctx.restore();
      top += 4;
    }
    this.mediaTop = top;
    const first = this.media[0];
    if (!this.livePreview && first?.kind === 'audio') drawAudioBar(ctx, first.element, first.name, 4, top, width - 8);
    else {
      const shown: CanvasImageSource | undefined = this.livePreview ?? (first?.kind === 'audio' ? undefined : first?.element);
      if (shown) drawFitted(ctx, shown, 4, top, width - 8, this.size[1] - top - 4);
    }
    if (this.media.length > 1) {
      ctx.save();
      ctx.fillStyle = '#ccc';
      ctx.font = '11px sans-serif';
      ctx.fillText(`${this.media.length} files`, 8, this.size[1] - 8);
      ctx.restore();
    }
    this.drawErrors(ctx);
  }

  /** A click on the media area plays or pauses an audio output, and unmutes or mutes a video. */
  private clickMedia(pos: ArrayLike<number>): boolean {
    const first = this.media[0];
    if (!first || this.livePreview || pos[1]! < this.mediaTop || first.kind === 'image') return false;
    if (first.kind === 'audio') {
      if (first.element.paused) void first.element.play().catch(() => undefined);
      else first.element.pause();
    } else first.element.muted = !first.element.muted;
    this.setDirtyCanvas(true, false);
    return true;
  }

  private drawErrors(ctx: CanvasRenderingContext2D): void {
    if (this.inputErrors.size === 0 && !this.errorMessage) return;
    ctx.save();
    ctx.font = '12px sans-serif';
    for (const [name, message] of this.inputErrors) {
      const index = this.inputs.findIndex((input) => input.name === name);
      const widget = this.widget(name);
      ctx.strokeStyle = '#ff4040';
      ctx.lineWidth = 2;
      if (widget && (index < 0 || this.inputs[index]?.link == null)) {
        ctx.strokeRect(12, widget.y - 1, this.size[0] - 24, (widget.computedHeight ?? LiteGraph.NODE_WIDGET_HEIGHT) + 2);
      }
      if (index >= 0) {
        const at = this.getConnectionPos(true, index);
        ctx.beginPath();
        ctx.arc(at[0]! - this.pos[0], at[1]! - this.pos[1], 7, 0, Math.PI * 2);
        ctx.stroke();
      }
      void message;
    }
    const lines = [...(this.errorMessage ? [this.errorMessage] : []), ...[...this.inputErrors].map(([name, message]) => `${name}: ${message}`)];
    const wrapped = lines.flatMap((line) => wrap(ctx, line, Math.max(this.size[0], 260) - 12)).slice(0, 8);
    const height = wrapped.length * 15 + 8;
    // Below the node: above it the label would leave the screen for nodes at the top of the view.
    const y = this.size[1] + 6;
    ctx.fillStyle = 'rgba(150, 20, 20, 0.92)';
    ctx.beginPath();
    ctx.roundRect(0, y, Math.max(this.size[0], 260), height, 5);
    ctx.fill();
    ctx.fillStyle = '#fff';
    for (const [i, line] of wrapped.entries()) ctx.fillText(line, 6, y + 16 + i * 15);
    ctx.restore();
  }
}

/** A value kept in the saved widget list without a place on the node. */
class HiddenValueWidget extends BaseWidget<IBaseWidget<string, 'hidden'>> {
  override computeSize(): [number, number] {
    return [0, -4];
  }

  override drawWidget(): void {}

  override onClick(): void {}
}

/**
 * A multi-line text input (prompts): the node reserves room for it, growing with the node, and
 * the editor's TextWidgets lays a real `<textarea>` over that room (ComfyUI's DOM widget). The
 * canvas draws the box under it, which is all that shows while zoomed out below litegraph's
 * low-quality threshold.
 */
export class MultilineWidget extends BaseWidget<IBaseWidget<string, 'multiline'>> {
  override computeLayoutSize(node: LGraphNode): { minHeight: number; maxHeight: number; minWidth: number; maxWidth: number } {
    // Beside outputs (text, media) the box keeps its minimum: the outputs take the rest.
    const fixed = node instanceof FlashNode && node.showsOutputs;
    return { minHeight: TEXTAREA_MIN_HEIGHT, maxHeight: fixed ? TEXTAREA_MIN_HEIGHT : 1_000_000, minWidth: 100, maxWidth: 1_000_000 };
  }

  override drawWidget(ctx: CanvasRenderingContext2D, { width }: DrawWidgetOptions): void {
    ctx.save();
    ctx.fillStyle = this.background_color;
    ctx.strokeStyle = this.outline_color;
    ctx.beginPath();
    ctx.roundRect(TEXTAREA_MARGIN, this.y, width - 2 * TEXTAREA_MARGIN, textareaHeight(this), 6);
    ctx.fill();
    ctx.stroke();
    ctx.restore();
  }

  override onClick(): void {}
}

/** The height of a multi-line box in node units (what litegraph allotted less the gap below). */
export function textareaHeight(widget: IBaseWidget): number {
  return Math.max(0, (widget.computedHeight ?? TEXTAREA_MIN_HEIGHT) - 4);
}

function isUploadCombo(slot: ValueSlot): boolean {
  return slot.type === 'COMBO' && Boolean(slot.spec.image_upload || slot.spec.video_upload || slot.spec.audio_upload || slot.spec.animated_image_upload);
}

/** The keys of an `executed` output that list files (ComfyUI's). */
export const OUTPUT_FILE_KEYS = ['images', 'video', 'gifs', 'audio'] as const;

/** A play/pause button, the file name and the playback position. */
function drawAudioBar(ctx: CanvasRenderingContext2D, audio: HTMLAudioElement, name: string, x: number, y: number, width: number): void {
  ctx.save();
  ctx.fillStyle = '#2a2a2a';
  ctx.beginPath();
  ctx.roundRect(x, y, width, AUDIO_BAR_HEIGHT, 6);
  ctx.fill();
  ctx.fillStyle = '#e0e0e0';
  const cx = x + 17;
  const cy = y + AUDIO_BAR_HEIGHT / 2;
  ctx.beginPath();
  if (audio.paused) {
    ctx.moveTo(cx - 5, cy - 7);
    ctx.lineTo(cx + 7, cy);
    ctx.lineTo(cx - 5, cy + 7);
    ctx.fill();
  } else {
    ctx.fillRect(cx - 6, cy - 7, 4, 14);
    ctx.fillRect(cx + 2, cy - 7, 4, 14);
  }
  ctx.font = '11px sans-serif';
  const time = (t: number) => (Number.isFinite(t) ? `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, '0')}` : '-:--');
  ctx.fillText(`${name}  ${time(audio.currentTime)} / ${time(audio.duration)}`, x + 34, y + 14, width - 40);
  const track = width - 42;
  ctx.fillStyle = '#555';
  ctx.fillRect(x + 34, y + 22, track, 3);
  ctx.fillStyle = '#7ab8ff';
  const fraction = audio.duration > 0 ? Math.min(1, audio.currentTime / audio.duration) : 0;
  ctx.fillRect(x + 34, y + 22, track * fraction, 3);
  ctx.restore();
}

function isFileRef(value: unknown): value is FileRef {
  return typeof value === 'object' && value !== null && typeof (value as FileRef).filename === 'string';
}

function decimals(step: number): number {
  const text = String(step);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

function wrap(ctx: CanvasRenderingContext2D, text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      const candidate = line ? `${line} ${word}` : word;
      if (line && ctx.measureText(candidate).width > width) {
        lines.push(line);
        line = word;
      } else line = candidate;
    }
    lines.push(line);
  }
  return lines;
}

function drawFitted(ctx: CanvasRenderingContext2D, source: CanvasImageSource, x: number, y: number, width: number, height: number): void {
  const natural = source instanceof HTMLVideoElement ? [source.videoWidth, source.videoHeight] : source instanceof HTMLImageElement ? [source.naturalWidth, source.naturalHeight] : [0, 0];
  const [w, h] = natural as [number, number];
  if (!w || !h || width <= 0 || height <= 0) return;
  const scale = Math.min(width / w, height / h);
  const dw = w * scale;
  const dh = h * scale;
  ctx.imageSmoothingEnabled = scale < 1;
  ctx.drawImage(source, x + (width - dw) / 2, y + (height - dh) / 2, dw, dh);
}

/** Registers one class per server node; returns the class names registered. */
export function registerNodeTypes(objectInfo: ObjectInfo, services: NodeServices): string[] {
  FlashNode.services = services;
  const types = new Set<string>();
  for (const [name, info] of Object.entries(objectInfo)) {
    const nodeClass = class extends FlashNode {
      static override nodeInfo = info;
      static override title = info.display_name || name;
    };
    LiteGraph.registerNodeType(name, nodeClass);
    // registerNodeType derives the category from the type path; ours comes from object_info.
    (nodeClass as unknown as { category: string }).category = info.category;
    for (const spec of [...Object.values(info.input.required), ...Object.values(info.input.optional ?? {})]) types.add(Array.isArray(spec[0]) ? 'COMBO' : spec[0]);
    for (const output of info.output) types.add(Array.isArray(output) ? 'COMBO' : output);
  }
  for (const type of types) LGraphCanvas.link_type_colors[type] = typeColor(type);
  return Object.keys(objectInfo);
}
