// SaveImageWebsocket (ComfyUI's custom_nodes/websocket_image_save.py): full-size images to the
// client that queued the prompt, as binary WebSocket frames instead of files. Each frame goes out
// exactly like a sampler preview, with a progress message first: `[1][2][PNG bytes]` (event type 1,
// image format 2 = PNG, both big-endian u32) for clients without feature flags, or the type 4
// frame with its metadata for clients that negotiated `supports_preview_metadata`. Nothing is
// written to disk and the PNGs carry no metadata.
import { frameBytes, type Image } from '../../types/data.ts';
import { encodePng } from '../../server/media/image-file.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';

/** ComfyUI's server encodes these previews with PIL's compress_level=1 (server.py send_image). */
const PNG_COMPRESSION = 1;

export const SaveImageWebsocket: NodeDefinition = {
  type: 'SaveImageWebsocket',
  displayName: 'SaveImageWebsocket',
  description: 'Sends the images to the client that queued the prompt as binary WebSocket frames (PNG), without saving them.',
  category: 'api/image',
  outputNode: true,
  inputs: { required: { images: { type: 'IMAGE' } } },
  // ComfyUI's IS_CHANGED returns the time: the images are sent again on every run.
  isChanged: () => NaN,
  async execute({ images }, ctx) {
    const batch = images as Image;
    const bytes = frameBytes(batch);
    for await (const chunk of batch.frames({ signal: ctx.signal })) {
      for (let f = 0; f < chunk.count; f++) {
        const png = await encodePng(chunk.data.subarray(f * bytes, (f + 1) * bytes), batch.width, batch.height, PNG_COMPRESSION);
        // ComfyUI reports step i of n with the image (update_absolute(step, total, preview)), from 0.
        ctx.progress(chunk.start + f, batch.count, { format: 'PNG', bytes: png });
      }
    }
    // ComfyUI returns {}: no UI output, so no `executed` message and nothing in history outputs.
    return [];
  },
};
