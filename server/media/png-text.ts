// PNG text chunks, which sharp neither writes nor reads reliably (it misreads UTF-8 iTXt): the
// `prompt` and `workflow` ComfyUI stores in images. Written as PIL writes them (tEXt when the text
// is Latin-1, else uncompressed iTXt) and read back from tEXt, zTXt and iTXt, as PIL's `.text`.
import { crc32, inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Where IHDR ends: the signature, then IHDR's length, type, 13 data bytes and CRC. */
const IHDR_END = 8 + 4 + 4 + 13 + 4;
/** A compressed text larger than this is skipped (a decompression bomb in an uploaded file). */
const MAX_TEXT_BYTES = 64 * 1024 * 1024;

/** The PNG with `texts` as chunks right after IHDR (a PNG without texts is returned as it is). */
export function withPngTexts(png: Buffer, texts: Record<string, string>): Buffer {
  const entries = Object.entries(texts);
  if (entries.length === 0) return png;
  return Buffer.concat([png.subarray(0, IHDR_END), ...entries.map(([k, v]) => textChunk(k, v)), png.subarray(IHDR_END)]);
}

function textChunk(keyword: string, text: string): Buffer {
  const key = Buffer.from(keyword.slice(0, 79), 'latin1');
  const latin1 = /^[\u0000-\u00ff]*$/.test(text);
  const body = latin1
    ? Buffer.concat([key, Buffer.from([0]), Buffer.from(text, 'latin1')])
    : Buffer.concat([key, Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, 'utf8')]);
  const type = Buffer.from(latin1 ? 'tEXt' : 'iTXt', 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, body])) >>> 0);
  return Buffer.concat([length, type, body, crc]);
}

/** The text chunks of a PNG file's bytes, keyword -> text; {} for anything that is not a PNG. */
export function readPngTexts(file: Buffer): Record<string, string> {
  const texts: Record<string, string> = {};
  if (file.length < SIGNATURE.length || !file.subarray(0, 8).equals(SIGNATURE)) return texts;
  let at = 8;
  while (at + 12 <= file.length) {
    const length = file.readUInt32BE(at);
    const type = file.toString('latin1', at + 4, at + 8);
    const end = at + 8 + length;
    if (end + 4 > file.length || type === 'IEND') break;
    const data = file.subarray(at + 8, end);
    try {
      const text = decodeText(type, data);
      if (text) texts[text[0]] = text[1];
    } catch {
      // A damaged text chunk is left out, as PIL does.
    }
    at = end + 4;
  }
  return texts;
}

function decodeText(type: string, data: Buffer): [string, string] | undefined {
  const nul = data.indexOf(0);
  if (nul <= 0) return undefined;
  const keyword = data.toString('latin1', 0, nul);
  if (type === 'tEXt') return [keyword, data.toString('latin1', nul + 1)];
  if (type === 'zTXt') return [keyword, inflateSync(data.subarray(nul + 2), { maxOutputLength: MAX_TEXT_BYTES }).toString('latin1')];
  if (type !== 'iTXt') return undefined;
  const compressed = data[nul + 1] === 1;
  const language = data.indexOf(0, nul + 3);
  const translated = language < 0 ? -1 : data.indexOf(0, language + 1);
  if (translated < 0) return undefined;
  const body = data.subarray(translated + 1);
  return [keyword, (compressed ? inflateSync(body, { maxOutputLength: MAX_TEXT_BYTES }) : body).toString('utf8')];
}
