// VideoCombine's output formats. The widget lists are VHS's (names, types, options, defaults, in
// the order its editor shows them after `format`); the ffmpeg arguments for each are FlashGraph's
// own, built from the widget values. The two Pillow formats of VHS (image/gif, image/webp) are
// encoded with ffmpeg here, so long clips stream instead of being held in memory.

/** One format widget as VHS lists it: [name, type or options, options?]. */
export type FormatWidget = [string, string | string[]] | [string, string | string[], Record<string, unknown>];

export interface FormatArgs {
  /** Widget values (defaults filled in). */
  values: Record<string, unknown>;
  width: number;
  height: number;
}

export interface VideoFormatSpec {
  /** File extension. */
  extension: string;
  /** ffmpeg muxer name. */
  muxer: string;
  /** The encoder ffmpeg must have (checked before encoding). */
  encoder: string;
  widgets: FormatWidget[];
  /** Transfer characteristics the RGB input is declared with (VHS's fake_trc). */
  fakeTrc?: string;
  /** Video filters after the (optional) loop filter. */
  filters?: (a: FormatArgs) => string[];
  /** Replaces the -vf chain with a -filter_complex graph that takes the chain's output. */
  complexFilter?: (a: FormatArgs, chain: string) => string;
  /** Encoder options. */
  encode: (a: FormatArgs) => string[];
  /** Audio encoder options for the muxing pass; absent: the container takes no sound. */
  audio?: string[];
  /** Needs the sides to be multiples of this (padded by repeating the edge, as VHS does). */
  alignment: number;
  /** `loop_count` is the container's repeat count (animated images), not repeated frames. */
  containerLoop?: boolean;
}

const BT709_TAGS = ['-color_range', 'tv', '-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709'];
const TO_BT709 = () => ['scale=out_color_matrix=bt709'];
const str = (v: unknown) => String(v);

const metadataWidget: FormatWidget = ['save_metadata', 'BOOLEAN', { default: true }];
const trimWidget: FormatWidget = ['trim_to_audio', 'BOOLEAN', { default: false }];
const crf = (value: number): FormatWidget => ['crf', 'INT', { default: value, min: 0, max: 100, step: 1 }];

export const DITHERS = ['bayer', 'heckbert', 'floyd_steinberg', 'sierra2', 'sierra2_4a', 'sierra3', 'burkes', 'atkinson', 'none'];
const PRORES_PROFILES = ['lt', 'standard', 'hq', '4444', '4444xq'];

const palette = (dither: string) => (_: FormatArgs, chain: string) =>
  `[0:v]${chain ? `${chain},` : ''}split[a][b];[a]palettegen=reserve_transparent=on:transparency_color=ffffff[p];[b][p]paletteuse=dither=${dither}`;

export const FORMATS: Record<string, VideoFormatSpec> = {
  'image/gif': {
    extension: 'gif',
    muxer: 'gif',
    encoder: 'gif',
    widgets: [],
    alignment: 1,
    containerLoop: true,
    complexFilter: palette('sierra2_4a'),
    encode: () => [],
  },
  'image/webp': {
    extension: 'webp',
    muxer: 'webp',
    encoder: 'libwebp_anim',
    widgets: [['lossless', 'BOOLEAN', { default: true }]],
    alignment: 1,
    containerLoop: true,
    encode: ({ values }) => ['-c:v', 'libwebp_anim', '-lossless', values.lossless === false ? '0' : '1', ...(values.lossless === false ? ['-quality', '80'] : [])],
  },
  'video/ffmpeg-gif': {
    extension: 'gif',
    muxer: 'gif',
    encoder: 'gif',
    widgets: [['dither', DITHERS, { default: 'sierra2_4a' }]],
    alignment: 2,
    complexFilter: (a, chain) => palette(str(a.values.dither))(a, chain),
    encode: () => [],
  },
  'video/h264-mp4': {
    extension: 'mp4',
    muxer: 'mp4',
    encoder: 'libx264',
    widgets: [['pix_fmt', ['yuv420p', 'yuv420p10le']], crf(19), metadataWidget, trimWidget],
    fakeTrc: 'bt709',
    alignment: 2,
    filters: TO_BT709,
    encode: ({ values }) => ['-c:v', 'libx264', '-pix_fmt', str(values.pix_fmt), '-crf', str(values.crf), ...BT709_TAGS],
    audio: ['-c:a', 'aac', '-movflags', 'use_metadata_tags'],
  },
  'video/h265-mp4': {
    extension: 'mp4',
    muxer: 'mp4',
    encoder: 'libx265',
    widgets: [['pix_fmt', ['yuv420p10le', 'yuv420p']], crf(22), metadataWidget],
    fakeTrc: 'bt709',
    alignment: 2,
    filters: TO_BT709,
    encode: ({ values }) => ['-c:v', 'libx265', '-vtag', 'hvc1', '-pix_fmt', str(values.pix_fmt), '-crf', str(values.crf), '-preset', 'medium', '-x265-params', 'log-level=quiet', ...BT709_TAGS],
    audio: ['-c:a', 'aac', '-movflags', 'use_metadata_tags'],
  },
  'video/webm': {
    extension: 'webm',
    muxer: 'webm',
    encoder: 'libvpx-vp9',
    widgets: [['pix_fmt', ['yuv420p', 'yuva420p']], crf(20), metadataWidget, trimWidget],
    fakeTrc: 'bt709',
    alignment: 2,
    filters: TO_BT709,
    encode: ({ values }) => ['-c:v', 'libvpx-vp9', '-pix_fmt', str(values.pix_fmt), '-crf', str(values.crf), '-b:v', '0', '-row-mt', '1', ...BT709_TAGS],
    audio: ['-c:a', 'libvorbis'],
  },
  'video/av1-webm': {
    extension: 'webm',
    muxer: 'webm',
    encoder: 'libsvtav1',
    widgets: [['pix_fmt', ['yuv420p10le', 'yuv420p']], crf(23), ['input_color_depth', ['8bit', '16bit']], metadataWidget],
    fakeTrc: 'bt709',
    alignment: 2,
    filters: TO_BT709,
    encode: ({ values }) => ['-c:v', 'libsvtav1', '-pix_fmt', str(values.pix_fmt), '-crf', str(values.crf), ...BT709_TAGS],
    audio: ['-c:a', 'libopus'],
  },
  'video/ProRes': {
    extension: 'mov',
    muxer: 'mov',
    encoder: 'prores_ks',
    widgets: [['profile', PRORES_PROFILES, { default: 'hq' }]],
    fakeTrc: 'bt709',
    alignment: 2,
    filters: TO_BT709,
    encode: ({ values }) => {
      const profile = str(values.profile);
      // The 4444 profiles take 4:4:4; the others are 4:2:2 profiles (ffmpeg would otherwise pick
      // 4:4:4 for RGB input).
      const pix = ['-pix_fmt', profile.startsWith('4') ? 'yuv444p10le' : 'yuv422p10le'];
      return ['-c:v', 'prores_ks', '-profile:v', profile, ...pix, '-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709'];
    },
    audio: ['-c:a', 'pcm_s16le'],
  },
};

/** The `formats` option of VideoCombine's format input: format -> its widgets (formats without widgets omitted, as VHS does). */
export function formatWidgets(): Record<string, FormatWidget[]> {
  const out: Record<string, FormatWidget[]> = {};
  for (const [name, spec] of Object.entries(FORMATS)) if (spec.widgets.length > 0) out[name] = spec.widgets;
  return out;
}

/** A widget's default: its `default`, else the first option, else the type's zero (VHS's fallbacks). */
export function widgetDefault(widget: FormatWidget): unknown {
  const options = widget[2];
  if (options && 'default' in options) return options.default;
  if (Array.isArray(widget[1])) return widget[1][0];
  return ({ BOOLEAN: false, INT: 0, FLOAT: 0, STRING: '' } as Record<string, unknown>)[widget[1]];
}

/** Checks a widget value against its type and options; returns a problem or undefined. */
export function widgetProblem(widget: FormatWidget, value: unknown): string | undefined {
  const [name, type, options = {}] = widget;
  if (Array.isArray(type)) return typeof value === 'string' && type.includes(value) ? undefined : `${name} must be one of ${type.join(', ')}, got ${JSON.stringify(value)}`;
  if (type === 'BOOLEAN') return typeof value === 'boolean' ? undefined : `${name} must be true or false, got ${JSON.stringify(value)}`;
  if (type === 'INT') {
    if (typeof value !== 'number' || !Number.isInteger(value)) return `${name} must be an integer, got ${JSON.stringify(value)}`;
    if (typeof options.min === 'number' && value < options.min) return `${name} must be at least ${options.min}, got ${value}`;
    if (typeof options.max === 'number' && value > options.max) return `${name} must be at most ${options.max}, got ${value}`;
  }
  return undefined;
}
