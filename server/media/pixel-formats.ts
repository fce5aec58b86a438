// Sizes of raw frames in the pixel formats that travel undecoded to RGB between a decoder and an
// encoder (IMAGE.native). ffmpeg's rawvideo packs the planes without padding; chroma planes of
// subsampled formats round their sides up (a 63x47 yuv420p frame has 32x24 chroma planes).

/** Bytes per sample, horizontal and vertical chroma subsampling (as shifts), planes of chroma. */
interface Layout {
  bytes: 1 | 2;
  /** log2 of the horizontal and vertical chroma subsampling. */
  chroma?: [x: number, y: number];
}

const LAYOUTS: Record<string, Layout> = {
  gray: { bytes: 1 },
  yuv420p: { bytes: 1, chroma: [1, 1] },
  yuvj420p: { bytes: 1, chroma: [1, 1] },
  // Semi-planar: one interleaved UV plane holds the same bytes as two planar ones.
  nv12: { bytes: 1, chroma: [1, 1] },
  nv21: { bytes: 1, chroma: [1, 1] },
  yuv422p: { bytes: 1, chroma: [1, 0] },
  yuvj422p: { bytes: 1, chroma: [1, 0] },
  yuv444p: { bytes: 1, chroma: [0, 0] },
  yuvj444p: { bytes: 1, chroma: [0, 0] },
  yuv420p10le: { bytes: 2, chroma: [1, 1] },
  yuv422p10le: { bytes: 2, chroma: [1, 0] },
  yuv444p10le: { bytes: 2, chroma: [0, 0] },
};

/** The pixel formats frames may travel in undecoded to RGB. */
export const NATIVE_PIXEL_FORMATS: readonly string[] = Object.keys(LAYOUTS);

/** Bytes of one `width`x`height` frame in `pixFmt`, or undefined for a format not listed here. */
export function rawFrameBytes(pixFmt: string, width: number, height: number): number | undefined {
  const layout = Object.hasOwn(LAYOUTS, pixFmt) ? LAYOUTS[pixFmt]! : undefined;
  if (!layout) return undefined;
  const luma = width * height;
  if (!layout.chroma) return luma * layout.bytes;
  const [sx, sy] = layout.chroma;
  const chroma = Math.ceil(width / 2 ** sx) * Math.ceil(height / 2 ** sy);
  return (luma + 2 * chroma) * layout.bytes;
}
