// LoadVideo and SaveVideo have ComfyUI's schemas; the options FlashGraph's versions carried live on
// FlashGraph_LoadVideo and FlashGraph_SaveVideo. Files saved with those options still load, with a
// warning: moved onto FlashGraph's class when an option changes something, else dropped.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiPrompt, HistoryEntry, ObjectInfo } from '../../types/api.ts';
import { apiToUi, migrateFormerCore, toApiPrompt, uiToApi } from '../../server/workflow/index.ts';
import { startTestServer, WsClient, type TestServer } from '../api/helpers.ts';
import { makeClip, probe } from '../media/helpers.ts';
import { fixture } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const withoutMeta = (prompt: ApiPrompt) => Object.fromEntries(Object.entries(prompt).map(([id, node]) => [id, { class_type: node.class_type, inputs: node.inputs }]));

let server: TestServer;
let info: ObjectInfo;

beforeAll(async () => {
  server = await startTestServer();
  mkdirSync(join(server.base, 'input'), { recursive: true });
  makeClip(join(server.base, 'input'), 'clip.mp4', { width: 64, height: 48, fps: '10', seconds: 1 });
  info = (await (await server.get('/object_info')).json()) as ObjectInfo;
}, 60_000);
afterAll(() => server?.close());

describe('the FlashPortrait demo', () => {
  const api = JSON.parse(readFileSync(join(ROOT, 'workflows', 'flashportrait-demo.api.json'), 'utf8')) as ApiPrompt;

  const demo = () => JSON.parse(readFileSync(join(ROOT, 'workflows', 'flashportrait-demo.json'), 'utf8'));

  it('ships LoadVideo and SaveVideo with ComfyUI widget values and converts without warnings', () => {
    const workflow = demo();
    const byType = (type: string) => workflow.nodes.find((n: { type: string }) => n.type === type);
    // The official frontend saves `file` then its upload button's value (ComfyUI's schema: one input).
    expect(byType('LoadVideo').widgets_values).toEqual(['driving.mp4', 'image']);
    expect(byType('SaveVideo').widgets_values).toEqual(['flashportrait/demo', 'mp4', 'h264']);
    const { prompt, warnings } = uiToApi(workflow, info);
    expect(warnings).toEqual([]);
    for (const id of ['1', '8']) expect(withoutMeta(prompt)[id]).toEqual(withoutMeta(api)[id]);
  });

  it('as FlashGraph 0.1 saved it (the former options at their neutral values) gives the same prompt, with warnings', () => {
    const { prompt, warnings } = uiToApi(fixture('flashportrait-demo-0.1.json'), info);
    expect(withoutMeta(prompt)).toEqual(withoutMeta(uiToApi(demo(), info).prompt));
    expect(warnings).toEqual([
      expect.stringMatching(/^node #1 LoadVideo: FlashGraph's former LoadVideo options \(force_rate, custom_width, custom_height, frame_load_cap, skip_first_frames, select_every_nth\) were dropped; the file had only values that change nothing \(force_rate = 0, .*select_every_nth = 1\)/),
      expect.stringMatching(/^node #8 SaveVideo: FlashGraph's former SaveVideo options \(crf, preset\) were dropped; .*\(crf = -1, preset = "medium"\)/),
    ]);
  });
});

describe('files saved with the former LoadVideo and SaveVideo options', () => {
  it('move nodes whose options change something onto FlashGraph_LoadVideo / FlashGraph_SaveVideo, in either widget order', () => {
    const { prompt, warnings } = uiToApi(fixture('former-core-video.json'), info);
    expect(withoutMeta(prompt)).toEqual({
      '1': { class_type: 'FlashGraph_LoadVideo', inputs: { file: 'clip.mp4', force_rate: 5, custom_width: 32, custom_height: 0, frame_load_cap: 6, skip_first_frames: 1, select_every_nth: 1 } },
      '2': { class_type: 'LoadVideo', inputs: { file: 'clip.mp4' } },
      '4': { class_type: 'FlashGraph_LoadVideo', inputs: { file: 'clip.mp4', force_rate: 0, custom_width: 0, custom_height: 0, frame_load_cap: 4, skip_first_frames: 0, select_every_nth: 1 } },
      '5': { class_type: 'FlashGraph_SaveVideo', inputs: { video: ['1', 0], filename_prefix: 'former/webm', format: 'webm', codec: 'vp9', crf: -1, preset: 'medium' } },
      '6': { class_type: 'SaveVideo', inputs: { video: ['2', 0], filename_prefix: 'former/mp4', format: 'mp4', codec: 'h264' } },
    });
    expect(warnings).toEqual([
      expect.stringContaining('node #1 LoadVideo: saved with the options FlashGraph\'s LoadVideo used to have (force_rate = 5, custom_width = 32, frame_load_cap = 6, skip_first_frames = 1); it is now FlashGraph_LoadVideo'),
      expect.stringContaining('node #2 LoadVideo: FlashGraph\'s former LoadVideo options'),
      expect.stringContaining('node #4 LoadVideo: saved with the options FlashGraph\'s LoadVideo used to have (frame_load_cap is linked)'),
      expect.stringContaining('node #5 SaveVideo: saved with the options FlashGraph\'s SaveVideo used to have (format = "webm", codec = "vp9"); it is now FlashGraph_SaveVideo'),
      expect.stringContaining('node #6 SaveVideo: FlashGraph\'s former SaveVideo options (crf, preset) were dropped'),
    ]);
  });

  it('rewrites the file the editor opens: classes, widget values in the official order, sockets and links', () => {
    const original = fixture('former-core-video.json');
    const snapshot = JSON.stringify(original);
    const { workflow } = migrateFormerCore(original, info) as { workflow: any };
    expect(JSON.stringify(original)).toBe(snapshot);
    const node = (id: number) => workflow.nodes.find((n: { id: number }) => n.id === id);
    expect(node(1)).toMatchObject({ type: 'FlashGraph_LoadVideo', properties: { 'Node name for S&R': 'FlashGraph_LoadVideo' }, widgets_values: ['clip.mp4', 5, 32, 0, 6, 1, 1, 'image'] });
    expect(node(2)).toMatchObject({ type: 'LoadVideo', inputs: [], widgets_values: ['clip.mp4', 'image'] });
    expect(node(5)).toMatchObject({ type: 'FlashGraph_SaveVideo', widgets_values: ['former/webm', 'webm', 'vp9', -1, 'medium'] });
    // The unlinked crf socket went; the video socket moved from slot 1 to 0 and its link with it.
    expect(node(6)).toMatchObject({ type: 'SaveVideo', inputs: [{ name: 'video', link: 2 }], widgets_values: ['former/mp4', 'mp4', 'h264'] });
    expect(workflow.links).toContainEqual([2, 2, 0, 6, 0, 'VIDEO']);
    // Opening the rewritten file again changes nothing more.
    expect(migrateFormerCore(workflow, info)).toEqual({ workflow, warnings: [] });
  });

  it('API-format files: toApiPrompt (graph run) and apiToUi (the editor) do the same', () => {
    const prompt: ApiPrompt = {
      '1': { class_type: 'LoadVideo', inputs: { file: 'clip.mp4', frame_load_cap: 3, force_rate: 0 } },
      '2': { class_type: 'LoadVideo', inputs: { file: 'clip.mp4', select_every_nth: 1 } },
      '3': { class_type: 'SaveVideo', inputs: { video: ['1', 0], filename_prefix: 'x', format: 'mp4', codec: 'h264', crf: ['9', 0] } },
      '9': { class_type: 'PrimitiveInt', inputs: { value: 20 } },
    };
    const { prompt: current, warnings } = toApiPrompt({ format: 'api', prompt }, info);
    expect(current['1']).toEqual({ class_type: 'FlashGraph_LoadVideo', inputs: { file: 'clip.mp4', frame_load_cap: 3, force_rate: 0 } });
    expect(current['2']).toEqual({ class_type: 'LoadVideo', inputs: { file: 'clip.mp4' } });
    expect(current['3']!.class_type).toBe('FlashGraph_SaveVideo');
    expect(warnings).toHaveLength(3);
    expect(warnings[2]).toContain('crf is linked');
    const ui = apiToUi(prompt, info);
    expect(ui.workflow.nodes.find((n) => n.id === 1)!.type).toBe('FlashGraph_LoadVideo');
    expect(ui.warnings.slice(0, 3)).toEqual(warnings);
  });

  it('a converted old file runs on the server with its options honoured', async () => {
    const { prompt } = uiToApi(fixture('former-core-video.json'), info);
    const ws = await WsClient.open(server.url, { path: '/ws?clientId=former' });
    const queued = await server.post('/prompt', { prompt: { '1': prompt['1'], '5': prompt['5'] }, client_id: 'former' });
    expect(queued.status).toBe(200);
    const { prompt_id } = (await queued.json()) as { prompt_id: string };
    await ws.finished(prompt_id, 60_000);
    await ws.close();
    const entry = ((await (await server.get(`/history/${prompt_id}`)).json()) as Record<string, HistoryEntry>)[prompt_id]!;
    expect(entry.status.status_str).toBe('success');
    const saved = entry.outputs['5']!.images![0] as { filename: string; subfolder: string };
    const video = probe(join(server.base, 'output', saved.subfolder, saved.filename)).streams.find((s) => s.codec_type === 'video')!;
    // 10 frames at 10 fps -> 5 fps gives 5; skip 1 leaves 4 (under the cap of 6); 32 wide keeps 4:3.
    expect([video.codec_name, Number(video.nb_read_frames), video.avg_frame_rate, video.width, video.height]).toEqual(['vp9', 4, '5/1', 32, 24]);
  }, 60_000);
});
