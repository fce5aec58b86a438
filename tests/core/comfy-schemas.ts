// What ComfyUI declares for each class FlashGraph's core pack shares with it, transcribed from its
// source: Comfy-Org/ComfyUI at a125cd84 (2025-10-11, the commit that pins frontend 1.27.10) unless
// a row says otherwise. Each class cites file:line of its declaration. Rows are
// `[name, type, options]` as /object_info renders them in V1 form: `type` is the socket type, a
// combo's option list, or FILES for a combo that lists files of a folder (its options are not
// compared). Options hold every key ComfyUI sets except tooltips (V3 inputs' `multiline: false`
// and `multiselect: false` are the absent defaults and are left out).

export const FILES = Symbol('files of a folder');

export type InputRow = [name: string, type: string | readonly string[] | typeof FILES, options?: Record<string, unknown>];

export interface ComfyClass {
  source: string;
  category: string;
  output: string[];
  /** Defaults to `output`. */
  output_name?: string[];
  output_node?: boolean;
  experimental?: boolean;
  required: InputRow[];
  optional?: InputRow[];
  hidden?: string[];
}

/** nodes.py:23 MAX_RESOLUTION */
const MAX_RESOLUTION = 16384;
/** Python's sys.maxsize on 64-bit platforms (what nodes_primitive.py uses as min/max). */
const MAXSIZE = 9223372036854775807;
const SAVE_HIDDEN = ['prompt', 'extra_pnginfo'];
const UPSCALE_METHODS = ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'];

export const COMFY_CLASSES: Record<string, ComfyClass> = {
  // comfy_extras/nodes_primitive.py:47
  PrimitiveInt: {
    source: 'comfy_extras/nodes_primitive.py:47',
    category: 'utils/primitive',
    output: ['INT'],
    required: [['value', 'INT', { min: -MAXSIZE, max: MAXSIZE, control_after_generate: true }]],
  },
  // comfy_extras/nodes_primitive.py:65
  PrimitiveFloat: {
    source: 'comfy_extras/nodes_primitive.py:65',
    category: 'utils/primitive',
    output: ['FLOAT'],
    required: [['value', 'FLOAT', { min: -MAXSIZE, max: MAXSIZE }]],
  },
  // comfy_extras/nodes_primitive.py:11
  PrimitiveString: {
    source: 'comfy_extras/nodes_primitive.py:11',
    category: 'utils/primitive',
    output: ['STRING'],
    required: [['value', 'STRING', {}]],
  },
  // comfy_extras/nodes_primitive.py:29
  PrimitiveStringMultiline: {
    source: 'comfy_extras/nodes_primitive.py:29',
    category: 'utils/primitive',
    output: ['STRING'],
    required: [['value', 'STRING', { multiline: true }]],
  },
  // comfy_extras/nodes_primitive.py:83
  PrimitiveBoolean: {
    source: 'comfy_extras/nodes_primitive.py:83',
    category: 'utils/primitive',
    output: ['BOOLEAN'],
    required: [['value', 'BOOLEAN', {}]],
  },
  // comfy_extras/nodes_string.py:11
  StringConcatenate: {
    source: 'comfy_extras/nodes_string.py:11',
    category: 'utils/string',
    output: ['STRING'],
    required: [
      ['string_a', 'STRING', { multiline: true }],
      ['string_b', 'STRING', { multiline: true }],
      ['delimiter', 'STRING', { default: '' }],
    ],
  },
  // comfy_extras/nodes_preview_any.py:7 (IO.ANY is "*")
  PreviewAny: {
    source: 'comfy_extras/nodes_preview_any.py:7',
    category: 'utils',
    output: [],
    output_node: true,
    required: [['source', '*', {}]],
  },
  // nodes.py:1561
  SaveImage: {
    source: 'nodes.py:1561',
    category: 'image',
    output: [],
    output_node: true,
    required: [
      ['images', 'IMAGE', {}],
      ['filename_prefix', 'STRING', { default: 'ComfyUI' }],
    ],
    hidden: SAVE_HIDDEN,
  },
  // nodes.py:1616 (inherits SaveImage's category and OUTPUT_NODE)
  PreviewImage: {
    source: 'nodes.py:1616',
    category: 'image',
    output: [],
    output_node: true,
    required: [['images', 'IMAGE']],
    hidden: SAVE_HIDDEN,
  },
  // nodes.py:1630
  LoadImage: {
    source: 'nodes.py:1630',
    category: 'image',
    output: ['IMAGE', 'MASK'],
    required: [['image', FILES, { image_upload: true }]],
  },
  // nodes.py:1706
  LoadImageMask: {
    source: 'nodes.py:1706',
    category: 'mask',
    output: ['MASK'],
    required: [
      ['image', FILES, { image_upload: true }],
      ['channel', ['alpha', 'red', 'green', 'blue']],
    ],
  },
  // nodes.py:1756 (inherits LoadImage's category and outputs)
  LoadImageOutput: {
    source: 'nodes.py:1756',
    category: 'image',
    output: ['IMAGE', 'MASK'],
    experimental: true,
    required: [
      [
        'image',
        FILES,
        { image_upload: true, image_folder: 'output', remote: { route: '/internal/files/output', refresh_button: true, control_after_refresh: 'first' } },
      ],
    ],
  },
  // nodes.py:1778
  ImageScale: {
    source: 'nodes.py:1778',
    category: 'image/upscaling',
    output: ['IMAGE'],
    required: [
      ['image', 'IMAGE'],
      ['upscale_method', UPSCALE_METHODS],
      ['width', 'INT', { default: 512, min: 0, max: MAX_RESOLUTION, step: 1 }],
      ['height', 'INT', { default: 512, min: 0, max: MAX_RESOLUTION, step: 1 }],
      ['crop', ['disabled', 'center']],
    ],
  },
  // nodes.py:1808
  ImageScaleBy: {
    source: 'nodes.py:1808',
    category: 'image/upscaling',
    output: ['IMAGE'],
    required: [
      ['image', 'IMAGE'],
      ['upscale_method', UPSCALE_METHODS],
      ['scale_by', 'FLOAT', { default: 1.0, min: 0.01, max: 8.0, step: 0.01 }],
    ],
  },
  // nodes.py:1828
  ImageInvert: { source: 'nodes.py:1828', category: 'image', output: ['IMAGE'], required: [['image', 'IMAGE']] },
  // nodes.py:1843
  ImageBatch: {
    source: 'nodes.py:1843',
    category: 'image',
    output: ['IMAGE'],
    required: [
      ['image1', 'IMAGE'],
      ['image2', 'IMAGE'],
    ],
  },
  // nodes.py:1860
  EmptyImage: {
    source: 'nodes.py:1860',
    category: 'image',
    output: ['IMAGE'],
    required: [
      ['width', 'INT', { default: 512, min: 1, max: MAX_RESOLUTION, step: 1 }],
      ['height', 'INT', { default: 512, min: 1, max: MAX_RESOLUTION, step: 1 }],
      ['batch_size', 'INT', { default: 1, min: 1, max: 4096 }],
      ['color', 'INT', { default: 0, min: 0, max: 0xffffff, step: 1, display: 'color' }],
    ],
  },
  // nodes.py:1882
  ImagePadForOutpaint: {
    source: 'nodes.py:1882',
    category: 'image',
    output: ['IMAGE', 'MASK'],
    required: [
      ['image', 'IMAGE'],
      ['left', 'INT', { default: 0, min: 0, max: MAX_RESOLUTION, step: 8 }],
      ['top', 'INT', { default: 0, min: 0, max: MAX_RESOLUTION, step: 8 }],
      ['right', 'INT', { default: 0, min: 0, max: MAX_RESOLUTION, step: 8 }],
      ['bottom', 'INT', { default: 0, min: 0, max: MAX_RESOLUTION, step: 8 }],
      ['feathering', 'INT', { default: 40, min: 0, max: MAX_RESOLUTION, step: 1 }],
    ],
  },
  // comfy_extras/nodes_images.py:24
  ImageCrop: {
    source: 'comfy_extras/nodes_images.py:24',
    category: 'image/transform',
    output: ['IMAGE'],
    required: [
      ['image', 'IMAGE'],
      ['width', 'INT', { default: 512, min: 1, max: MAX_RESOLUTION, step: 1 }],
      ['height', 'INT', { default: 512, min: 1, max: MAX_RESOLUTION, step: 1 }],
      ['x', 'INT', { default: 0, min: 0, max: MAX_RESOLUTION, step: 1 }],
      ['y', 'INT', { default: 0, min: 0, max: MAX_RESOLUTION, step: 1 }],
    ],
  },
  // comfy_extras/nodes_images.py:46
  RepeatImageBatch: {
    source: 'comfy_extras/nodes_images.py:46',
    category: 'image/batch',
    output: ['IMAGE'],
    required: [
      ['image', 'IMAGE'],
      ['amount', 'INT', { default: 1, min: 1, max: 4096 }],
    ],
  },
  // comfy_extras/nodes_images.py:61
  ImageFromBatch: {
    source: 'comfy_extras/nodes_images.py:61',
    category: 'image/batch',
    output: ['IMAGE'],
    required: [
      ['image', 'IMAGE'],
      ['batch_index', 'INT', { default: 0, min: 0, max: 4095 }],
      ['length', 'INT', { default: 1, min: 1, max: 4096 }],
    ],
  },
  // comfy_extras/nodes_images.py:98
  SaveAnimatedWEBP: {
    source: 'comfy_extras/nodes_images.py:98',
    category: 'image/animation',
    output: [],
    output_node: true,
    required: [
      ['images', 'IMAGE'],
      ['filename_prefix', 'STRING', { default: 'ComfyUI' }],
      ['fps', 'FLOAT', { default: 6.0, min: 0.01, max: 1000.0, step: 0.01 }],
      ['lossless', 'BOOLEAN', { default: true }],
      ['quality', 'INT', { default: 80, min: 0, max: 100 }],
      ['method', ['default', 'fastest', 'slowest']],
    ],
    hidden: SAVE_HIDDEN,
  },
  // comfy_extras/nodes_images.py:164
  SaveAnimatedPNG: {
    source: 'comfy_extras/nodes_images.py:164',
    category: 'image/animation',
    output: [],
    output_node: true,
    required: [
      ['images', 'IMAGE'],
      ['filename_prefix', 'STRING', { default: 'ComfyUI' }],
      ['fps', 'FLOAT', { default: 6.0, min: 0.01, max: 1000.0, step: 0.01 }],
      ['compress_level', 'INT', { default: 4, min: 0, max: 9 }],
    ],
    hidden: SAVE_HIDDEN,
  },
  // comfy_extras/nodes_images.py:235
  ImageStitch: {
    source: 'comfy_extras/nodes_images.py:235',
    category: 'image/transform',
    output: ['IMAGE'],
    required: [
      ['image1', 'IMAGE'],
      ['direction', ['right', 'down', 'left', 'up'], { default: 'right' }],
      ['match_image_size', 'BOOLEAN', { default: true }],
      ['spacing_width', 'INT', { default: 0, min: 0, max: 1024, step: 2 }],
      ['spacing_color', ['white', 'black', 'red', 'green', 'blue'], { default: 'white' }],
    ],
    optional: [['image2', 'IMAGE']],
  },
  // comfy_extras/nodes_images.py:417
  ResizeAndPadImage: {
    source: 'comfy_extras/nodes_images.py:417',
    category: 'image/transform',
    output: ['IMAGE'],
    required: [
      ['image', 'IMAGE'],
      ['target_width', 'INT', { default: 512, min: 1, max: MAX_RESOLUTION, step: 1 }],
      ['target_height', 'INT', { default: 512, min: 1, max: MAX_RESOLUTION, step: 1 }],
      ['padding_color', ['white', 'black']],
      ['interpolation', ['area', 'bicubic', 'nearest-exact', 'bilinear', 'lanczos']],
    ],
  },
  // comfy_extras/nodes_images.py:555
  GetImageSize: {
    source: 'comfy_extras/nodes_images.py:555',
    category: 'image',
    output: ['INT', 'INT', 'INT'],
    output_name: ['width', 'height', 'batch_size'],
    required: [['image', 'IMAGE']],
    hidden: ['unique_id'],
  },
  // comfy_extras/nodes_images.py:586
  ImageRotate: {
    source: 'comfy_extras/nodes_images.py:586',
    category: 'image/transform',
    output: ['IMAGE'],
    required: [
      ['image', 'IMAGE'],
      ['rotation', ['none', '90 degrees', '180 degrees', '270 degrees']],
    ],
  },
  // comfy_extras/nodes_images.py:609
  ImageFlip: {
    source: 'comfy_extras/nodes_images.py:609',
    category: 'image/transform',
    output: ['IMAGE'],
    required: [
      ['image', 'IMAGE'],
      ['flip_method', ['x-axis: vertically', 'y-axis: horizontally']],
    ],
  },
  // comfy_extras/nodes_mask.py:76
  ImageCompositeMasked: {
    source: 'comfy_extras/nodes_mask.py:76',
    category: 'image',
    output: ['IMAGE'],
    required: [
      ['destination', 'IMAGE'],
      ['source', 'IMAGE'],
      ['x', 'INT', { default: 0, min: 0, max: MAX_RESOLUTION, step: 1 }],
      ['y', 'INT', { default: 0, min: 0, max: MAX_RESOLUTION, step: 1 }],
      ['resize_source', 'BOOLEAN', { default: false }],
    ],
    optional: [['mask', 'MASK']],
  },
  // comfy_extras/nodes_mask.py:102
  MaskToImage: { source: 'comfy_extras/nodes_mask.py:102', category: 'mask', output: ['IMAGE'], required: [['mask', 'MASK']] },
  // comfy_extras/nodes_mask.py:120
  ImageToMask: {
    source: 'comfy_extras/nodes_mask.py:120',
    category: 'mask',
    output: ['MASK'],
    required: [
      ['image', 'IMAGE'],
      ['channel', ['red', 'green', 'blue', 'alpha']],
    ],
  },
  // comfy_extras/nodes_mask.py:161
  SolidMask: {
    source: 'comfy_extras/nodes_mask.py:161',
    category: 'mask',
    output: ['MASK'],
    required: [
      ['value', 'FLOAT', { default: 1.0, min: 0.0, max: 1.0, step: 0.01 }],
      ['width', 'INT', { default: 512, min: 1, max: MAX_RESOLUTION, step: 1 }],
      ['height', 'INT', { default: 512, min: 1, max: MAX_RESOLUTION, step: 1 }],
    ],
  },
  // comfy_extras/nodes_mask.py:182
  InvertMask: { source: 'comfy_extras/nodes_mask.py:182', category: 'mask', output: ['MASK'], required: [['mask', 'MASK']] },
  // comfy_extras/nodes_post_processing.py:17
  ImageBlend: {
    source: 'comfy_extras/nodes_post_processing.py:17',
    category: 'image/postprocessing',
    output: ['IMAGE'],
    required: [
      ['image1', 'IMAGE'],
      ['image2', 'IMAGE'],
      ['blend_factor', 'FLOAT', { default: 0.5, min: 0.0, max: 1.0, step: 0.01 }],
      ['blend_mode', ['normal', 'multiply', 'screen', 'overlay', 'soft_light', 'difference']],
    ],
  },
  // comfy_extras/nodes_post_processing.py:74
  ImageBlur: {
    source: 'comfy_extras/nodes_post_processing.py:74',
    category: 'image/postprocessing',
    output: ['IMAGE'],
    required: [
      ['image', 'IMAGE'],
      ['blur_radius', 'INT', { default: 1, min: 1, max: 31, step: 1 }],
      ['sigma', 'FLOAT', { default: 1.0, min: 0.1, max: 10.0, step: 0.1 }],
    ],
  },
  // comfy_extras/nodes_post_processing.py:174
  ImageSharpen: {
    source: 'comfy_extras/nodes_post_processing.py:174',
    category: 'image/postprocessing',
    output: ['IMAGE'],
    required: [
      ['image', 'IMAGE'],
      ['sharpen_radius', 'INT', { default: 1, min: 1, max: 31, step: 1 }],
      ['sigma', 'FLOAT', { default: 1.0, min: 0.1, max: 10.0, step: 0.01 }],
      ['alpha', 'FLOAT', { default: 1.0, min: 0.0, max: 5.0, step: 0.01 }],
    ],
  },
  // comfy_extras/nodes_video.py:21
  SaveWEBM: {
    source: 'comfy_extras/nodes_video.py:21',
    category: 'image/video',
    output: [],
    output_node: true,
    experimental: true,
    required: [
      ['images', 'IMAGE'],
      ['filename_prefix', 'STRING', { default: 'ComfyUI' }],
      ['codec', ['vp9', 'av1']],
      ['fps', 'FLOAT', { default: 24.0, min: 0.01, max: 1000.0, step: 0.01 }],
      ['crf', 'FLOAT', { default: 32.0, min: 0, max: 63.0, step: 1 }],
    ],
    hidden: SAVE_HIDDEN,
  },
  // comfy_extras/nodes_video.py:75; options from comfy_api/latest/_util/video_types.py:8 and :19
  SaveVideo: {
    source: 'comfy_extras/nodes_video.py:75',
    category: 'image/video',
    output: [],
    output_node: true,
    required: [
      ['video', 'VIDEO'],
      ['filename_prefix', 'STRING', { default: 'video/ComfyUI' }],
      ['format', ['auto', 'mp4'], { default: 'auto' }],
      ['codec', ['auto', 'h264'], { default: 'auto' }],
    ],
    hidden: SAVE_HIDDEN,
  },
  // comfy_extras/nodes_video.py:123
  CreateVideo: {
    source: 'comfy_extras/nodes_video.py:123',
    category: 'image/video',
    output: ['VIDEO'],
    required: [
      ['images', 'IMAGE'],
      ['fps', 'FLOAT', { default: 30.0, min: 1.0, max: 120.0, step: 1.0 }],
    ],
    optional: [['audio', 'AUDIO']],
  },
  // comfy_extras/nodes_video.py:147
  GetVideoComponents: {
    source: 'comfy_extras/nodes_video.py:147',
    category: 'image/video',
    output: ['IMAGE', 'AUDIO', 'FLOAT'],
    output_name: ['images', 'audio', 'fps'],
    required: [['video', 'VIDEO']],
  },
  // comfy_extras/nodes_video.py:174: one input, `file`, with the video upload button.
  LoadVideo: {
    source: 'comfy_extras/nodes_video.py:174',
    category: 'image/video',
    output: ['VIDEO'],
    required: [['file', FILES, { video_upload: true }]],
  },
  // comfy_extras/nodes_video.py, class VideoSlice (node_id "Video Slice"): added after a125cd84;
  // transcribed from a later ComfyUI (the file's VideoSlice class, category "image/video").
  'Video Slice': {
    source: 'comfy_extras/nodes_video.py VideoSlice (after a125cd84)',
    category: 'image/video',
    output: ['VIDEO'],
    required: [
      ['video', 'VIDEO'],
      ['start_time', 'FLOAT', { default: 0.0, min: -1e5, max: 1e5, step: 0.001 }],
      ['duration', 'FLOAT', { default: 0.0, min: 0.0, step: 0.001 }],
      ['strict_duration', 'BOOLEAN', { default: false }],
    ],
  },
  // comfy_extras/nodes_audio.py:319
  LoadAudio: {
    source: 'comfy_extras/nodes_audio.py:319',
    category: 'audio',
    output: ['AUDIO'],
    required: [['audio', FILES, { audio_upload: true }]],
  },
  // comfy_extras/nodes_audio.py:196
  SaveAudio: {
    source: 'comfy_extras/nodes_audio.py:196',
    category: 'audio',
    output: [],
    output_node: true,
    required: [
      ['audio', 'AUDIO'],
      ['filename_prefix', 'STRING', { default: 'audio/ComfyUI' }],
    ],
    hidden: SAVE_HIDDEN,
  },
  // comfy_extras/nodes_audio.py:270 (inherits SaveAudio's empty RETURN_TYPES and OUTPUT_NODE)
  PreviewAudio: {
    source: 'comfy_extras/nodes_audio.py:270',
    category: 'audio',
    output: [],
    output_node: true,
    required: [['audio', 'AUDIO']],
    hidden: SAVE_HIDDEN,
  },
  // custom_nodes/websocket_image_save.py:13 (shipped with ComfyUI as an example pack)
  SaveImageWebsocket: {
    source: 'custom_nodes/websocket_image_save.py:13',
    category: 'api/image',
    output: [],
    output_node: true,
    required: [['images', 'IMAGE']],
  },
};

/** Core classes that are FlashGraph's own: ComfyUI (at the commit above) has no class of that name. */
export const FLASHGRAPH_CLASSES = ['IntMath', 'FloatMath', 'SaveText', 'FlashGraph_LoadVideo', 'FlashGraph_SaveVideo'];
