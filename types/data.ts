// The media values that flow between nodes: IMAGE, MASK, AUDIO and VIDEO. Shared by the server,
// node packs and the browser client, so nothing here may import Node-only modules.
//
// ComfyUI keeps IMAGE as one float32 [B,H,W,C] tensor, which runs out of memory on long videos
// (5 min of 720p is 33 GB). Here an IMAGE is a re-iterable sequence of uint8 RGB frame chunks with
// a known count and size: a node streams it chunk by chunk, or materialises it with one call, and
// converts to float only where it computes in float.

/** An exact frame rate, e.g. 30000/1001 for NTSC. */
export interface Rational {
  readonly num: number;
  readonly den: number;
}

/** A dense tensor in row-major order. */
export interface Tensor<T extends Uint8Array | Float32Array = Float32Array> {
  readonly data: T;
  readonly shape: readonly number[];
}

/**
 * Consecutive frames of an IMAGE: RGB uint8, packed `[count, height, width, 3]` (or, from
 * `Image.native`, whole frames in that pixel format's raw layout).
 */
export interface FrameChunk {
  /** Index of the first frame of this chunk in the whole sequence. */
  readonly start: number;
  readonly count: number;
  readonly data: Uint8Array;
}

export interface FrameReadOptions {
  /** Stops the read (and any decoder behind it) when aborted. */
  signal?: AbortSignal;
  /** Preferred largest chunk, in frames; sources may deliver smaller chunks. */
  chunkFrames?: number;
}

/** Colour properties of decoded frames, with ffmpeg's names ("tv", "bt709"...); absent: unknown. */
export interface ColorProperties {
  readonly range?: string;
  readonly space?: string;
  readonly primaries?: string;
  readonly transfer?: string;
}

/**
 * The frames of an IMAGE as the decoder gives them, before any conversion to RGB: an encoder that
 * takes them skips the YUV -> RGB -> YUV round trip and moves half the bytes (4:2:0).
 */
export interface NativeFrames {
  /** ffmpeg's name of the pixel format ("yuv420p", "nv12", "yuv444p"...). */
  readonly pixFmt: string;
  /** Bytes of one frame in that format (planes packed without padding, as ffmpeg's rawvideo). */
  readonly frameBytes: number;
  readonly color: ColorProperties;
  /** The same frames as `Image.frames()`, in `pixFmt`; same contract. */
  frames(options?: FrameReadOptions): AsyncIterable<FrameChunk>;
}

/**
 * Frames that are exactly one video stream of a media file, every frame in order, unchanged: an
 * encoder may read that stream itself, or copy it without decoding.
 */
export interface FrameFileSource {
  /** Absolute path, already checked to lie inside an allowed folder. */
  readonly path: string;
  /** Absolute index of the video stream in the file. */
  readonly stream: number;
  /** ffprobe's names of the container ("mov,mp4,m4a,3gp,3g2,mj2") and of the codec ("h264"). */
  readonly container: string;
  readonly codec: string;
  /** The rate the frames are shown at (frame k at k / fps). */
  readonly fps: Rational;
}

/**
 * IMAGE: a batch of same-size RGB frames. `frames()` may be called any number of times and starts
 * from the first frame each time (a decoder is re-opened), so cached values stay valid and nothing
 * keeps all frames unless it was built from frames already in memory.
 *
 * A decoded IMAGE may also offer its frames undecoded (`file`) or in the decoder's pixel format
 * (`native`): only nodes that read pixels pay for RGB. Any node that changes the frames makes a new
 * IMAGE, which has neither.
 */
export interface Image {
  readonly type: 'IMAGE';
  readonly count: number;
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
  readonly native?: NativeFrames;
  readonly file?: FrameFileSource;
  frames(options?: FrameReadOptions): AsyncIterable<FrameChunk>;
  describe(): string;
}

/** MASK: float32 `[count, height, width]` in 0..1 (small: always held in memory). */
export interface Mask {
  readonly type: 'MASK';
  readonly count: number;
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
  describe(): string;
}

/** A stretch of an audio stream in a media file: encoders can copy it without decoding. */
export interface AudioFileSource {
  /** Absolute path, already checked to lie inside an allowed folder. */
  readonly path: string;
  /** Index of the audio stream among the file's audio streams. */
  readonly stream: number;
  readonly startSeconds: number;
  readonly durationSeconds: number;
}

/**
 * AUDIO: ComfyUI's `{waveform: float [B, channels, samples], sample_rate}`, read on demand.
 * `waveform()` decodes (or returns) the planar samples as `[1, channels, samples]`.
 */
export interface Audio {
  readonly type: 'AUDIO';
  readonly sampleRate: number;
  readonly channels: number;
  readonly durationSeconds: number;
  readonly file?: AudioFileSource;
  waveform(options?: { signal?: AbortSignal }): Promise<Tensor<Float32Array>>;
  describe(): string;
}

/**
 * VIDEO: frames (lazily decoded when it comes from a file), an exact frame rate and optional
 * audio. ComfyUI's VideoFromFile and VideoFromComponents are both this shape.
 */
export interface Video {
  readonly type: 'VIDEO';
  readonly images: Image;
  readonly audio: Audio | null;
  readonly fps: Rational;
  readonly width: number;
  readonly height: number;
  readonly frameCount: number;
  readonly durationSeconds: number;
  describe(): string;
}

// ---- rationals ----------------------------------------------------------------------------------

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a || 1;
}

export function rational(num: number, den = 1): Rational {
  if (!Number.isInteger(num) || !Number.isInteger(den) || den <= 0) throw new RangeError(`not a rational frame rate: ${num}/${den}`);
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

/** Parses ffprobe's "30000/1001" (or "25"); returns null for "0/0" and other non-rates. */
export function parseRational(text: string | undefined): Rational | null {
  if (!text) return null;
  const [n, d = '1'] = text.split('/');
  const num = Number(n);
  const den = Number(d);
  if (!Number.isInteger(num) || !Number.isInteger(den) || num <= 0 || den <= 0) return null;
  return rational(num, den);
}

/** A float rate as a rational: exact for integers and NTSC rates, else rounded to 1/1000 (ComfyUI's rule). */
export function rationalFromNumber(value: number): Rational {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`frame rate must be positive, got ${value}`);
  if (Number.isInteger(value)) return rational(value, 1);
  const ntsc = value * 1001;
  if (Math.abs(ntsc - Math.round(ntsc)) < 1e-6) return rational(Math.round(ntsc), 1001);
  return rational(Math.max(1, Math.round(value * 1000)), 1000);
}

export function rationalValue(r: Rational): number {
  return r.num / r.den;
}

export function formatRational(r: Rational): string {
  return r.den === 1 ? String(r.num) : `${r.num}/${r.den}`;
}

// ---- IMAGE --------------------------------------------------------------------------------------

/** Frames per chunk when the reader expresses no preference: about 16 MB of pixels. */
export function defaultChunkFrames(width: number, height: number): number {
  return Math.max(1, Math.min(256, Math.floor((16 << 20) / (width * height * 3))));
}

export function frameBytes(image: Pick<Image, 'width' | 'height'>): number {
  return image.width * image.height * 3;
}

function checkSize(what: string, count: number, width: number, height: number): void {
  for (const [name, value] of [['count', count], ['width', width], ['height', height]] as const) {
    if (!Number.isInteger(value) || value < (name === 'count' ? 0 : 1)) throw new RangeError(`${what}: ${name} must be a positive integer, got ${value}`);
  }
}

type FrameSource = (options: FrameReadOptions) => AsyncIterable<FrameChunk>;

/**
 * The chunks of `source`, checked to hold `count` whole frames of `bytes` each, in order; a longer
 * source is cut at `count`, a shorter one is an error naming `origin`.
 */
async function* checkedChunks(source: AsyncIterable<FrameChunk>, count: number, bytes: number, origin: string, signal?: AbortSignal): AsyncGenerator<FrameChunk> {
  let next = 0;
  if (count === 0) return;
  for await (const chunk of source) {
    signal?.throwIfAborted();
    if (chunk.count === 0) continue;
    if (chunk.start !== next || chunk.data.length !== chunk.count * bytes) {
      throw new Error(`${origin} delivered a malformed chunk (frames ${chunk.start}+${chunk.count}, ${chunk.data.length} bytes)`);
    }
    const take = Math.min(chunk.count, count - next);
    if (take <= 0) break;
    yield take === chunk.count ? chunk : { start: chunk.start, count: take, data: chunk.data.subarray(0, take * bytes) };
    next += take;
    if (next === count) break;
  }
  if (next < count) throw new Error(`${origin} ended after ${next} of ${count} frames`);
}

/** What a lazy IMAGE is: its size, where it comes from, and the undecoded forms it offers. */
export interface LazyImageInfo {
  count: number;
  width: number;
  height: number;
  origin: string;
  native?: { pixFmt: string; frameBytes: number; color: ColorProperties; source: FrameSource };
  file?: FrameFileSource;
}

class FrameSequence implements Image {
  readonly type = 'IMAGE';
  readonly channels = 3;
  readonly count: number;
  readonly width: number;
  readonly height: number;
  readonly origin: string;
  readonly native?: NativeFrames;
  readonly file?: FrameFileSource;

  constructor(
    info: LazyImageInfo,
    readonly source: FrameSource,
  ) {
    checkSize('IMAGE', info.count, info.width, info.height);
    ({ count: this.count, width: this.width, height: this.height, origin: this.origin } = info);
    if (info.file) this.file = info.file;
    if (info.native) {
      const { source: nativeSource, ...format } = info.native;
      const { count, origin } = this;
      this.native = {
        ...format,
        async *frames(options = {}) {
          yield* checkedChunks(nativeSource(options), count, format.frameBytes, `${origin} (${format.pixFmt})`, options.signal);
        },
      };
    }
  }

  async *frames(options: FrameReadOptions = {}): AsyncGenerator<FrameChunk> {
    yield* checkedChunks(this.source(options), this.count, frameBytes(this), this.origin, options.signal);
  }

  describe(): string {
    return `IMAGE ${this.count}x${this.height}x${this.width}x3 (${this.origin})`;
  }
}

/** An IMAGE whose frames come from `source` each time it is read (a decoder, a transform...). */
export function lazyImage(info: LazyImageInfo, source: FrameSource): Image {
  return new FrameSequence(info, source);
}

/** An IMAGE over RGB uint8 pixels already in memory, `[count, height, width, 3]` (not copied). */
export function imageFromPixels(data: Uint8Array, count: number, width: number, height: number, origin = 'memory'): Image {
  checkSize('IMAGE', count, width, height);
  const bytes = width * height * 3;
  if (data.length !== count * bytes) throw new RangeError(`IMAGE: ${data.length} bytes is not ${count} frames of ${width}x${height} RGB`);
  return lazyImage({ count, width, height, origin }, async function* ({ chunkFrames }) {
    const step = chunkFrames ?? defaultChunkFrames(width, height);
    for (let start = 0; start < count; start += step) {
      const n = Math.min(step, count - start);
      yield { start, count: n, data: data.subarray(start * bytes, (start + n) * bytes) };
    }
  });
}

/**
 * An IMAGE from a float tensor in 0..1, `[B,H,W,3]` (ComfyUI's layout) or `[B,3,H,W]`. Values are
 * clamped and rounded to 8 bits, as saving would.
 */
export function imageFromFloat32(tensor: Tensor<Float32Array>, layout: 'BHWC' | 'BCHW' = 'BHWC'): Image {
  if (tensor.shape.length !== 4) throw new RangeError(`IMAGE tensor must have 4 dimensions, got [${tensor.shape.join(', ')}]`);
  const [b, d1, d2, d3] = tensor.shape as [number, number, number, number];
  const [height, width, channels] = layout === 'BHWC' ? [d1, d2, d3] : [d2, d3, d1];
  if (channels !== 3) throw new RangeError(`IMAGE tensor must have 3 channels, got ${channels}`);
  const pixels = new Uint8Array(b * height * width * 3);
  const src = tensor.data;
  const plane = height * width;
  for (let i = 0; i < pixels.length; i++) {
    let value: number;
    if (layout === 'BHWC') value = src[i]!;
    else {
      const frame = Math.floor(i / (plane * 3));
      const rest = i - frame * plane * 3;
      value = src[frame * plane * 3 + (rest % 3) * plane + Math.floor(rest / 3)]!;
    }
    pixels[i] = unitFloatToByte(value);
  }
  return imageFromPixels(pixels, b, width, height, 'float tensor');
}

/** A 0..1 float as an 8-bit level: clamped and rounded, as saving would. */
export function unitFloatToByte(value: number): number {
  return value <= 0 ? 0 : value >= 1 ? 255 : Math.round(value * 255);
}

/** Every frame in one uint8 tensor `[B,H,W,3]`: for nodes that truly need them all at once. */
export async function materialize(image: Image, options: FrameReadOptions = {}): Promise<Tensor<Uint8Array>> {
  const bytes = frameBytes(image);
  const data = new Uint8Array(image.count * bytes);
  for await (const chunk of image.frames(options)) data.set(chunk.data, chunk.start * bytes);
  return { data, shape: [image.count, image.height, image.width, 3] };
}

/**
 * Every frame as float32 in 0..1, channel-last `[B,H,W,3]` (ComfyUI's IMAGE) or channel-first
 * `[B,3,H,W]` (what most ML models take). Pass `start`/`count` for a window of frames.
 */
export async function toFloat32(
  image: Image,
  options: FrameReadOptions & { layout?: 'BHWC' | 'BCHW'; start?: number; count?: number } = {},
): Promise<Tensor<Float32Array>> {
  const layout = options.layout ?? 'BHWC';
  const first = options.start ?? 0;
  const count = Math.max(0, Math.min(options.count ?? image.count - first, image.count - first));
  const { width, height } = image;
  const plane = width * height;
  const out = new Float32Array(count * plane * 3);
  const scale = 1 / 255;
  for await (const chunk of image.frames(options)) {
    for (let f = 0; f < chunk.count; f++) {
      const index = chunk.start + f - first;
      if (index < 0) continue;
      if (index >= count) break;
      const src = chunk.data.subarray(f * plane * 3, (f + 1) * plane * 3);
      const base = index * plane * 3;
      if (layout === 'BHWC') {
        for (let i = 0; i < src.length; i++) out[base + i] = src[i]! * scale;
      } else {
        for (let p = 0; p < plane; p++) {
          out[base + p] = src[p * 3]! * scale;
          out[base + plane + p] = src[p * 3 + 1]! * scale;
          out[base + 2 * plane + p] = src[p * 3 + 2]! * scale;
        }
      }
    }
    if (chunk.start + chunk.count >= first + count) break;
  }
  return { data: out, shape: layout === 'BHWC' ? [count, height, width, 3] : [count, 3, height, width] };
}

/** A lazy per-chunk transform (resize, crop...) to frames of a new size. */
export function mapFrames(
  image: Image,
  size: { width: number; height: number; origin: string },
  transform: (chunk: FrameChunk, options: FrameReadOptions) => Uint8Array | Promise<Uint8Array>,
): Image {
  return lazyImage({ count: image.count, width: size.width, height: size.height, origin: size.origin }, async function* (options) {
    for await (const chunk of image.frames(options)) {
      yield { start: chunk.start, count: chunk.count, data: await transform(chunk, options) };
    }
  });
}

/** Frames `start .. start+count-1` of `chunks` (frames of `bytes` each), renumbered from 0. */
async function* sliceChunks(chunks: AsyncIterable<FrameChunk>, start: number, count: number, bytes: number): AsyncGenerator<FrameChunk> {
  const end = start + count;
  for await (const chunk of chunks) {
    const from = Math.max(start, chunk.start);
    const to = Math.min(end, chunk.start + chunk.count);
    if (to > from) yield { start: from - start, count: to - from, data: chunk.data.subarray((from - chunk.start) * bytes, (to - chunk.start) * bytes) };
    if (chunk.start + chunk.count >= end) break;
  }
}

/** Frames `start .. start+count-1` of an image, read lazily (in the decoder's format too, when it has one). */
export function sliceImage(image: Image, start: number, count: number): Image {
  const native = image.native;
  return lazyImage(
    {
      count,
      width: image.width,
      height: image.height,
      origin: `frames ${start}..${start + count - 1} of ${image.describe()}`,
      ...(native && { native: { ...native, source: (options: FrameReadOptions) => sliceChunks(native.frames(options), start, count, native.frameBytes) } }),
    },
    (options) => sliceChunks(image.frames(options), start, count, frameBytes(image)),
  );
}

/** The frames of `first` followed by those of `second` (same size), read lazily. */
export function concatImages(first: Image, second: Image): Image {
  if (first.width !== second.width || first.height !== second.height) {
    throw new RangeError(`cannot batch images of different sizes (${first.width}x${first.height} and ${second.width}x${second.height})`);
  }
  return lazyImage({ count: first.count + second.count, width: first.width, height: first.height, origin: 'batch' }, async function* (options) {
    yield* first.frames(options);
    for await (const chunk of second.frames(options)) yield { ...chunk, start: chunk.start + first.count };
  });
}

// ---- MASK ---------------------------------------------------------------------------------------

export function mask(data: Float32Array, count: number, width: number, height: number): Mask {
  checkSize('MASK', count, width, height);
  if (data.length !== count * width * height) throw new RangeError(`MASK: ${data.length} values is not ${count}x${height}x${width}`);
  return { type: 'MASK', count, width, height, data, describe: () => `MASK ${count}x${height}x${width}` };
}

// ---- AUDIO --------------------------------------------------------------------------------------

/** AUDIO from planar samples in memory, `[1, channels, samples]` (or `[channels, samples]`). */
export function audioFromWaveform(waveform: Tensor<Float32Array>, sampleRate: number): Audio {
  const shape = waveform.shape.length === 2 ? [1, ...waveform.shape] : [...waveform.shape];
  if (shape.length !== 3 || shape[0] !== 1) throw new RangeError(`AUDIO waveform must be [1, channels, samples], got [${waveform.shape.join(', ')}]`);
  const [, channels, samples] = shape as [number, number, number];
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`AUDIO sample rate must be a positive integer, got ${sampleRate}`);
  if (waveform.data.length !== channels * samples) throw new RangeError('AUDIO waveform data does not match its shape');
  const tensor: Tensor<Float32Array> = { data: waveform.data, shape };
  return {
    type: 'AUDIO',
    sampleRate,
    channels,
    durationSeconds: samples / sampleRate,
    waveform: async () => tensor,
    describe: () => `AUDIO ${channels}ch ${sampleRate} Hz ${(samples / sampleRate).toFixed(3)} s`,
  };
}

// ---- VIDEO --------------------------------------------------------------------------------------

export function videoFromComponents(images: Image, fps: Rational, audio: Audio | null = null): Video {
  const seconds = (images.count * fps.den) / fps.num;
  return {
    type: 'VIDEO',
    images,
    audio,
    fps,
    width: images.width,
    height: images.height,
    frameCount: images.count,
    durationSeconds: seconds,
    describe: () =>
      `VIDEO ${images.width}x${images.height} ${images.count} frames @ ${formatRational(fps)} fps${audio ? ` + ${audio.describe()}` : ''}`,
  };
}

/** A rectangle of every frame in `data` (`frames` frames of `from` size), copied out. */
export function cropFrames(
  data: Uint8Array,
  frames: number,
  from: { width: number; height: number },
  rect: { x: number; y: number; width: number; height: number },
): Uint8Array {
  const out = new Uint8Array(frames * rect.width * rect.height * 3);
  const rowBytes = rect.width * 3;
  for (let f = 0; f < frames; f++) {
    for (let y = 0; y < rect.height; y++) {
      const src = ((f * from.height + rect.y + y) * from.width + rect.x) * 3;
      out.set(data.subarray(src, src + rowBytes), (f * rect.height + y) * rowBytes);
    }
  }
  return out;
}
