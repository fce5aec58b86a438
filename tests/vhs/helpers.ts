// Shared set-up of the VHS tests: an engine with the VHS pack and a few clips in its input folder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { nodes as vhsNodes } from '../../nodes/vhs/index.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { startEngine, tempDir, type TestEngine } from '../helpers/engine.ts';
import { makeClip } from '../media/helpers.ts';

export interface VhsFixture {
  base: string;
  input: string;
  engine: TestEngine;
}

export async function vhsEngine(extra: NodeDefinition[] = []): Promise<VhsFixture> {
  const base = tempDir('flashgraph-vhs-');
  const input = join(base, 'input');
  mkdirSync(input);
  // 2 s at 25 fps (50 frames) with a tone; an odd-sized NTSC clip without sound (lossless PNG frames in MKV).
  makeClip(input, 'clip.mp4', { width: 160, height: 120, fps: '25', seconds: 2, tone: 440 });
  makeClip(input, 'odd.mkv', { width: 101, height: 75, fps: '30000/1001', seconds: 1, codec: 'png' });
  const engine = await startEngine([...vhsNodes, ...extra], base);
  return { base, input, engine };
}

/** An output node that records what reaches it, keyed by its node id. */
export function recorder(): { node: NodeDefinition; values: Record<string, unknown> } {
  const values: Record<string, unknown> = {};
  const node: NodeDefinition = {
    type: 'VhsTestRecord',
    outputNode: true,
    notIdempotent: true,
    inputs: { required: { value: { type: '*' } }, hidden: { id: 'UNIQUE_ID' } },
    execute: ({ value, id }) => {
      values[id] = value;
      return { ui: { text: ['recorded'] } };
    },
  };
  return { node, values };
}

/** VHS_LoadVideo's inputs with VHS's defaults, load format "None" unless given. */
export function loadInputs(video: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { video, force_rate: 0, custom_width: 0, custom_height: 0, frame_load_cap: 0, skip_first_frames: 0, select_every_nth: 1, format: 'None', ...extra };
}
