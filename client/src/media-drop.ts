// Files coming into the editor: Open… / Ctrl+O and drops on the page. A workflow file (UI or API
// JSON) or a media file carrying a workflow (PNG, WebP, MP4, WebM, FLAC: embedded.ts) opens its
// workflow; an image, video or audio file dropped on a loader node is uploaded into it, and one
// dropped elsewhere on the canvas without a workflow gets a new loader (LoadImage, LoadVideo,
// LoadAudio), as ComfyUI's frontend does (src/scripts/app.ts #addDropHandler and handleFile,
// src/composables/usePaste.ts, v1.27.10). Anything else gets a notice saying what the file lacks.
import { LiteGraph, type LGraphNode } from '@comfyorg/litegraph';
import { embeddedWorkflow, type EmbeddingFormat } from '../../server/workflow/embedded.ts';
import { widgetSlots } from '../../server/workflow/widgets.ts';
import type { Editor } from './editor.ts';
import { FlashNode } from './node-types.ts';

export type MediaKind = 'image' | 'video' | 'audio';

/** The loader a media file gets when dropped on the empty canvas. */
const LOADERS: Record<MediaKind, string> = { image: 'LoadImage', video: 'LoadVideo', audio: 'LoadAudio' };
/** The upload flags of a combo that takes files of each kind. */
const UPLOAD_FLAGS: Record<MediaKind, string[]> = { image: ['image_upload', 'animated_image_upload'], video: ['video_upload'], audio: ['audio_upload'] };
const EXTENSIONS: Record<MediaKind, RegExp> = {
  image: /\.(png|jpe?g|webp|gif|bmp|avif|tiff?)$/i,
  video: /\.(mp4|webm|mov|m4v|mkv|avi)$/i,
  audio: /\.(flac|wav|mp3|ogg|opus|m4a|aac)$/i,
};
/** Where each format keeps a workflow, for the notice when it holds none. */
const PLACES: Record<EmbeddingFormat, string> = {
  png: 'PNG text chunks',
  webp: 'WebP EXIF data',
  mp4: 'MP4 metadata',
  webm: 'WebM tags',
  flac: 'FLAC comments',
};

/** What the Open… file input accepts. */
export const OPEN_ACCEPT = '.json,application/json,.png,.webp,.mp4,.mov,.m4v,.webm,.mkv,.flac';

export function mediaKindOfFile(file: File): MediaKind | undefined {
  for (const kind of ['image', 'video', 'audio'] as const) if (file.type.startsWith(`${kind}/`) || EXTENSIONS[kind].test(file.name)) return kind;
  return undefined;
}

/** The combo of a node that files of `kind` upload into (LoadImage's `image`, LoadVideo's `file`...). */
export function uploadComboOf(node: LGraphNode, kind: MediaKind): string | undefined {
  if (!(node instanceof FlashNode)) return undefined;
  const slot = widgetSlots(node.info).find((s) => s.kind === 'value' && s.type === 'COMBO' && UPLOAD_FLAGS[kind].some((flag) => s.spec[flag]));
  return slot?.name;
}

type Reading = { data: unknown } | { problem: string };

/** The workflow a file holds: JSON as it is, media by its embedded entries. */
export async function readWorkflowFile(file: File): Promise<Reading> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const embedded = embeddedWorkflow(bytes);
  if (embedded) {
    if (embedded.data !== undefined) return { data: embedded.data };
    return { problem: embedded.problem ?? `it holds no workflow: its ${PLACES[embedded.format]} have no workflow or prompt entry` };
  }
  const text = new TextDecoder().decode(bytes);
  if (!/\.json$/i.test(file.name) && !/^\s*[[{]/.test(text)) {
    return { problem: 'it is neither a workflow file (.json) nor a PNG, WebP, MP4, WebM or FLAC file with a workflow in it' };
  }
  try {
    return { data: JSON.parse(text) as unknown };
  } catch (error) {
    return { problem: `it is not valid JSON (${(error as Error).message})` };
  }
}

export class FileIntake {
  constructor(private readonly editor: Editor) {}

  /** Open… and Ctrl+O: the file's workflow replaces the graph, or a notice says why not. */
  async open(file: File): Promise<boolean> {
    const reading = await readWorkflowFile(file);
    const name = file.name.replace(/\.[^.]+$/, '');
    if ('problem' in reading) {
      this.editor.notify({ kind: 'error', title: `${file.name} was not opened`, lines: [reading.problem] });
      return false;
    }
    try {
      this.editor.loadWorkflowData(reading.data, name);
      return true;
    } catch (error) {
      this.editor.notify({ kind: 'error', title: `Could not open ${file.name}`, lines: [(error as Error).message] });
      return false;
    }
  }

  /**
   * A file dropped at a point of the canvas (client coordinates): into the loader under it, else
   * its workflow, else (media without one) into a new loader there.
   */
  async drop(file: File, clientX: number, clientY: number): Promise<void> {
    const { canvas } = this.editor;
    const rect = canvas.canvas.getBoundingClientRect();
    const [x, y] = canvas.ds.convertCanvasToOffset([clientX - rect.left, clientY - rect.top]) as [number, number];
    const kind = mediaKindOfFile(file);
    const target = kind && this.editor.shownGraph.getNodeOnPos(x, y);
    const combo = target && uploadComboOf(target, kind);
    if (target instanceof FlashNode && combo) {
      await this.upload(target, combo, file);
      return;
    }
    const reading = await readWorkflowFile(file);
    if ('data' in reading || !kind) {
      await this.open(file);
      return;
    }
    const type = LOADERS[kind];
    const loader = LiteGraph.createNode(type);
    if (!(loader instanceof FlashNode)) {
      this.editor.notify({ kind: 'error', title: `${file.name} was not opened`, lines: [reading.problem, `and this server has no ${type} node to load it with`] });
      return;
    }
    loader.pos = [x, y];
    this.editor.shownGraph.add(loader);
    await this.upload(loader, uploadComboOf(loader, kind)!, file);
  }

  private async upload(node: FlashNode, combo: string, file: File): Promise<void> {
    try {
      await node.uploadInto(combo, file);
    } catch (error) {
      this.editor.notify({ kind: 'error', title: `Could not upload ${file.name}`, lines: [(error as Error).message] });
    }
  }

  /** Drops anywhere on the page: files only (litegraph keeps its own drags). */
  install(): void {
    window.addEventListener('dragover', (event) => {
      if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
    });
    window.addEventListener(
      'drop',
      (event) => {
        const file = event.dataTransfer?.files[0];
        if (!file) return;
        event.preventDefault();
        event.stopPropagation();
        void this.drop(file, event.clientX, event.clientY);
      },
      true,
    );
  }
}
