// A UI-format workflow as VideoHelperSuite's editor saves it (object-form widgets_values with the
// format's own widgets, preview state and upload-button keys): converted to a prompt, and run
// end to end by `graph run`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodes as vhsNodes } from '../../nodes/vhs/index.ts';
import { createRegistry } from '../../server/host.ts';
import { uiToApi } from '../../server/workflow/index.ts';
import { REPO_ROOT } from '../helpers/golden.ts';
import { tempDir } from '../helpers/engine.ts';
import { makeClip, probe } from '../media/helpers.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'load-combine.ui.json');
const BIN = join(REPO_ROOT, 'bin', 'graph.js');

describe('a VHS workflow in UI format', () => {
  it('converts object-form widgets_values by name, format widgets included', () => {
    const registry = createRegistry();
    for (const def of vhsNodes) registry.register(def, { name: 'vhs', module: 'custom_nodes.vhs', builtin: true });
    const { prompt } = uiToApi(JSON.parse(readFileSync(FIXTURE, 'utf8')), registry.objectInfo());
    expect(prompt['1']!.inputs).toEqual({
      video: 'clip.mp4',
      force_rate: 0,
      custom_width: 0,
      custom_height: 0,
      frame_load_cap: 12,
      skip_first_frames: 4,
      select_every_nth: 2,
      format: 'None',
    });
    expect(prompt['2']!.inputs).toEqual({
      images: ['1', 0],
      audio: ['1', 2],
      frame_rate: 12.5,
      loop_count: 0,
      filename_prefix: 'vhs/portrait',
      format: 'video/h264-mp4',
      pingpong: false,
      save_output: true,
      pix_fmt: 'yuv420p10le',
      crf: 24,
      save_metadata: true,
      trim_to_audio: false,
    });
  });

  it('reads the old name save_image of save_output, and the format widgets\' defaults when absent', () => {
    const registry = createRegistry();
    for (const def of vhsNodes) registry.register(def, { name: 'vhs', module: 'custom_nodes.vhs', builtin: true });
    const workflow = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    const combine = workflow.nodes[1];
    combine.widgets_values = { frame_rate: 8, loop_count: 0, filename_prefix: 'AnimateDiff', format: 'video/webm', pingpong: false, save_image: false, crf: 20, videopreview: {} };
    const { prompt } = uiToApi(workflow, registry.objectInfo());
    expect(prompt['2']!.inputs).toMatchObject({ save_output: false, format: 'video/webm', pix_fmt: 'yuv420p', crf: 20, save_metadata: true, trim_to_audio: false });
  });

  it('migrates the old list form of VHS_LoadVideo (force_size) and VHS_VideoCombine', () => {
    const registry = createRegistry();
    for (const def of vhsNodes) registry.register(def, { name: 'vhs', module: 'custom_nodes.vhs', builtin: true });
    const workflow = JSON.parse(readFileSync(FIXTURE, 'utf8'));
    workflow.nodes[0].widgets_values = ['clip.mp4', 8, '256x?', 16, 1, 2, 'image', { hidden: false, paused: false }];
    workflow.nodes[1].widgets_values = [8, 0, 'AnimateDiff', 'image/gif', true, false];
    const { prompt } = uiToApi(workflow, registry.objectInfo());
    expect(prompt['1']!.inputs).toMatchObject({ video: 'clip.mp4', force_rate: 8, custom_width: 256, custom_height: 0, frame_load_cap: 16, skip_first_frames: 1, select_every_nth: 2 });
    expect(prompt['2']!.inputs).toMatchObject({ frame_rate: 8, loop_count: 0, filename_prefix: 'AnimateDiff', format: 'image/gif', pingpong: true, save_output: false });
    workflow.nodes[0].widgets_values = { video: 'clip.mp4', force_rate: 0, force_size: 'Disabled', frame_load_cap: 0, skip_first_frames: 0, select_every_nth: 1 };
    expect(uiToApi(workflow, registry.objectInfo()).prompt['1']!.inputs).toMatchObject({ custom_width: 0, custom_height: 0 });
  });

  it('graph run loads the video, selects frames and writes the mp4 with audio', () => {
    const base = tempDir('flashgraph-vhs-cli-');
    mkdirSync(join(base, 'input'));
    makeClip(join(base, 'input'), 'clip.mp4', { width: 160, height: 120, fps: '25', seconds: 2, tone: 440 });
    const result = spawnSync(process.execPath, [BIN, 'run', FIXTURE, '--base-directory', base], { cwd: base, encoding: 'utf8', timeout: 120_000 });
    expect(result.stderr).toContain('Video Combine');
    expect(result.status, result.stderr).toBe(0);
    const files = readdirSync(join(base, 'output', 'vhs')).sort();
    expect(files).toEqual(['portrait_00001-audio.mp4', 'portrait_00001.mp4', 'portrait_00001.png']);
    expect(result.stdout).toContain('portrait_00001-audio.mp4');
    const streams = probe(join(base, 'output', 'vhs', 'portrait_00001-audio.mp4')).streams;
    const video = streams.find((s) => s.codec_type === 'video') as { nb_read_frames?: string; avg_frame_rate?: string; pix_fmt?: string };
    // skip 4, every 2nd, cap 12: 12 frames, played at 12.5 fps in 10-bit as the widgets say.
    expect(Number(video.nb_read_frames)).toBe(12);
    expect(video.avg_frame_rate).toBe('25/2');
    expect(video.pix_fmt).toBe('yuv420p10le');
    expect(streams.some((s) => s.codec_type === 'audio')).toBe(true);
  }, 120_000);
});

describe('new VHS nodes in UI format', () => {
  it('convert: Meta Batch Manager (with VHS editor\'s extra "count" widget), folder loader, Select Latest into a Path loader', () => {
    const registry = createRegistry();
    for (const def of vhsNodes) registry.register(def, { name: 'vhs', module: 'custom_nodes.vhs', builtin: true });
    const workflow = {
      last_node_id: 4,
      last_link_id: 2,
      nodes: [
        { id: 1, type: 'VHS_BatchManager', mode: 0, inputs: [], outputs: [{ name: 'meta_batch', type: 'VHS_BatchManager', links: [1] }], properties: {}, widgets_values: [8, 3] },
        {
          id: 2,
          type: 'VHS_LoadImagesPath',
          mode: 0,
          inputs: [{ name: 'meta_batch', type: 'VHS_BatchManager', link: 1 }],
          outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [] }],
          properties: {},
          widgets_values: { directory: 'frames', image_load_cap: 5, skip_first_images: 1, select_every_nth: 2, 'choose folder to upload': 'image', videopreview: { hidden: false } },
        },
        { id: 3, type: 'VHS_SelectLatest', mode: 0, inputs: [], outputs: [{ name: 'Filename', type: 'STRING', links: [2] }], properties: {}, widgets_values: ['output/AnimateDiff', '.mp4'] },
        {
          id: 4,
          type: 'VHS_LoadVideoPath',
          mode: 0,
          inputs: [{ name: 'video', type: 'STRING', widget: { name: 'video' }, link: 2 }],
          outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [] }],
          properties: {},
          widgets_values: { video: '', force_rate: 0, custom_width: 0, custom_height: 0, frame_load_cap: 0, skip_first_frames: 0, select_every_nth: 1, format: 'None' },
        },
      ],
      links: [
        [1, 1, 0, 2, 0, 'VHS_BatchManager'],
        [2, 3, 0, 4, 0, 'STRING'],
      ],
      version: 0.4,
    };
    const { prompt } = uiToApi(workflow, registry.objectInfo());
    expect(prompt['1']!.inputs).toEqual({ frames_per_batch: 8 });
    expect(prompt['2']!.inputs).toEqual({ meta_batch: ['1', 0], directory: 'frames', image_load_cap: 5, skip_first_images: 1, select_every_nth: 2 });
    expect(prompt['3']!.inputs).toEqual({ filename_prefix: 'output/AnimateDiff', filename_postfix: '.mp4' });
    expect(prompt['4']!.inputs.video).toEqual(['3', 0]);
  });
});
