import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goldenDir } from '../helpers/golden.ts';
import { compareOutputs, compareTensor, readGoldenCase, runGoldenCase } from '../helpers/golden-io.ts';
import { GraphBuilder } from '../../server/ml/onnx/graph-builder.ts';
import { buildModel } from '../../server/ml/onnx/build-model.ts';
import { WeightConversionCache } from '../../server/ml/onnx/weight-cache.ts';
import { createSession } from '../../server/ml/session.ts';
import { createTensor } from '../../server/ml/tensor.ts';
import { openWeights } from '../../server/ml/weights/index.ts';

const t5Dir = goldenDir('encoders');
const scratch = mkdtempSync(join(tmpdir(), 'fg-golden-io-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

describe('golden comparison rule', () => {
  it('uses abs <= tol * max(1, |expected|) and requires NaN where NaN is expected', () => {
    const e = createTensor('float32', [4], [0.5, 100, NaN, -3]);
    expect(compareTensor('x', createTensor('float32', [4], [0.5 + 9e-6, 100 + 9e-4, NaN, -3]), e, 1e-5).pass).toBe(true);
    const over = compareTensor('x', createTensor('float32', [4], [0.5 + 2e-5, 100, NaN, -3]), e, 1e-5);
    expect(over.pass).toBe(false);
    expect(over.failures).toBe(1);
    expect(over.worstIndex).toBe(0);
    expect(compareTensor('x', createTensor('float32', [4], [0.5, 100, 0, -3]), e, 1e-5).nanMismatches).toBe(1);
    const report = compareOutputs({}, { missing: e }, 1e-5);
    expect(report.pass).toBe(false);
    expect(report.text).toMatch(/FAIL missing/);
  });
});

describe.skipIf(!t5Dir)('golden harness on a real case: T5 token embedding from bf16 weights', () => {
  it('converts the bf16 table once into the cache, reuses it, and matches out.token_embedding', async () => {
    const golden = readGoldenCase('encoders', 't5/t5_single_padded')!;
    const weights = openWeights(join(t5Dir!, 't5/models_t5_umt5-xxl-enc-bf16.pth'));
    const build = () => {
      const g = new GraphBuilder({ weights, computeDtype: 'float32' });
      const ids = g.input('input_ids', 'int64', [1, 'L']);
      g.output(g.gather('token_embedding.weight', ids), 'token_embedding');
      return g;
    };
    const cacheDir = join(scratch, 'cache');
    const built = buildModel(build(), { cacheDir });
    expect(built.convertedWeights).toBe(1);
    const cached = filesUnder(cacheDir).filter((f) => f.endsWith('.float32.bin'));
    expect(cached).toHaveLength(1);
    expect(statSync(cached[0]!).size).toBe(300 * 32 * 4);
    const mtime = statSync(cached[0]!).mtimeMs;
    const again = buildModel(build(), { cacheDir });
    expect(statSync(cached[0]!).mtimeMs).toBe(mtime);
    expect(Buffer.from(again.bytes).equals(Buffer.from(built.bytes))).toBe(true);

    const session = await createSession(built, { provider: 'cpu', log: () => {} });
    const report = await runGoldenCase(session, golden, ['token_embedding'], 1e-5);
    console.info(report.text);
    expect(report.pass).toBe(true);
    expect(report.outputs[0]!.maxAbs).toBe(0); // bf16 -> f32 widening is exact

    // The same harness must fail a wrong graph: a shifted id lookup.
    const g = new GraphBuilder({ weights });
    const ids = g.input('input_ids', 'int64', [1, 'L']);
    g.output(g.gather('token_embedding.weight', g.add(ids, g.constant(createTensor('int64', [], [1])))), 'token_embedding');
    const wrong = await createSession(buildModel(g, { cacheDir }), { provider: 'cpu', log: () => {} });
    expect((await runGoldenCase(wrong, golden, ['token_embedding'], 1e-5)).pass).toBe(false);
    await session.release();
    await wrong.release();
    expect(new WeightConversionCache(cacheDir).sizeBytes()).toBe(300 * 32 * 4 + statSync(join(cached[0]!, '..', 'source.txt')).size);
  });
});
