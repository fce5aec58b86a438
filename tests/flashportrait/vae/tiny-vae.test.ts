// The tiny TAEHV decoder (fast_vae.pth, float16 in the fixture) against the original's output.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareOutputs, readGoldenCase } from '../../helpers/golden-io.ts';
import { goldenDir } from '../../helpers/golden.ts';
import { createTensor } from '../../../server/ml/tensor.ts';
import { TinyVaeDecoder } from '../../../nodes/flashportrait/models/vae/index.ts';
import { vaeGoldenConfig } from './golden-vae.ts';

const TOL = 1e-4;
const dir = goldenDir('vae');
const scratch = mkdtempSync(join(tmpdir(), 'fg-tiny-vae-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!dir)('tiny VAE (TAEHV) decoder against the golden fixture', () => {
  it('tiny_dec: trimmed [-1, 1] video and the raw untrimmed decoder output', async () => {
    const c = readGoldenCase('vae', 'tiny_dec')!;
    // A copy of the weights so the converted f32 cache is private to this test.
    const weights = join(scratch, 'fast_vae.pth');
    copyFileSync(join(dir!, 'fast_vae.pth'), weights);
    const decoder = TinyVaeDecoder.open(weights, { cacheDir: join(scratch, 'cache'), log: () => {} });
    expect(decoder.config.widths).toEqual(vaeGoldenConfig(dir!).tiny_vae.tiny.decoder_n_f);
    const out = await decoder.decodeDetailed(c.inputs.latents!);
    const report = compareOutputs({ video: out.video, decoder_raw_untrimmed: out.raw }, c.outputs, TOL);
    console.info(report.text);
    expect(report.pass, report.text).toBe(true);
    await expect(decoder.decode(createTensor('float32', [1, 4, 2, 4, 6]))).rejects.toThrow(/\[1, 16, T, h, w\]/);
    await decoder.release();
  });
});
