/** Bad media or bad media settings, reported with the node and input they came through. */
export class MediaError extends Error {
  override name = 'MediaError';
}

export function inputError(node: string, input: string, reason: string): MediaError {
  return new MediaError(`${node}: input "${input}": ${reason}`);
}

/** ComfyUI's MAX_RESOLUTION: no side of an image or video may exceed it. */
export const MAX_SIDE = 16384;
/** Frames above this many pixels (8192x8192) are refused: one RGB frame would take 200 MB. */
export const MAX_FRAME_PIXELS = 8192 * 8192;

export function sizeProblem(width: number, height: number): string | undefined {
  if (!(width > 0 && height > 0)) return `has no valid frame size (${width}x${height})`;
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_FRAME_PIXELS) {
    return `frame size ${width}x${height} is too large (at most ${MAX_SIDE} per side and ${MAX_FRAME_PIXELS / (1 << 20)} megapixels)`;
  }
  return undefined;
}
