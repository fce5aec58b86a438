// Workflows embedded in media files, read where ComfyUI's save nodes write them and its frontend
// reads them (ComfyUI_frontend v1.27.10: src/scripts/pnginfo.ts, src/scripts/metadata/png.ts,
// flac.ts, isobmff.ts, ebml.ts; src/scripts/app.ts handleFile): PNG text chunks (tEXt, iTXt and
// APNG's private `comf`), WebP's EXIF entries ("workflow:<json>" in IFD0), MP4/MOV metadata keys
// (moov/udta/meta keys + ilst, as ffmpeg's use_metadata_tags writes them), WebM/Matroska
// SimpleTags (PROMPT, WORKFLOW), FLAC Vorbis comments. Pure: bytes in, texts out.

export type EmbeddingFormat = 'png' | 'webp' | 'mp4' | 'webm' | 'flac';

export interface EmbeddedTexts {
  format: EmbeddingFormat;
  /** The entries found, keys lower-cased (`workflow`, `prompt`, ...). */
  texts: Record<string, string>;
}

/** The container a file's first bytes announce, among those that carry workflows. */
export function embeddingFormat(bytes: Uint8Array): EmbeddingFormat | undefined {
  const ascii = (at: number, length: number) => String.fromCharCode(...bytes.subarray(at, at + length));
  if (bytes[0] === 0x89 && ascii(1, 3) === 'PNG') return 'png';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') return 'webp';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return 'webm';
  if (['ftyp', 'moov', 'mdat', 'free', 'wide'].includes(ascii(4, 4))) return 'mp4';
  return undefined;
}

/** The text entries of a media file that can carry a workflow; undefined for other files. */
export function embeddedTexts(bytes: Uint8Array): EmbeddedTexts | undefined {
  const format = embeddingFormat(bytes);
  if (!format) return undefined;
  const texts: Record<string, string> = {};
  const add = (key: string, value: string) => {
    const name = key.trim().toLowerCase();
    if (name && !Object.hasOwn(texts, name)) texts[name] = value.replace(/\0+$/, '');
  };
  try {
    READERS[format](bytes, add);
  } catch (error) {
    // A truncated or damaged file: what was read before the damage stands.
    if (!(error instanceof RangeError)) throw error;
  }
  return { format, texts };
}

type Add = (key: string, value: string) => void;

const READERS: Record<EmbeddingFormat, (bytes: Uint8Array, add: Add) => void> = { png: readPng, webp: readWebp, mp4: readMp4, webm: readWebm, flac: readFlac };

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function indexOfZero(bytes: Uint8Array, from: number, end: number): number {
  const at = bytes.subarray(from, end).indexOf(0);
  return at < 0 ? -1 : from + at;
}

/** PNG chunks: tEXt (Latin-1), iTXt (UTF-8, uncompressed), `comf` (ComfyUI's APNG entries). */
function readPng(bytes: Uint8Array, add: Add): void {
  const data = view(bytes);
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = data.getUint32(at);
    const type = latin1.decode(bytes.subarray(at + 4, at + 8));
    const start = at + 8;
    const end = Math.min(start + length, bytes.length);
    if (type === 'tEXt' || type === 'comf' || type === 'iTXt') {
      const keyEnd = indexOfZero(bytes, start, end);
      if (keyEnd > start) {
        const key = latin1.decode(bytes.subarray(start, keyEnd));
        if (type === 'iTXt') {
          // compression flag, method, language\0, translated keyword\0, text
          const compressed = bytes[keyEnd + 1] === 1;
          const languageEnd = indexOfZero(bytes, keyEnd + 3, end);
          const translatedEnd = languageEnd < 0 ? -1 : indexOfZero(bytes, languageEnd + 1, end);
          if (!compressed && translatedEnd >= 0) add(key, utf8.decode(bytes.subarray(translatedEnd + 1, end)));
        } else add(key, (type === 'comf' ? utf8 : latin1).decode(bytes.subarray(keyEnd + 1, end)));
      }
    }
    if (type === 'IEND') break;
    at = start + length + 4;
  }
}

/** WebP: the EXIF chunk's IFD0 ASCII entries, each "key:value" (ComfyUI's SaveAnimatedWEBP). */
function readWebp(bytes: Uint8Array, add: Add): void {
  const data = view(bytes);
  for (let at = 12; at + 8 <= bytes.length; ) {
    const type = latin1.decode(bytes.subarray(at, at + 4));
    const length = data.getUint32(at + 4, true);
    if (type === 'EXIF') {
      let start = at + 8;
      if (latin1.decode(bytes.subarray(start, start + 6)) === 'Exif\0\0') start += 6;
      readExifStrings(bytes.subarray(start, at + 8 + length), (text) => {
        const colon = text.indexOf(':');
        if (colon > 0) add(text.slice(0, colon), text.slice(colon + 1));
      });
      return;
    }
    at += 8 + length + (length % 2);
  }
}

function readExifStrings(tiff: Uint8Array, found: (text: string) => void): void {
  const data = view(tiff);
  const little = latin1.decode(tiff.subarray(0, 2)) === 'II';
  const ifd = data.getUint32(4, little);
  const count = data.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (data.getUint16(entry + 2, little) !== 2) continue;
    const length = data.getUint32(entry + 4, little);
    const start = length <= 4 ? entry + 8 : data.getUint32(entry + 8, little);
    found(utf8.decode(tiff.subarray(start, start + Math.max(0, length - 1))));
  }
}

/** ISO BMFF (MP4, MOV): moov/udta/meta (or moov/meta) with `keys` naming the `ilst` items. */
function readMp4(bytes: Uint8Array, add: Add): void {
  const data = view(bytes);
  const boxes = (start: number, end: number): { type: string; start: number; end: number }[] => {
    const list = [];
    for (let at = start; at + 8 <= end; ) {
      let size = data.getUint32(at);
      let header = 8;
      if (size === 1) {
        size = Number(data.getBigUint64(at + 8));
        header = 16;
      } else if (size === 0) size = end - at;
      if (size < header) break;
      list.push({ type: latin1.decode(bytes.subarray(at + 4, at + 8)), start: at + header, end: Math.min(at + size, end) });
      at += size;
    }
    return list;
  };
  const moov = boxes(0, bytes.length).find((box) => box.type === 'moov');
  if (!moov) return;
  const inMoov = boxes(moov.start, moov.end);
  const metas = [...inMoov, ...inMoov.filter((box) => box.type === 'udta').flatMap((udta) => boxes(udta.start, udta.end))].filter((box) => box.type === 'meta');
  for (const meta of metas) {
    // MP4's meta is a full box (version and flags first); QuickTime's is not.
    const children = latin1.decode(bytes.subarray(meta.start + 4, meta.start + 8)) === 'hdlr' ? boxes(meta.start, meta.end) : boxes(meta.start + 4, meta.end);
    const keys = children.find((box) => box.type === 'keys');
    const ilst = children.find((box) => box.type === 'ilst');
    if (!keys || !ilst) continue;
    const names = new Map<number, string>();
    const count = data.getUint32(keys.start + 4);
    for (let i = 1, at = keys.start + 8; i <= count && at + 8 <= keys.end; i++) {
      const size = data.getUint32(at);
      if (size < 8) break;
      names.set(i, utf8.decode(bytes.subarray(at + 8, at + size)));
      at += size;
    }
    for (let at = ilst.start; at + 8 <= ilst.end; ) {
      const size = data.getUint32(at);
      if (size < 8) break;
      const name = names.get(data.getUint32(at + 4));
      const value = boxes(at + 8, at + size).find((box) => box.type === 'data');
      // data: type indicator (4 bytes) and locale (4 bytes) before the value.
      if (name && value) add(name, utf8.decode(bytes.subarray(value.start + 8, value.end)));
      at += size;
    }
  }
}

const EBML = { segment: 0x18538067, tags: 0x1254c367, tag: 0x7373, simpleTag: 0x67c8, tagName: 0x45a3, tagString: 0x4487 };

/** Matroska/WebM: Segment > Tags > Tag > SimpleTag (TagName, TagString). */
function readWebm(bytes: Uint8Array, add: Add): void {
  const element = (at: number) => {
    const id = vint(bytes, at, true);
    const size = vint(bytes, at + id.length, false);
    const start = at + id.length + size.length;
    return { id: id.value, start, end: size.value < 0 ? bytes.length : Math.min(bytes.length, start + size.value), unknownSize: size.value < 0 };
  };
  const children = function* (start: number, end: number) {
    for (let at = start; at < end; ) {
      const child = element(at);
      yield child;
      if (child.unknownSize) return;
      at = child.end;
    }
  };
  for (const top of children(0, bytes.length)) {
    if (top.id !== EBML.segment) continue;
    for (const part of children(top.start, top.end)) {
      if (part.id !== EBML.tags) continue;
      for (const tag of children(part.start, part.end)) {
        if (tag.id !== EBML.tag) continue;
        for (const simple of children(tag.start, tag.end)) {
          if (simple.id !== EBML.simpleTag) continue;
          let name: string | undefined;
          let value: string | undefined;
          for (const field of children(simple.start, simple.end)) {
            if (field.id === EBML.tagName) name = utf8.decode(bytes.subarray(field.start, field.end));
            if (field.id === EBML.tagString) value = utf8.decode(bytes.subarray(field.start, field.end));
          }
          if (name !== undefined && value !== undefined) add(name, value);
        }
      }
    }
  }
}

/** An EBML variable-length integer; ids keep their marker bit; sizes of all ones are unknown (-1). */
function vint(bytes: Uint8Array, at: number, keepMarker: boolean): { value: number; length: number } {
  const first = bytes[at];
  if (first === undefined || first === 0) throw new RangeError(`bad EBML number at ${at}`);
  const length = Math.clz32(first) - 23;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const byte = bytes[at + i];
    if (byte === undefined) throw new RangeError('EBML number past the end');
    value = value * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { value: !keepMarker && allOnes ? -1 : value, length };
}

/** FLAC: the VORBIS_COMMENT metadata block's "KEY=value" comments. */
function readFlac(bytes: Uint8Array, add: Add): void {
  const data = view(bytes);
  for (let at = 4; at + 4 <= bytes.length; ) {
    const header = bytes[at]!;
    const length = data.getUint32(at) & 0xffffff;
    const start = at + 4;
    if ((header & 0x7f) === 4) {
      let p = start + 4 + data.getUint32(start, true);
      const count = data.getUint32(p, true);
      p += 4;
      for (let i = 0; i < count; i++) {
        const size = data.getUint32(p, true);
        const comment = utf8.decode(bytes.subarray(p + 4, p + 4 + size));
        const equals = comment.indexOf('=');
        if (equals > 0) add(comment.slice(0, equals), comment.slice(equals + 1));
        p += 4 + size;
      }
    }
    if (header & 0x80) break;
    at = start + length;
  }
}

export interface EmbeddedWorkflow {
  format: EmbeddingFormat;
  /** The UI workflow (preferred, as ComfyUI's frontend does) or else the API prompt, parsed. */
  data?: unknown;
  /** Which entry `data` came from. */
  source?: 'workflow' | 'prompt';
  /** Why an entry that was there could not be used. */
  problem?: string;
}

/** The workflow a media file carries, if any; undefined when the file is no such media. */
export function embeddedWorkflow(bytes: Uint8Array): EmbeddedWorkflow | undefined {
  const found = embeddedTexts(bytes);
  if (!found) return undefined;
  let problem: string | undefined;
  for (const source of ['workflow', 'prompt'] as const) {
    const text = found.texts[source];
    if (text === undefined) continue;
    try {
      return { format: found.format, data: JSON.parse(text) as unknown, source };
    } catch (error) {
      problem ??= `its ${source} entry is not valid JSON (${(error as Error).message})`;
    }
  }
  return { format: found.format, ...(problem !== undefined && { problem }) };
}
