import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../server/ml/onnx/graph-builder.ts';
import { buildModel } from '../../server/ml/onnx/build-model.ts';
import { createSession } from '../../server/ml/session.ts';
import {
  bf16BitsToF32, castFloat, concatAxis, createTensor, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits, sliceAxis,
} from '../../server/ml/tensor.ts';
import { openWeights, writeSafetensors } from '../../server/ml/weights/index.ts';

const scratch = mkdtempSync(join(tmpdir(), 'fg-ops-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('16-bit float conversions', () => {
  it('every finite half survives f16 -> f32 -> f16, and ties round to even', () => {
    const mismatches: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const v = f16BitsToF32(h);
      const ok = Number.isNaN(v) ? Number.isNaN(f16BitsToF32(f32ToF16Bits(v))) : f32ToF16Bits(v) === h;
      if (!ok) mismatches.push(h);
    }
    expect(mismatches).toEqual([]);
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and next: even (1)
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, odd below: up
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // rounds past max half: Inf
    expect(f32ToF16Bits(2 ** -25)).toBe(0); // half of the smallest subnormal: even (0)
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(2); // 1.5 subnormal steps: even (2)
  });

  it('bf16 truncation rounds to nearest even and keeps NaN', () => {
    for (const b of [0x3f80, 0xbf80, 0x0001, 0x7f7f, 0x4049]) expect(f32ToBf16Bits(bf16BitsToF32(b))).toBe(b);
    expect(f32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(f32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(NaN)))).toBe(true);
    const t = castFloat(createTensor('float32', [3], [0.1, -2, 1e-3]), 'bfloat16');
    expect(Array.from(castFloat(t, 'float32').data as Float32Array).map((v) => +v.toPrecision(2))).toEqual([0.1, -2, 0.001]);
  });

  it('slice and concat along an axis are inverses', () => {
    const t = createTensor('float32', [2, 5, 3], Array.from({ length: 30 }, (_, i) => i));
    const parts = [sliceAxis(t, 1, 0, 2), sliceAxis(t, 1, 2, 5)];
    expect(parts[0]!.shape).toEqual([2, 2, 3]);
    expect(Array.from(parts[0]!.data as Float32Array).slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(parts[0]!.data as Float32Array).slice(6)).toEqual([15, 16, 17, 18, 19, 20]);
    expect(concatAxis(parts, 1)).toEqual(t);
  });
});

describe('GraphBuilder ops on CPU against direct formulas', () => {
  it('layerNorm, gelu, silu, softmax, transpose, concat, slice, conv', async () => {
    const w = createTensor('float32', [2, 1, 3], [1, 0, -1, 0.5, 0.5, 0.5]); // Conv1d(1 -> 2, k=3)
    const wf = join(scratch, 'conv.safetensors');
    writeSafetensors(wf, { 'conv.weight': w, 'conv.bias': createTensor('float32', [2], [0.25, -0.25]), 'ln.weight': createTensor('float32', [4], [1, 2, 3, 4]) });
    const g = new GraphBuilder({ weights: openWeights(wf) });
    const x = g.input('x', 'float32', [2, 4]);
    g.output(g.layerNorm(x, 'ln.weight', undefined, 1e-5), 'ln');
    g.output(g.layerNorm(x, 4, undefined, 1e-5), 'ln_plain');
    g.output(g.gelu(x), 'gelu');
    g.output(g.gelu(x, 'tanh'), 'gelu_tanh');
    g.output(g.silu(x), 'silu');
    g.output(g.softmax(x, -1), 'softmax');
    g.output(g.transpose(x, [1, 0]), 'xt');
    g.output(g.concat([x, g.slice(x, [1], [3], [1])], 1), 'cat');
    g.output(g.conv(g.reshape(x, [2, 1, 4]), 'conv.weight', 'conv.bias', { pads: [1, 1] }), 'conv');
    const s = await createSession(buildModel(g), { provider: 'cpu', log: () => {} });
    const xv = [0.5, -1, 2, 0.25, -3, 1.5, 0, 1];
    const out = await s.run({ x: createTensor('float32', [2, 4], xv) });
    await s.release();
    const rows = [xv.slice(0, 4), xv.slice(4)];
    const erf = (z: number) => { // Abramowitz-Stegun 7.1.26 is too coarse; use a series
      let sum = 0; let term = z; for (let n = 0; n < 60; n++) { sum += term / (2 * n + 1); term *= (-z * z) / (n + 1); }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    const close = (name: string, expected: number[], tol = 1e-5) => {
      const got = Array.from(out[name]!.data as Float32Array);
      expect(got.length, name).toBe(expected.length);
      got.forEach((v, i) => expect(Math.abs(v - expected[i]!), `${name}[${i}]`).toBeLessThan(tol));
    };
    const ln = rows.flatMap((r) => { const m = r.reduce((a, b) => a + b) / 4; const v = r.reduce((a, b) => a + (b - m) ** 2, 0) / 4; return r.map((q) => (q - m) / Math.sqrt(v + 1e-5)); });
    close('ln_plain', ln);
    close('ln', ln.map((v, i) => v * [1, 2, 3, 4][i % 4]!));
    close('gelu', xv.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))));
    close('gelu_tanh', xv.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))));
    close('silu', xv.map((v) => v / (1 + Math.exp(-v))));
    close('softmax', rows.flatMap((r) => { const e = r.map(Math.exp); const z = e.reduce((a, b) => a + b); return e.map((q) => q / z); }));
    close('xt', [0, 1, 2, 3].flatMap((c) => [rows[0]![c]!, rows[1]![c]!]));
    close('cat', rows.flatMap((r) => [...r, r[1]!, r[2]!]));
    close('conv', rows.flatMap((r) => [[1, 0, -1], [0.5, 0.5, 0.5]].flatMap((k, o) => r.map((_, i) => [-1, 0, 1].reduce((a, d, j) => a + (r[i + d] ?? 0) * k[j]!, o === 0 ? 0.25 : -0.25)))));
    expect(out.conv!.shape).toEqual([2, 2, 4]);
  });

  it('refuses unknown weights and duplicate names with clear errors', () => {
    const wf = join(scratch, 'one.safetensors');
    writeSafetensors(wf, { a: createTensor('float32', [1], [1]) });
    const g = new GraphBuilder({ weights: openWeights(wf) });
    expect(() => g.weight('missing')).toThrow(/weight missing is not in/);
    g.input('a_in', 'float32', [1]);
    expect(() => g.input('a_in', 'float32', [1])).toThrow(/already has a value named a_in/);
    expect(() => buildModel(g)).toThrow(/no outputs/);
    const h = new GraphBuilder({ weights: openWeights(wf), computeDtype: 'float16' });
    h.output(h.add(h.input('x', 'float16', [1]), h.weight('a')), 'y');
    expect(() => buildModel(h)).toThrow(/needs a converted float16 copy: pass a cacheDir/);
  });
});
