// Animated images and WebM clips written by ffmpeg from a stream of frames (nothing holds the whole
// clip), and ComfyUI's metadata added to the finished file: for animated WebP an EXIF chunk (the
// prompt in the Model tag, each extra_pnginfo entry in Make, then the tags below it), for APNG
// private `comf` chunks after the image data. Both are patched into the file in place.
import { open, stat } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { rational, type Rational } from '../../types/data.ts';
import { inputError } from './errors.ts';
import { ffmpegEncoders } from './ffmpeg.ts';
import type { MediaTools } from './tools.ts';

/** Fails with a message naming the node, the codec and the fix when ffmpeg lacks `encoder`. */
export async function requireEncoder(tools: MediaTools, encoder: string, node: string, input: string, what: string): Promise<void> {
  let encoders: Set<string>;
  try {
    encoders = await ffmpegEncoders(tools);
  } catch (error) {
    throw inputError(node, input, `cannot list the encoders of ${tools.ffmpeg}: ${(error as Error).message}`);
  }
  if (!encoders.has(encoder)) {
    throw inputError(
      node,
      input,
      `${what} needs ffmpeg's ${encoder} encoder, which ${tools.ffmpeg} (${tools.origin}) was built without; install an ffmpeg that has it (Debian/Ubuntu: apt-get install ffmpeg) or point FLASHGRAPH_FFMPEG and FLASHGRAPH_FFPROBE at one`,
    );
  }
}

/**
 * ComfyUI (through Pillow) gives every frame `int(1000 / fps)` milliseconds; the frames go into
 * ffmpeg at the matching rate, 1000/duration, so the file carries that exact delay.
 */
export function animationFrameMs(fps: number): number {
  return Math.max(1, Math.trunc(1000 / fps));
}

export function animationRate(fps: number): Rational {
  return rational(1000, animationFrameMs(fps));
}

/** Python's json.dumps escapes every non-ASCII character; the same text in JSON, ASCII only. */
export function asciiJson(json: string): string {
  return json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface AnimatedWebpSettings {
  lossless: boolean;
  quality: number;
  /** libwebp's method, 0 (fastest) .. 6 (slowest). */
  method: number;
}

export function webpOptions(s: AnimatedWebpSettings): string[] {
  return ['-c:v', 'libwebp_anim', '-lossless', s.lossless ? '1' : '0', '-quality', String(s.quality), '-compression_level', String(s.method), '-pix_fmt', 'bgra', '-loop', '0', '-an'];
}

export function apngOptions(compressLevel: number): string[] {
  return ['-c:v', 'apng', '-compression_level', String(compressLevel), '-pix_fmt', 'rgb24', '-plays', '0', '-an'];
}

/** A little-endian TIFF with one IFD of ASCII tags (what Pillow writes as WebP EXIF). */
export function exifAsciiTags(tags: Map<number, string>): Buffer {
  const entries = [...tags.entries()].sort(([a], [b]) => a - b);
  const ifdSize = 2 + entries.length * 12 + 4;
  const values = entries.map(([, text]) => Buffer.from(`${text}\0`, 'latin1'));
  let dataOffset = 8 + ifdSize;
  const head = Buffer.alloc(8 + ifdSize);
  head.write('II', 0, 'latin1');
  head.writeUInt16LE(42, 2);
  head.writeUInt32LE(8, 4);
  head.writeUInt16LE(entries.length, 8);
  const data: Buffer[] = [];
  entries.forEach(([tag], i) => {
    const at = 10 + i * 12;
    const value = values[i]!;
    head.writeUInt16LE(tag, at);
    head.writeUInt16LE(2, at + 2);
    head.writeUInt32LE(value.length, at + 4);
    if (value.length <= 4) value.copy(head, at + 8);
    else {
      head.writeUInt32LE(dataOffset, at + 8);
      data.push(value);
      dataOffset += value.length;
      if (value.length % 2) {
        data.push(Buffer.alloc(1));
        dataOffset++;
      }
    }
  });
  head.writeUInt32LE(0, 8 + 2 + entries.length * 12);
  return Buffer.concat([head, ...data]);
}

/** ComfyUI's WebP tags: Model (0x0110) = "prompt:<json>", Make (0x010F) and down = "<key>:<json>". */
export function comfyWebpExif(metadata: Record<string, string>): Buffer | undefined {
  const tags = new Map<number, string>();
  let next = 0x010f;
  for (const [key, json] of Object.entries(metadata)) {
    if (key === 'prompt') tags.set(0x0110, `prompt:${asciiJson(json)}`);
    else tags.set(next--, `${key}:${asciiJson(json)}`);
  }
  return tags.size ? exifAsciiTags(tags) : undefined;
}

function riffChunk(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(type, 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

/**
 * Adds an EXIF chunk to a WebP file: with a VP8X header (animations), by setting its EXIF flag,
 * appending the chunk and fixing the RIFF size in place; a still (single-frame) file gets a VP8X
 * header first, which rewrites it (it is one frame).
 */
export async function addWebpExif(path: string, exif: Buffer, size: { width: number; height: number }): Promise<void> {
  const file = await open(path, 'r+');
  try {
    const header = Buffer.alloc(21);
    await file.read(header, 0, 21, 0);
    if (header.toString('latin1', 0, 4) !== 'RIFF' || header.toString('latin1', 8, 12) !== 'WEBP') throw new Error('not a WebP file');
    const chunk = riffChunk('EXIF', exif);
    if (header.toString('latin1', 12, 16) === 'VP8X') {
      const end = (await file.stat()).size;
      await file.write(Buffer.from([header[20]! | 0x08]), 0, 1, 20);
      await file.write(chunk, 0, chunk.length, end);
      const riffSize = Buffer.alloc(4);
      riffSize.writeUInt32LE(end + chunk.length - 8);
      await file.write(riffSize, 0, 4, 4);
      return;
    }
    const whole = Buffer.alloc((await file.stat()).size);
    await file.read(whole, 0, whole.length, 0);
    const vp8x = Buffer.alloc(10);
    vp8x[0] = 0x08;
    vp8x.writeUIntLE(size.width - 1, 4, 3);
    vp8x.writeUIntLE(size.height - 1, 7, 3);
    const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), riffChunk('VP8X', vp8x), whole.subarray(12), chunk]);
    const riff = Buffer.alloc(8);
    riff.write('RIFF', 0, 'latin1');
    riff.writeUInt32LE(body.length, 4);
    const out = Buffer.concat([riff, body]);
    await file.write(out, 0, out.length, 0);
  } finally {
    await file.close();
  }
}

function pngChunk(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const typeBytes = Buffer.from(type, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([typeBytes, body])) >>> 0);
  return Buffer.concat([length, typeBytes, body, crc]);
}

/** ComfyUI's APNG metadata: one private `comf` chunk per entry ("<key>\0<json>"), after the image data. */
export function comfyPngChunks(metadata: Record<string, string>): Buffer {
  return Buffer.concat(
    Object.entries(metadata).map(([key, json]) => pngChunk('comf', Buffer.concat([Buffer.from(key, 'latin1'), Buffer.from([0]), Buffer.from(asciiJson(json), 'latin1')]))),
  );
}

/** Puts `chunks` just before a PNG's IEND (the last 12 bytes), in place. */
export async function insertBeforeIend(path: string, chunks: Buffer): Promise<void> {
  if (chunks.length === 0) return;
  const { size } = await stat(path);
  const file = await open(path, 'r+');
  try {
    const iend = Buffer.alloc(12);
    await file.read(iend, 0, 12, size - 12);
    if (iend.toString('latin1', 4, 8) !== 'IEND') throw new Error('the PNG does not end with IEND');
    const tail = Buffer.concat([chunks, iend]);
    await file.write(tail, 0, tail.length, size - 12);
  } finally {
    await file.close();
  }
}
