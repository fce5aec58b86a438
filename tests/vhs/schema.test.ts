// The VHS pack's /object_info against VideoHelperSuite's own node definitions (class names, display
// names, categories, inputs in order with types, defaults and options, outputs), and that the
// built-in pack loader finds it.
import { describe, expect, it } from 'vitest';
import { loadPacks } from '../../server/packs/loader.ts';
import { NodeRegistry } from '../../server/runtime/registry.ts';
import type { NodeInfo } from '../../types/api.ts';

const registry = new NodeRegistry();
const reports = await loadPacks(registry, { customNodesDirectory: undefined });
const info = registry.objectInfo({ listFiles: (_folder, accept) => ['clip.mp4', 'notes.txt', 'song.wav', 'tune.mp3'].filter((name) => accept?.(name) ?? true) });
const node = (type: string): NodeInfo => {
  expect(info[type], `${type} is registered`).toBeDefined();
  return info[type]!;
};
const VHS = 'Video Helper Suite 🎥🅥🅗🅢';
const BIGMAX = 2 ** 53 - 1;

describe('the vhs pack', () => {
  it('is loaded as a built-in pack with every node', () => {
    const vhs = reports.find((r) => r.name === 'vhs')!;
    expect(vhs.failure).toBeUndefined();
    expect(vhs.builtin).toBe(true);
    expect(vhs.conflicts).toEqual([]);
    expect(vhs.nodes).toEqual(
      expect.arrayContaining(['VHS_VideoCombine', 'VHS_LoadVideo', 'VHS_LoadVideoPath', 'VHS_LoadAudio', 'VHS_LoadAudioUpload', 'VHS_VideoInfo', 'VHS_VideoInfoSource', 'VHS_VideoInfoLoaded', 'VHS_SplitImages', 'VHS_MergeImages', 'VHS_SelectEveryNthImage']),
    );
  });
});

describe('VHS schemas', () => {
  it('VHS_LoadVideo', () => {
    const n = node('VHS_LoadVideo');
    expect(n.display_name).toBe('Load Video (Upload) 🎥🅥🅗🅢');
    expect(n.category).toBe(VHS);
    expect(n.input_order).toEqual({
      required: ['video', 'force_rate', 'custom_width', 'custom_height', 'frame_load_cap', 'skip_first_frames', 'select_every_nth'],
      optional: ['meta_batch', 'vae', 'format'],
      hidden: ['unique_id'],
    });
    expect(n.input.required.video).toEqual([['clip.mp4'], {}]);
    expect(n.input.required.force_rate).toEqual(['FLOAT', { default: 0, min: 0, max: 60, step: 1, disable: 0 }]);
    expect(n.input.required.custom_width).toEqual(['INT', { default: 0, min: 0, max: 8192, disable: 0 }]);
    expect(n.input.required.frame_load_cap).toEqual(['INT', { default: 0, min: 0, max: BIGMAX, step: 1, disable: 0 }]);
    expect(n.input.required.select_every_nth).toEqual(['INT', { default: 1, min: 1, max: BIGMAX, step: 1 }]);
    const [formats, formatOptions] = n.input.optional!.format as [string[], { default: string; formats: Record<string, unknown> }];
    expect(formats).toEqual(['None', 'AnimateDiff', 'Mochi', 'LTXV', 'Hunyuan', 'Cosmos', 'Wan']);
    expect(formatOptions.default).toBe('AnimateDiff');
    expect(formatOptions.formats.Wan).toEqual({ target_rate: 16, dim: [8, 0, 832, 480], frames: [4, 1] });
    expect(n.input.optional!.meta_batch).toEqual(['VHS_BatchManager']);
    expect(n.input.optional!.vae).toEqual(['VAE']);
    expect(n.output).toEqual(['IMAGE', 'INT', 'AUDIO', 'VHS_VIDEOINFO']);
    expect(n.output_name).toEqual(['IMAGE', 'frame_count', 'audio', 'video_info']);
  });

  it('VHS_LoadVideoPath', () => {
    const n = node('VHS_LoadVideoPath');
    expect(n.display_name).toBe('Load Video (Path) 🎥🅥🅗🅢');
    expect(n.input.required.video).toEqual(['STRING', { placeholder: 'X://insert/path/here.mp4', vhs_path_extensions: ['webm', 'mp4', 'mkv', 'gif', 'mov'] }]);
    expect(n.input_order.required).toEqual(node('VHS_LoadVideo').input_order.required);
    expect(n.output_name).toEqual(['IMAGE', 'frame_count', 'audio', 'video_info']);
  });

  it('VHS_VideoCombine', () => {
    const n = node('VHS_VideoCombine');
    expect(n.display_name).toBe('Video Combine 🎥🅥🅗🅢');
    expect(n.category).toBe(VHS);
    expect(n.output_node).toBe(true);
    expect(n.input_order).toEqual({
      required: ['images', 'frame_rate', 'loop_count', 'filename_prefix', 'format', 'pingpong', 'save_output'],
      optional: ['audio', 'meta_batch', 'vae'],
      hidden: ['prompt', 'extra_pnginfo', 'unique_id'],
    });
    expect(n.input.required.images).toEqual(['IMAGE']);
    expect(n.input.required.frame_rate).toEqual(['FLOAT', { default: 8, min: 1, step: 1 }]);
    expect(n.input.required.loop_count).toEqual(['INT', { default: 0, min: 0, max: 100, step: 1 }]);
    expect(n.input.required.filename_prefix).toEqual(['STRING', { default: 'AnimateDiff' }]);
    expect(n.input.required.pingpong).toEqual(['BOOLEAN', { default: false }]);
    expect(n.input.required.save_output).toEqual(['BOOLEAN', { default: true }]);
    const [formats, { formats: widgets }] = n.input.required.format as [string[], { formats: Record<string, unknown[]> }];
    expect(formats.slice(0, 2)).toEqual(['image/gif', 'image/webp']);
    expect(formats).toEqual(expect.arrayContaining(['video/h264-mp4', 'video/h265-mp4', 'video/webm', 'video/ProRes', 'video/ffmpeg-gif', 'video/av1-webm']));
    expect(widgets['image/webp']).toEqual([['lossless', 'BOOLEAN', { default: true }]]);
    expect(widgets['video/h264-mp4']).toEqual([
      ['pix_fmt', ['yuv420p', 'yuv420p10le']],
      ['crf', 'INT', { default: 19, min: 0, max: 100, step: 1 }],
      ['save_metadata', 'BOOLEAN', { default: true }],
      ['trim_to_audio', 'BOOLEAN', { default: false }],
    ]);
    expect(widgets['video/h265-mp4']).toEqual([
      ['pix_fmt', ['yuv420p10le', 'yuv420p']],
      ['crf', 'INT', { default: 22, min: 0, max: 100, step: 1 }],
      ['save_metadata', 'BOOLEAN', { default: true }],
    ]);
    expect(widgets['video/webm']).toEqual([
      ['pix_fmt', ['yuv420p', 'yuva420p']],
      ['crf', 'INT', { default: 20, min: 0, max: 100, step: 1 }],
      ['save_metadata', 'BOOLEAN', { default: true }],
      ['trim_to_audio', 'BOOLEAN', { default: false }],
    ]);
    expect(widgets['video/ProRes']).toEqual([['profile', ['lt', 'standard', 'hq', '4444', '4444xq'], { default: 'hq' }]]);
    expect(widgets['video/ffmpeg-gif']).toEqual([['dither', ['bayer', 'heckbert', 'floyd_steinberg', 'sierra2', 'sierra2_4a', 'sierra3', 'burkes', 'atkinson', 'none'], { default: 'sierra2_4a' }]]);
    expect(widgets['image/gif']).toBeUndefined();
    expect(n.output).toEqual(['VHS_FILENAMES']);
    expect(n.output_name).toEqual(['Filenames']);
  });

  it('VHS_LoadAudio and VHS_LoadAudioUpload', () => {
    const path = node('VHS_LoadAudio');
    expect(path.display_name).toBe('Load Audio (Path)🎥🅥🅗🅢');
    expect(path.category).toBe(`${VHS}/audio`);
    expect(path.input.required.audio_file).toEqual(['STRING', { default: 'input/', vhs_path_extensions: ['wav', 'mp3', 'ogg', 'm4a', 'flac'] }]);
    expect(path.input_order.optional).toEqual(['seek_seconds', 'duration']);
    expect(path.input.optional!.duration).toEqual(['FLOAT', { default: 0, min: 0, max: 10000000, step: 0.01, widgetType: 'VHSTIMESTAMP' }]);
    const upload = node('VHS_LoadAudioUpload');
    expect(upload.display_name).toBe('Load Audio (Upload)🎥🅥🅗🅢');
    // Only VHS's upload extensions (mp3, mp4, wav, ogg) are listed.
    expect(upload.input.required.audio).toEqual([['clip.mp4', 'song.wav', 'tune.mp3'], {}]);
    expect(upload.input_order.optional).toEqual(['start_time', 'duration']);
    for (const n of [path, upload]) {
      expect(n.output).toEqual(['AUDIO', 'FLOAT']);
      expect(n.output_name).toEqual(['audio', 'duration']);
    }
  });

  it('the Video Info nodes', () => {
    const keys = ['fps', 'frame_count', 'duration', 'width', 'height'];
    const types = ['FLOAT', 'INT', 'FLOAT', 'INT', 'INT'];
    expect(node('VHS_VideoInfo').output_name).toEqual([...keys.map((k) => `source_${k}🟨`), ...keys.map((k) => `loaded_${k}🟦`)]);
    expect(node('VHS_VideoInfo').output).toEqual([...types, ...types]);
    expect(node('VHS_VideoInfoSource').output_name).toEqual(keys.map((k) => `${k}🟨`));
    expect(node('VHS_VideoInfoLoaded').output_name).toEqual(keys.map((k) => `${k}🟦`));
    expect(node('VHS_VideoInfoLoaded').display_name).toBe('Video Info (Loaded) 🎥🅥🅗🅢');
    expect(node('VHS_VideoInfo').input.required.video_info).toEqual(['VHS_VIDEOINFO']);
  });

  it.each([
    ['VHS_SplitImages', 'Split Images', 'image', ['images', 'split_index'], ['IMAGE_A', 'A_count', 'IMAGE_B', 'B_count']],
    ['VHS_SplitMasks', 'Split Masks', 'mask', ['mask', 'split_index'], ['MASK_A', 'A_count', 'MASK_B', 'B_count']],
    ['VHS_MergeImages', 'Merge Images', 'image', ['images_A', 'images_B', 'merge_strategy', 'scale_method', 'crop'], ['IMAGE', 'count']],
    ['VHS_MergeMasks', 'Merge Masks', 'mask', ['mask_A', 'mask_B', 'merge_strategy', 'scale_method', 'crop'], ['MASK', 'count']],
    ['VHS_SelectEveryNthImage', 'Select Every Nth Image', 'image', ['images', 'select_every_nth', 'skip_first_images'], ['IMAGE', 'count']],
    ['VHS_SelectEveryNthMask', 'Select Every Nth Mask', 'mask', ['mask', 'select_every_nth', 'skip_first_masks'], ['MASK', 'count']],
    ['VHS_GetImageCount', 'Get Image Count', 'image', ['images'], ['count']],
    ['VHS_GetMaskCount', 'Get Mask Count', 'mask', ['mask'], ['count']],
    ['VHS_DuplicateImages', 'Repeat Images', 'image', ['images', 'multiply_by'], ['IMAGE', 'count']],
    ['VHS_DuplicateMasks', 'Repeat Masks', 'mask', ['mask', 'multiply_by'], ['MASK', 'count']],
    ['VHS_SelectImages', 'Select Images', 'image', ['image', 'indexes', 'err_if_missing', 'err_if_empty'], ['IMAGE']],
    ['VHS_SelectMasks', 'Select Masks', 'mask', ['mask', 'indexes', 'err_if_missing', 'err_if_empty'], ['MASK']],
  ])('%s', (type, display, sub, inputs, outputs) => {
    const n = node(type);
    expect(n.display_name).toBe(`${display} 🎥🅥🅗🅢`);
    expect(n.category).toBe(`${VHS}/${sub}`);
    expect(n.input_order.required).toEqual(inputs);
    expect(n.output_name).toEqual(outputs);
  });

  it('batch node options', () => {
    expect(node('VHS_SplitImages').input.required.split_index).toEqual(['INT', { default: 0, step: 1, min: -BIGMAX, max: BIGMAX }]);
    expect(node('VHS_MergeImages').input.required.merge_strategy).toEqual([['match A', 'match B', 'match smaller', 'match larger'], {}]);
    expect(node('VHS_MergeImages').input.required.scale_method).toEqual([['nearest-exact', 'bilinear', 'area', 'bicubic', 'bislerp'], {}]);
    expect(node('VHS_MergeImages').input.required.crop).toEqual([['disabled', 'center'], {}]);
    expect(node('VHS_SelectImages').input.required.indexes).toEqual(['STRING', { default: '0' }]);
    expect(node('VHS_SelectFilename').input.required.index).toEqual(['INT', { default: -1, step: 1, min: -1 }]);
    expect(node('VHS_SelectFilename').output_name).toEqual(['Filename']);
  });
});

describe('VHS folder loaders and utility schemas', () => {
  const withFolders = registry.objectInfo({ listFiles: (_folder, accept) => ['clip.mp4', 'shots/b.png', 'frames/a.png', 'frames/deep/c.png', 'clipspace/x.png'].filter((name) => accept?.(name) ?? true) });

  it.each([
    ['VHS_LoadImages', 'Load Images (Upload)'],
    ['VHS_LoadImagesPath', 'Load Images (Path)'],
  ])('%s', (type, display) => {
    const n = withFolders[type]!;
    expect(n.display_name).toBe(`${display} 🎥🅥🅗🅢`);
    expect(n.category).toBe(VHS);
    expect(n.input_order).toEqual({ required: ['directory'], optional: ['image_load_cap', 'skip_first_images', 'select_every_nth', 'meta_batch'], hidden: ['unique_id'] });
    expect(n.input.optional!.image_load_cap).toEqual(['INT', { default: 0, min: 0, max: BIGMAX, step: 1 }]);
    expect(n.input.optional!.skip_first_images).toEqual(['INT', { default: 0, min: 0, max: BIGMAX, step: 1 }]);
    expect(n.input.optional!.select_every_nth).toEqual(['INT', { default: 1, min: 1, max: BIGMAX, step: 1 }]);
    expect(n.input.optional!.meta_batch).toEqual(['VHS_BatchManager']);
    expect(n.output).toEqual(['IMAGE', 'MASK', 'INT']);
    expect(n.output_name).toEqual(['IMAGE', 'MASK', 'frame_count']);
  });

  it('directory inputs', () => {
    expect(withFolders.VHS_LoadImages!.input.required.directory).toEqual([['frames', 'shots'], {}]);
    expect(withFolders.VHS_LoadImagesPath!.input.required.directory).toEqual(['STRING', { placeholder: 'X://path/to/images', vhs_path_extensions: [] }]);
  });

  it('VHS_Unbatch, VHS_PruneOutputs, VHS_SelectLatest', () => {
    const unbatch = node('VHS_Unbatch');
    expect(unbatch.display_name).toBe('Unbatch 🎥🅥🅗🅢');
    expect(unbatch.input.required.batched).toEqual(['*']);
    expect(unbatch.output).toEqual(['*']);
    expect(unbatch.output_name).toEqual(['unbatched']);
    const prune = node('VHS_PruneOutputs');
    expect(prune.display_name).toBe('Prune Outputs 🎥🅥🅗🅢');
    expect(prune.output_node).toBe(true);
    expect(prune.input.required.filenames).toEqual(['VHS_FILENAMES']);
    expect(prune.input.required.options).toEqual([['Intermediate', 'Intermediate and Utility'], {}]);
    expect(prune.output).toEqual([]);
    const latest = node('VHS_SelectLatest');
    expect(latest.display_name).toBe('Select Latest 🎥🅥🅗🅢');
    expect(latest.experimental).toBe(true);
    expect(latest.input_order.required).toEqual(['filename_prefix', 'filename_postfix']);
    expect(latest.input.required.filename_prefix).toEqual(['STRING', { default: 'output/AnimateDiff', vhs_path_extensions: [] }]);
    expect(latest.input.required.filename_postfix).toEqual(['STRING', { placeholder: '.webm' }]);
    expect(latest.output_name).toEqual(['Filename']);
    for (const type of ['VHS_Unbatch', 'VHS_PruneOutputs', 'VHS_SelectLatest']) expect(node(type).category).toBe(VHS);
  });
});

describe('VHS FFmpeg loader schemas', () => {
  it.each([
    ['VHS_LoadVideoFFmpeg', 'Load Video FFmpeg (Upload)'],
    ['VHS_LoadVideoFFmpegPath', 'Load Video FFmpeg (Path)'],
  ])('%s', (type, display) => {
    const n = node(type);
    expect(n.display_name).toBe(`${display} 🎥🅥🅗🅢`);
    expect(n.category).toBe(VHS);
    expect(n.input_order).toEqual({
      required: ['video', 'force_rate', 'custom_width', 'custom_height', 'frame_load_cap', 'start_time'],
      optional: ['meta_batch', 'vae', 'format'],
      hidden: ['unique_id'],
    });
    expect(n.input.required.start_time).toEqual(['FLOAT', { default: 0, min: 0, max: BIGMAX, step: 0.001, widgetType: 'VHSTIMESTAMP' }]);
    expect(n.input.required.frame_load_cap).toEqual(['INT', { default: 0, min: 0, max: BIGMAX, step: 1, disable: 0 }]);
    expect(n.input.optional!.format).toEqual(node('VHS_LoadVideo').input.optional!.format);
    expect(n.output).toEqual(['IMAGE', 'MASK', 'AUDIO', 'VHS_VIDEOINFO']);
    expect(n.output_name).toEqual(['IMAGE', 'mask', 'audio', 'video_info']);
  });

  it('video inputs', () => {
    expect(node('VHS_LoadVideoFFmpeg').input.required.video).toEqual([['clip.mp4'], {}]);
    expect(node('VHS_LoadVideoFFmpegPath').input.required.video).toEqual(node('VHS_LoadVideoPath').input.required.video);
  });
});

describe('VHS_BatchManager schema', () => {
  it('matches VHS', () => {
    const n = node('VHS_BatchManager');
    expect(n.display_name).toBe('Meta Batch Manager 🎥🅥🅗🅢');
    expect(n.category).toBe(VHS);
    expect(n.input.required.frames_per_batch).toEqual(['INT', { default: 16, min: 1, max: BIGMAX, step: 1 }]);
    expect(n.input_order).toEqual({ required: ['frames_per_batch'], hidden: ['prompt', 'unique_id'] });
    expect(n.output).toEqual(['VHS_BatchManager']);
    expect(n.output_name).toEqual(['meta_batch']);
  });
});

describe('VHS_LoadImagePath schema', () => {
  it('matches VHS', () => {
    const n = node('VHS_LoadImagePath');
    expect(n.display_name).toBe('Load Image (Path) 🎥🅥🅗🅢');
    expect(n.category).toBe(VHS);
    expect(n.input_order).toEqual({ required: ['image', 'custom_width', 'custom_height'], optional: ['vae'] });
    expect(n.input.required.image).toEqual(['STRING', { placeholder: 'X://insert/path/here.png', vhs_path_extensions: ['jpg', 'jpeg', 'png', 'ppm', 'bmp', 'pgm', 'tif', 'tiff', 'webp'] }]);
    expect(n.input.required.custom_width).toEqual(['INT', { default: 0, min: 0, max: 8192, step: 8, disable: 0 }]);
    expect(n.output).toEqual(['IMAGE', 'MASK']);
    expect(n.output_name).toEqual(['IMAGE', 'mask']);
  });
});
