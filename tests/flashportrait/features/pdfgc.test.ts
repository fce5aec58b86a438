import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareTensor, readGoldenCase } from '../../helpers/golden-io.ts';
import { buildModel, createTensor, openWeights, readTensor, toFloat32 } from '../../../server/ml/index.ts';
import { buildZip, stateDictPickle } from '../../ml/torch-fixtures.ts';
import type { FixtureTensor, ZipInput } from '../../ml/torch-fixtures.ts';
import { FAN_INTERMEDIATES, FAN_OUTPUTS, FanEncoder, buildFanEncoderGraph } from '../../../nodes/flashportrait/features/fan-encoder.ts';
import { pdfgcInput, similarityTransform } from '../../../nodes/flashportrait/features/pdfgc-warp.ts';
import { FACE, e2eFrame, faceModelPath, floats, maxAbsDiff, meanAbsDiff } from './golden-frames.ts';

const pdfgc = readGoldenCase(FACE, 'pdfgc');
const e2e = readGoldenCase(FACE, 'e2e_node');
const cacheDir = mkdtempSync(join(tmpdir(), 'fg-fan-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe.skipIf(!pdfgc || !e2e)('PD-FGC warp and FanEncoder (golden pdfgc)', () => {
  it('similarity matrix (closed form) and the encoder input (float-exact OpenCV bicubic)', () => {
    const frame = e2eFrame(e2e!.inputs.images!, Number(floats(pdfgc!.inputs.frame_index!)[0]));
    const { matrix, input } = pdfgcInput(frame, floats(pdfgc!.inputs.landmarks!));
    const T = [...matrix, 0, 0, 1];
    expect(compareTensor('umeyama_T', createTensor('float32', [3, 3], T), pdfgc!.outputs.umeyama_T!, 1e-5).pass).toBe(true);
    expect(compareTensor('M', createTensor('float32', [2, 3], [...matrix]), pdfgc!.outputs.M!, 1e-5).pass).toBe(true);
    const expected = floats(pdfgc!.outputs.x!);
    const max = maxAbsDiff(input, expected); const mean = meanAbsDiff(input, expected);
    console.info(`pdfgc x: max ${max}, mean ${mean}`);
    // The closed-form matrix differs from the original's SVD one by ~1e-6, which moves a few
    // pixels by one level: 2/255 in these [-1, 1] units (ERRATA bound: max <= 2/255, mean <= 0.002).
    expect(max).toBeLessThanOrEqual(2 / 255 + 1e-6);
    expect(mean).toBeLessThanOrEqual(0.002);
  });

  it('FanEncoder from the stored input: intermediates and heads', async () => {
    const fan = await FanEncoder.load(faceModelPath('pd_fpg.pth')!, { cacheDir, withIntermediates: true });
    const out = await fan.run(floats(pdfgc!.outputs.x!));
    for (const name of [...FAN_INTERMEDIATES, ...FAN_OUTPUTS]) {
      const r = compareTensor(name, out[name]!, pdfgc!.outputs[name]!, 1e-3);
      console.info(`${name}: max abs ${r.maxAbs.toExponential(2)}`);
      expect(r.pass, name).toBe(true);
    }
    const row = await fan.headEmo(floats(pdfgc!.outputs.x!));
    expect(compareTensor('head_emo', createTensor('float32', [1, 554], row), pdfgc!.outputs.head_emo!, 1e-3).pass).toBe(true);
    // From the frame: our warp's few one-level pixels are the only difference.
    const frame = e2eFrame(e2e!.inputs.images!, Number(floats(pdfgc!.inputs.frame_index!)[0]));
    const own = await fan.headEmo(pdfgcInput(frame, floats(pdfgc!.inputs.landmarks!)).input);
    const fromFrame = maxAbsDiff(own, floats(pdfgc!.outputs.head_emo!));
    console.info(`head_emo from the frame: max abs ${fromFrame.toExponential(2)}`);
    expect(fromFrame).toBeLessThanOrEqual(0.1);
    await fan.release();
  });
});

describe.skipIf(!pdfgc)('FanEncoder from a float32 checkpoint', () => {
  it('reads fp32 weights in place and gives the same outputs', async () => {
    // The golden pd_fpg.pth re-saved as float32 (torch.save layout), without the unused counters.
    const source = openWeights(faceModelPath('pd_fpg.pth')!);
    const refs: FixtureTensor[] = []; const entries: ZipInput[] = [];
    for (const [key, entry] of source.tensors) {
      if (entry.dtype === 'int64') continue;
      const data = toFloat32(readTensor(entry)).data as Float32Array;
      const shape = [...entry.shape];
      const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
      refs.push({ key, storageType: 'FloatStorage', storageKey: String(refs.length), storageNumel: data.length, offset: 0, shape, strides });
      entries.push({ name: `pd32/data/${refs.length - 1}`, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) });
    }
    const path = join(cacheDir, 'pd_fpg_fp32.pth');
    writeFileSync(path, buildZip([{ name: 'pd32/data.pkl', data: stateDictPickle(refs, false) }, ...entries, { name: 'pd32/version', data: Buffer.from('3\n') }]));
    const built = buildModel(buildFanEncoderGraph(openWeights(path)), { cacheDir: join(cacheDir, 'fp32-cache') });
    expect(built.convertedWeights).toBe(0);
    expect(built.zeroCopyWeights).toBeGreaterThan(300);
    const fan = await FanEncoder.load(path, { cacheDir: join(cacheDir, 'fp32-cache') });
    const row = await fan.headEmo(floats(pdfgc!.outputs.x!));
    expect(compareTensor('head_emo', createTensor('float32', [1, 554], row), pdfgc!.outputs.head_emo!, 1e-3).pass).toBe(true);
    await fan.release();
  });
});

describe('similarity transform', () => {
  it('recovers a rotation + scale + shift exactly, mirrored sets included', () => {
    const src = [[10, 20], [40, 25], [30, 60], [12, 50]] as const;
    const [a, b, tx, ty] = [1.3 * Math.cos(0.4), 1.3 * Math.sin(0.4), 7, -3];
    const dst = src.map(([x, y]) => [a * x - b * y + tx, b * x + a * y + ty] as const);
    const m = similarityTransform(src, dst);
    expect(maxAbsDiff(m, [a, -b, tx, b, a, ty])).toBeLessThan(1e-12);
    // A mirrored target has no exact similarity; the best one has the least-squares scale, no flip.
    const mirrored = src.map(([x, y]) => [-x, y] as const);
    const mm = similarityTransform(src, mirrored);
    expect(mm[0]).toBeCloseTo(mm[4], 12);
    expect(mm[1]).toBeCloseTo(-mm[3], 12);
  });
});
