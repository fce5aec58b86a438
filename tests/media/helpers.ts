// Media fixtures made with ffmpeg at test time, and independent checks (ffprobe, PSNR) of results.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { findMediaTools } from '../../server/media/tools.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import type { TestEngine } from '../helpers/engine.ts';
import type { ApiPrompt, HistoryEntry } from '../../types/api.ts';

export const tools = findMediaTools();

export interface ClipOptions {
  width: number;
  height: number;
  /** Frame rate as ffmpeg accepts it ("30", "30000/1001"). */
  fps: string;
  seconds: number;
  codec?: 'libx264' | 'libvpx-vp9' | 'mpeg4' | 'png';
  /** Sine tone of this frequency in the clip (none when absent). */
  tone?: number;
  source?: string;
  extraArgs?: string[];
}

/** Writes a testsrc clip (and optional sine audio) to `dir/name`; returns its path. */
export function makeClip(dir: string, name: string, o: ClipOptions): string {
  const path = join(dir, name);
  const source = o.source ?? 'testsrc';
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `${source}${source.includes('=') ? ':' : '='}size=${o.width}x${o.height}:rate=${o.fps}`];
  if (o.tone) args.push('-f', 'lavfi', '-i', `sine=frequency=${o.tone}:sample_rate=44100`);
  args.push('-t', String(o.seconds), '-c:v', o.codec ?? 'libx264', '-pix_fmt', o.codec === 'png' ? 'rgb24' : 'yuv420p');
  if (o.codec === 'libx264' || !o.codec) args.push('-preset', 'ultrafast', '-crf', '12');
  if (o.codec === 'libvpx-vp9') args.push('-deadline', 'realtime', '-cpu-used', '8', '-crf', '20', '-b:v', '0');
  if (o.codec === 'mpeg4') args.push('-q:v', '2');
  if (o.tone) args.push('-c:a', name.endsWith('.webm') ? 'libopus' : 'aac');
  args.push(...(o.extraArgs ?? []), path);
  execFileSync(tools.ffmpeg, args);
  return path;
}

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  nb_read_frames?: string;
  duration?: string;
  sample_rate?: string;
}

/** ffprobe's view of a file, with decoded frame counts. */
export function probe(path: string): { streams: ProbedStream[]; format: { duration: string; tags?: Record<string, string> } } {
  const out = execFileSync(tools.ffprobe, ['-v', 'error', '-count_frames', '-show_streams', '-show_format', '-of', 'json', path], { encoding: 'utf8' });
  return JSON.parse(out);
}

/** Frame `index` of a video as RGB bytes, decoded by ffmpeg itself. */
export function frameRgb(path: string, index: number, size?: { width: number; height: number }): Buffer {
  const scale = size ? `,scale=${size.width}:${size.height}` : '';
  return execFileSync(tools.ffmpeg, ['-v', 'error', '-i', path, '-vf', `select=eq(n\\,${index})${scale}`, '-vsync', 'passthrough', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    maxBuffer: 1 << 28,
  });
}

export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length || a.length === 0) throw new Error(`cannot compare ${a.length} and ${b.length} bytes`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  const mse = sum / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** Submits a prompt to the engine's PromptRunner and waits for its history entry. */
export async function runPrompt(engine: TestEngine, prompt: ApiPrompt, extraData?: Record<string, unknown>): Promise<HistoryEntry> {
  const submitted = await engine.runner.submit({ prompt, extraData });
  if (!submitted.ok) throw new Error(`prompt rejected: ${JSON.stringify(submitted.nodeErrors ?? submitted.error)}`);
  return engine.runner.waitFor(submitted.promptId);
}

export function executionError(entry: HistoryEntry): Record<string, unknown> | undefined {
  return entry.status.messages.find(([type]) => type === 'execution_error')?.[1];
}

/** An output node that keeps whatever reaches it, so a test can look at IMAGE/MASK/AUDIO values. */
export function captureNode(): { node: NodeDefinition; values: unknown[] } {
  const values: unknown[] = [];
  const node: NodeDefinition = {
    type: 'TestCapture',
    outputNode: true,
    notIdempotent: true,
    inputs: { required: { value: { type: '*' } } },
    execute: ({ value }) => {
      values.push(value);
      return { ui: { text: ['captured'] } };
    },
  };
  return { node, values };
}
