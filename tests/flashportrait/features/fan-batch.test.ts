// The FanEncoder graph has a dynamic batch axis: a batch of faces gives the rows of one call per face.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDemoModelSet } from '../../../nodes/flashportrait/demo/demo-models.ts';
import { FanEncoder, HEAD_EMO_WIDTH } from '../../../nodes/flashportrait/features/fan-encoder.ts';

const FACE = 3 * 224 * 224;
const base = mkdtempSync(join(tmpdir(), 'fg-fan-batch-'));
let fan: FanEncoder;

beforeAll(async () => {
  const { directory } = writeDemoModelSet(join(base, 'models'), 0);
  fan = await FanEncoder.load(join(directory, 'FlashPortrait', 'pd_fpg.pth'), { cacheDir: join(base, 'cache') });
});
afterAll(async () => {
  await fan?.release();
  rmSync(base, { recursive: true, force: true });
});

describe('FanEncoder batches (demo weights)', () => {
  it('a batch of 5 faces equals five single calls within 1e-5, rows in order', async () => {
    const batch = 5;
    const x = new Float32Array(batch * FACE);
    // Different faces per slot: a smooth pattern with a per-face phase, in [-1, 1].
    for (let b = 0; b < batch; b++) for (let i = 0; i < FACE; i++) x[b * FACE + i] = Math.sin(i * 0.013 + b * 1.7) * 0.9;
    const rows = await fan.headEmo(x, batch);
    expect(rows.length).toBe(batch * HEAD_EMO_WIDTH);
    let maxDiff = 0;
    let maxBetweenFaces = 0;
    for (let b = 0; b < batch; b++) {
      const single = await fan.headEmo(x.subarray(b * FACE, (b + 1) * FACE), 1);
      const row = rows.subarray(b * HEAD_EMO_WIDTH, (b + 1) * HEAD_EMO_WIDTH);
      for (let k = 0; k < HEAD_EMO_WIDTH; k++) {
        maxDiff = Math.max(maxDiff, Math.abs(row[k]! - single[k]!));
        if (b > 0) maxBetweenFaces = Math.max(maxBetweenFaces, Math.abs(row[k]! - rows[k]!));
      }
      expect(single.some(Number.isNaN)).toBe(false);
    }
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
    // The faces differ, so a row mix-up would show.
    expect(maxBetweenFaces).toBeGreaterThan(1e-3);
  });
});
