// The image re-encodings /view offers: `preview=webp;90|jpeg;80` and `channel=rgb|a`.
import sharp from 'sharp';

export interface PreviewRequest {
  /** `preview` as sent: `<format>[;<quality>]`. */
  preview?: string;
  channel?: string;
}

export interface Encoded {
  bytes: Buffer;
  contentType: string;
}

/** Whether the request asks for a re-encoding at all (else the file is sent as it is). */
export function wantsConversion({ preview, channel }: PreviewRequest): boolean {
  return preview !== undefined || channel === 'rgb' || channel === 'a';
}

/**
 * ComfyUI's rules: a preview is webp or jpeg (anything else, or a channel naming alpha, means
 * webp), quality from the last `;` part (default 90); jpeg or `channel=rgb` drop the alpha channel.
 * Without `preview`, `channel=rgb` is a PNG without alpha and `channel=a` a PNG whose alpha is the
 * source's (opaque when it has none) over black.
 */
export async function convertImage(path: string, { preview, channel = '' }: PreviewRequest): Promise<Encoded> {
  // Only the first frame of animations, as PIL does.
  const source = () => sharp(path, { animated: false });
  if (preview !== undefined) {
    const parts = preview.split(';');
    const format = parts[0] === 'jpeg' && !channel.includes('a') ? 'jpeg' : 'webp';
    const last = parts.at(-1) ?? '';
    const quality = /^\d+$/.test(last) ? Math.min(100, Math.max(1, Number(last))) : 90;
    let image = source();
    if (format === 'jpeg' || channel === 'rgb') image = image.removeAlpha();
    const bytes = await (format === 'jpeg' ? image.jpeg({ quality }) : image.webp({ quality })).toBuffer();
    return { bytes, contentType: `image/${format}` };
  }
  if (channel === 'rgb') {
    return { bytes: await source().removeAlpha().png().toBuffer(), contentType: 'image/png' };
  }
  const { data, info } = await source().ensureAlpha().extractChannel(3).raw().toBuffer({ resolveWithObject: true });
  const bytes = await sharp({ create: { width: info.width, height: info.height, channels: 3, background: { r: 0, g: 0, b: 0 } } })
    .joinChannel(data, { raw: { width: info.width, height: info.height, channels: 1 } })
    .png()
    .toBuffer();
  return { bytes, contentType: 'image/png' };
}
