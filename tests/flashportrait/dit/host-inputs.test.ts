// The float64 host tables against the golden run's own rope table, and the axis split per head.
import { describe, expect, it } from 'vitest';
import { goldenDir } from '../../helpers/golden.ts';
import { compareTensor, readGoldenCase } from '../../helpers/golden-io.ts';
import { parseDitConfig, ropePairSplit } from '../../../nodes/flashportrait/models/dit/config.ts';
import { ropeTables, timestepSinusoid } from '../../../nodes/flashportrait/models/dit/host-inputs.ts';
import { ditGoldenFacts } from './golden-dit.ts';

const REAL_CONFIG = { _class_name: 'WanModel', _diffusers_version: '0.30.0', dim: 5120, eps: 1e-06, ffn_dim: 13824, freq_dim: 256, in_dim: 36, model_type: 'i2v', num_heads: 40, num_layers: 40, out_dim: 16, text_len: 512 };
const dir = goldenDir('dit');

describe('DiT host-side tables', () => {
  it('the real config defaults the widths it omits and splits 64 pairs as 22/21/21', () => {
    const c = parseDitConfig(REAL_CONFIG);
    expect([c.textDim, c.clipDim, c.patchSize]).toEqual([4096, 1280, [1, 2, 2]]);
    expect(ropePairSplit(c)).toEqual([22, 21, 21]);
  });

  it('sinusoid puts cos before sin and keeps t unrounded', () => {
    const s = timestepSinusoid(905.4156494140625, 4).data as Float32Array;
    expect(Array.from(s)).toEqual(Array.from(Float32Array.of(Math.cos(905.4156494140625), Math.cos(9.054156494140625), Math.sin(905.4156494140625), Math.sin(9.054156494140625))));
  });

  it.skipIf(!dir)('rope tables equal the golden rope_cos / rope_sin (the window\'s own grid and head split)', () => {
    const golden = readGoldenCase('dit', 'window')!;
    const { config: c, grid } = ditGoldenFacts(dir!, golden);
    // dit/README.md "RoPE": with c = head_dim/2 pairs, c - 2*(c//3) rotate with f, c//3 with h, c//3 with w.
    const pairs = c.dim / c.numHeads / 2;
    expect(ropePairSplit(c)).toEqual([pairs - 2 * Math.floor(pairs / 3), Math.floor(pairs / 3), Math.floor(pairs / 3)]);
    const t = ropeTables(c, ...grid);
    expect(compareTensor('cos', t.cos, golden.outputs['dbg.rope_cos']!, 1e-6).pass).toBe(true);
    expect(compareTensor('sin', t.sin, golden.outputs['dbg.rope_sin']!, 1e-6).pass).toBe(true);
    // Swapping the row and column groups must be caught by the same comparison (when they differ).
    const [f, h, w] = grid;
    if (h !== w) expect(compareTensor('swapped', ropeTables(c, f, w, h).cos, golden.outputs['dbg.rope_cos']!, 1e-6).pass).toBe(false);
  });
});
