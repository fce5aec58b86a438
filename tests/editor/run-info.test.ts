// What the history panel and the compare view read from a run: start time and duration from
// history status.messages, output files, and the media a portrait animation compares, found in
// the FlashPortrait demo workflow's prompt as the editor queues it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareSources, formatDuration, loaderFile, outputFiles, runTiming } from '../../client/src/run-info.ts';
import { loadRegistry } from '../../server/host.ts';
import { folderLayout } from '../../server/storage/folders.ts';
import { uiToApi } from '../../server/workflow/to-api.ts';
import type { ApiPrompt, UiOutput } from '../../types/api.ts';
import { tempDir } from '../helpers/engine.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('run info', () => {
  it('times a run from its lifecycle messages (epoch ms, as ComfyUI stores them)', () => {
    const messages: [string, Record<string, unknown>][] = [
      ['execution_start', { prompt_id: 'p', timestamp: 1_700_000_000_000 }],
      ['execution_cached', { prompt_id: 'p', nodes: [], timestamp: 1_700_000_000_004 }],
      ['execution_success', { prompt_id: 'p', timestamp: 1_700_000_012_345 }],
    ];
    expect(runTiming({ messages })).toEqual({ start: 1_700_000_000_000, end: 1_700_000_012_345, durationMs: 12_345 });
    expect(runTiming({ messages: [messages[0]!, ['execution_error', { timestamp: 1_700_000_000_900 }]] }).durationMs).toBe(900);
    expect(runTiming({ messages: [messages[0]!] })).toEqual({ start: 1_700_000_000_000, end: undefined, durationMs: undefined });
    expect(runTiming(undefined).start).toBeUndefined();
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
  });

  it("reads loader values as /view files, ComfyUI's [type] annotation included", () => {
    expect(loaderFile('driving.mp4')).toEqual({ filename: 'driving.mp4', subfolder: '', type: 'input' });
    expect(loaderFile('clips/a b.webm [output]')).toEqual({ filename: 'a b.webm', subfolder: 'clips', type: 'output' });
    expect(loaderFile('/abs/path.mp4')).toBeUndefined();
    expect(loaderFile('../up.mp4')).toBeUndefined();
    expect(loaderFile('C:\\x\\y.png')).toBeUndefined();
  });

  it('finds the driving video, reference image and output video of the FlashPortrait demo run', async () => {
    const { registry } = await loadRegistry(folderLayout({ base: tempDir('flashgraph-runinfo-') }));
    const workflow = JSON.parse(readFileSync(join(ROOT, 'workflows', 'flashportrait-demo.json'), 'utf8'));
    const { prompt } = uiToApi(workflow, registry.objectInfo());
    // SaveVideo's ui output as the demo run records it in history.
    const outputs: Record<string, UiOutput> = { '8': { images: [{ filename: 'demo_00001_.mp4', subfolder: 'flashportrait', type: 'output' }], animated: [true] } as UiOutput };
    expect(compareSources(prompt, outputs)).toEqual({
      driving: { filename: 'driving.mp4', subfolder: '', type: 'input', nodeId: '1' },
      reference: { filename: 'reference.png', subfolder: '', type: 'input', nodeId: '5' },
      output: { filename: 'demo_00001_.mp4', subfolder: 'flashportrait', type: 'output', nodeId: '8', kind: 'video' },
    });
    // Its API-format twin gives the same.
    const api = JSON.parse(readFileSync(join(ROOT, 'workflows', 'flashportrait-demo.api.json'), 'utf8')) as ApiPrompt;
    expect(compareSources(api, outputs)?.driving.filename).toBe('driving.mp4');
    // No output video yet (a failed run): nothing to compare.
    expect(compareSources(prompt, {})).toBeUndefined();
  });

  it("prefers a saved video over a temp preview, and lists every output key's files", () => {
    const prompt: ApiPrompt = {
      '3': { class_type: 'VHS_LoadVideo', inputs: { video: 'in.webm', force_rate: 0 } },
      '4': { class_type: 'LoadImage', inputs: { image: 'face.jpg', upload: 'image' } },
    };
    const outputs = {
      '9': { gifs: [{ filename: 'p.mp4', subfolder: '', type: 'temp', format: 'video/h264-mp4' }] },
      '10': { gifs: [{ filename: 'r.webm', subfolder: 'x', type: 'output' }], images: [{ filename: 'f.png', subfolder: '', type: 'output' }], text: ['hi'] },
    } as unknown as Record<string, UiOutput>;
    expect(outputFiles(outputs).map((f) => `${f.nodeId}:${f.filename}:${f.kind}`)).toEqual(['9:p.mp4:video', '10:r.webm:video', '10:f.png:image']);
    const sources = compareSources(prompt, outputs)!;
    expect(sources.driving.filename).toBe('in.webm');
    expect(sources.reference.filename).toBe('face.jpg');
    expect(sources.output.filename).toBe('r.webm');
  });
});
