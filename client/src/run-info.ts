// What the history panel and the compare view read from a finished run: its start time and
// duration (history `status.messages`), its output files, and the media a portrait animation
// compares (the input video and image its loaders read, the video it saved). DOM-free.
import type { ApiPrompt, FileRef, HistoryEntry, UiOutput } from '../../types/api.ts';

const VIDEO_FILE = /\.(mp4|webm|mov|mkv|m4v|avi)$/i;
const IMAGE_FILE = /\.(png|jpe?g|webp|bmp|tiff?)$/i;

export interface RunTiming {
  /** When the run started (ms since the epoch), from its execution_start message. */
  start?: number;
  /** When it ended: execution_success, execution_error or execution_interrupted. */
  end?: number;
  durationMs?: number;
}

/**
 * ComfyUI adds a `timestamp` (epoch milliseconds) to its five lifecycle messages and stores them
 * in history `status.messages` (execution.py; /work/shared/specs/comfyui-compat.md, "timestamp").
 */
export function runTiming(status: Pick<HistoryEntry['status'], 'messages'> | undefined): RunTiming {
  const stamp = (type: string): number | undefined => {
    const value = status?.messages.find(([name]) => name === type)?.[1].timestamp;
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  };
  const start = stamp('execution_start');
  const end = stamp('execution_success') ?? stamp('execution_error') ?? stamp('execution_interrupted');
  return { start, end, durationMs: start !== undefined && end !== undefined ? Math.max(0, end - start) : undefined };
}

/** "850 ms", "12.4 s", "3 min 05 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

export interface OutputFile extends FileRef {
  nodeId: string;
  kind: 'image' | 'video' | 'other';
}

function isFileRef(value: unknown): value is FileRef {
  return typeof value === 'object' && value !== null && typeof (value as FileRef).filename === 'string';
}

const byNodeId = ([a]: [string, unknown], [b]: [string, unknown]) => a.localeCompare(b, undefined, { numeric: true });

/** Every file a run's outputs name (any output key: images, gifs, video, audio...), in node order. */
export function outputFiles(outputs: Record<string, UiOutput>): OutputFile[] {
  const files: OutputFile[] = [];
  for (const [nodeId, ui] of Object.entries(outputs).sort(byNodeId)) {
    for (const list of Object.values(ui as Record<string, unknown>)) {
      if (!Array.isArray(list)) continue;
      for (const file of list) {
        if (!isFileRef(file)) continue;
        const kind = VIDEO_FILE.test(file.filename) ? 'video' : IMAGE_FILE.test(file.filename) ? 'image' : 'other';
        files.push({ filename: file.filename, subfolder: file.subfolder ?? '', type: file.type ?? 'output', nodeId, kind });
      }
    }
  }
  return files;
}

/**
 * A loader's file value as a /view reference: "name.png", "sub/name.png", or with ComfyUI's
 * annotation "name.png [output]". Absolute paths and paths going up are not /view files.
 */
export function loaderFile(value: string): FileRef | undefined {
  let name = value;
  let type: FileRef['type'] = 'input';
  const annotated = /^(.*) \[(input|output|temp)\]$/.exec(value);
  if (annotated) {
    name = annotated[1]!;
    type = annotated[2] as FileRef['type'];
  }
  name = name.replaceAll('\\', '/');
  if (name.startsWith('/') || /^[a-z]:/i.test(name) || name.split('/').includes('..')) return undefined;
  const slash = name.lastIndexOf('/');
  return { filename: name.slice(slash + 1), subfolder: slash < 0 ? '' : name.slice(0, slash), type };
}

export interface CompareSources {
  /** The driving video: the first video file a loader node of the prompt reads. */
  driving: FileRef & { nodeId: string };
  /** The reference image: the first image file a loader node reads. */
  reference: FileRef & { nodeId: string };
  /** The result: the first video the run's outputs name (saved output before temp previews). */
  output: OutputFile;
}

/**
 * The media of a run with one input video, an input image and an output video, as the FlashPortrait
 * workflow has (LoadVideo `file`, LoadImage `image`, SaveVideo's file); undefined otherwise.
 */
export function compareSources(prompt: ApiPrompt, outputs: Record<string, UiOutput>): CompareSources | undefined {
  let driving: CompareSources['driving'] | undefined;
  let reference: CompareSources['reference'] | undefined;
  for (const [nodeId, node] of Object.entries(prompt).sort(byNodeId)) {
    if (!/load/i.test(node.class_type)) continue;
    for (const value of Object.values(node.inputs)) {
      if (typeof value !== 'string') continue;
      const file = loaderFile(value);
      if (!file) continue;
      if (!driving && VIDEO_FILE.test(file.filename)) driving = { ...file, nodeId };
      else if (!reference && IMAGE_FILE.test(file.filename)) reference = { ...file, nodeId };
    }
  }
  const videos = outputFiles(outputs).filter((file) => file.kind === 'video');
  const output = videos.find((file) => file.type === 'output') ?? videos[0];
  return driving && reference && output ? { driving, reference, output } : undefined;
}
