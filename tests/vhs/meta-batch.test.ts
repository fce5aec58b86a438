// VHS_BatchManager in FlashGraph: one unbatched run. Loaders and Video Combine with a meta_batch
// connected give exactly what they give without it; a frames_per_batch that breaks a load format's
// frame rule is refused as VHS refuses it.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { materialize, type Image } from '../../types/data.ts';
import { executionError, runPrompt } from '../media/helpers.ts';
import { loadInputs, recorder, vhsEngine, type VhsFixture } from './helpers.ts';

let f: VhsFixture;
const rec = recorder();

beforeAll(async () => {
  f = await vhsEngine([rec.node]);
}, 60_000);

function combinePrompt(withBatch: boolean, prefix: string) {
  const batch = withBatch ? { meta_batch: ['m', 0] } : {};
  return {
    m: { class_type: 'VHS_BatchManager', inputs: { frames_per_batch: 4 } },
    l: { class_type: 'VHS_LoadVideo', inputs: loadInputs('clip.mp4', { frame_load_cap: 10, ...batch }) },
    c: { class_type: 'VHS_VideoCombine', inputs: { images: ['l', 0], frame_rate: 8, loop_count: 0, filename_prefix: prefix, format: 'image/gif', pingpong: false, save_output: true, ...batch } },
    r: { class_type: 'VhsTestRecord', inputs: { value: ['c', 0] } },
  };
}

describe('VHS_BatchManager', () => {
  it('a meta-batched Load Video -> Video Combine writes the same file as the unbatched run', async () => {
    const plain = await runPrompt(f.engine, combinePrompt(false, 'plain'));
    expect(executionError(plain)).toBeUndefined();
    const plainFiles = (rec.values.r as [boolean, string[]])[1];
    const batched = await runPrompt(f.engine, combinePrompt(true, 'batched'));
    expect(executionError(batched)).toBeUndefined();
    const batchedFiles = (rec.values.r as [boolean, string[]])[1];
    const gif = (files: string[]) => readFileSync(files.find((p) => p.endsWith('.gif'))!);
    expect(gif(batchedFiles).equals(gif(plainFiles))).toBe(true);
  });

  it('the loaders give every frame with a meta_batch connected', async () => {
    const entry = await runPrompt(f.engine, {
      m: { class_type: 'VHS_BatchManager', inputs: { frames_per_batch: 3 } },
      l: { class_type: 'VHS_LoadVideoFFmpeg', inputs: { video: 'clip.mp4', force_rate: 0, custom_width: 0, custom_height: 0, frame_load_cap: 7, start_time: 0, format: 'None', meta_batch: ['m', 0] } },
      r: { class_type: 'VhsTestRecord', inputs: { value: ['l', 0] } },
    });
    expect(executionError(entry)).toBeUndefined();
    const image = rec.values.r as Image;
    expect(image.count).toBe(7);
    expect((await materialize(image)).data.length).toBe(7 * 160 * 120 * 3);
  });

  it('refuses a frames_per_batch the load format cannot take, with VHS suggestion', async () => {
    const entry = await runPrompt(f.engine, {
      m: { class_type: 'VHS_BatchManager', inputs: { frames_per_batch: 16 } },
      l: { class_type: 'VHS_LoadVideo', inputs: loadInputs('clip.mp4', { format: 'Wan', meta_batch: ['m', 0] }) },
      r: { class_type: 'VhsTestRecord', inputs: { value: ['l', 0] } },
    });
    expect(String(executionError(entry)?.exception_message)).toContain('VHS_LoadVideo: input "meta_batch": The chosen frames per batch is incompatible with the selected format. Try 17');
  });
});
