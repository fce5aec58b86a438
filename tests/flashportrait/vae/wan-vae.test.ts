// The Wan2.1 VAE graphs against the golden fixtures made by the original PyTorch code (tiny widths,
// random weights), loaded from the golden .pth through the ML foundation's readers.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareOutputs, readGoldenCase, runGoldenCase, expectPass } from '../../helpers/golden-io.ts';
import { goldenDir } from '../../helpers/golden.ts';
import { concatAxis, createTensor, sliceAxis } from '../../../server/ml/tensor.ts';
import { WanVae, buildWanDecoder, latentFrames } from '../../../nodes/flashportrait/models/vae/index.ts';
import { openGraphSession } from '../../../nodes/flashportrait/models/vae/session-factory.ts';
import { caseTiling, vaeGoldenConfig, videoSize } from './golden-vae.ts';

const TOL = 1e-4;
const dir = goldenDir('vae');
const vae = dir ? WanVae.open(join(dir, 'Wan2.1_VAE.pth'), { log: () => {} }) : undefined;
afterAll(async () => { await vae?.release(); });

describe.skipIf(!dir)('Wan2.1 VAE against the golden fixtures', () => {
  it('reads the widths from the checkpoint (those config.json says it was made with)', () => {
    const made = vaeGoldenConfig(dir!).wan_vae.tiny;
    expect(vae!.config).toMatchObject({ dim: made.dim, zDim: made.z_dim, dimMult: made.dim_mult, numResBlocks: made.num_res_blocks });
    // vae/README.md: z_dim 16, dim_mult [1,2,4,4] and 2 residual blocks are the real model's.
    expect(vae!.config).toMatchObject({ zDim: 16, dimMult: [1, 2, 4, 4], numResBlocks: 2 });
  });

  it('enc: every encoder output in one whole-sequence pass', async () => {
    const c = readGoldenCase('vae', 'enc')!;
    const m = await vae!.encodeMoments(c.inputs.video!);
    expectPass(compareOutputs({ latent: m.latent, mu_raw: m.muRaw, logvar_raw: m.logvarRaw, encoder_features: m.features }, c.outputs, TOL));
  });

  it('enc_masked: the I2V conditioning video', async () => {
    const c = readGoldenCase('vae', 'enc_masked')!;
    expectPass(compareOutputs({ latent: await vae!.encode(c.inputs.video!) }, c.outputs, TOL));
  });

  it('dec: whole-sequence decode, clamped and unclamped', async () => {
    const c = readGoldenCase('vae', 'dec')!;
    expectPass(compareOutputs({ video: await vae!.decode(c.inputs.latents!) }, { video: c.outputs.video! }, TOL));
    const graph = await openGraphSession(buildWanDecoder(vae!.weights, vae!.config), { log: () => {} });
    expectPass(await runGoldenCase(graph, c, ['video', 'video_unclamped'], TOL));
    await graph.release();
  });

  it('dec: streaming one latent frame per call equals the golden and the whole pass', async () => {
    const c = readGoldenCase('vae', 'dec')!;
    const chunks = [];
    for await (const frames of vae!.decodeFrames(latentFrames(c.inputs.latents!))) chunks.push(frames);
    // Latent frame 0 gives 1 video frame, every later one 4 (vae/README.md, "Temporal chunking").
    const latentCount = c.inputs.latents!.shape[2]!;
    expect(chunks.map((t) => t.shape[2])).toEqual([1, ...Array<number>(latentCount - 1).fill(4)]);
    const streamed = concatAxis(chunks, 2);
    expectPass(compareOutputs({ video: streamed }, { video: c.outputs.video! }, TOL));
    const whole = await vae!.decode(c.inputs.latents!, { strategy: 'whole' });
    expectPass(compareOutputs({ video: streamed }, { video: whole }, 1e-5));
  });

  it('enc_tiled: tiled encode with blending', async () => {
    const c = readGoldenCase('vae', 'enc_tiled')!;
    const tiling = caseTiling(c);
    expectPass(compareOutputs({ latent: await vae!.encode(c.inputs.video!, { tiling }) }, c.outputs, TOL));
  });

  it('dec_tiled: tiled decode, whole and streaming per tile', async () => {
    const c = readGoldenCase('vae', 'dec_tiled')!;
    const tiling = caseTiling(c);
    expectPass(compareOutputs({ video: await vae!.decode(c.inputs.latents!, { tiling }) }, c.outputs, TOL));
    expectPass(compareOutputs({ video: await vae!.decode(c.inputs.latents!, { tiling, strategy: 'streaming' }) }, c.outputs, TOL));
  });

  it('is causal: one latent frame decodes to frame 0 of the golden clip, frame 0 alone encodes to latent frame 0', async () => {
    const dec = readGoldenCase('vae', 'dec')!;
    const one = await vae!.decode(sliceAxis(dec.inputs.latents!, 2, 0, 1));
    const { height, width } = videoSize(dec.outputs.video!);
    expect(one.shape).toEqual([1, 3, 1, height, width]);
    expectPass(compareOutputs({ frame0: one }, { frame0: sliceAxis(dec.outputs.video!, 2, 0, 1) }, TOL));
    const enc = readGoldenCase('vae', 'enc')!;
    const latent = await vae!.encode(sliceAxis(enc.inputs.video!, 2, 0, 1));
    const clip = videoSize(enc.inputs.video!);
    expect(latent.shape).toEqual([1, 16, 1, clip.height / 8, clip.width / 8]);
    expectPass(compareOutputs({ latent0: latent }, { latent0: sliceAxis(enc.outputs.latent!, 2, 0, 1) }, TOL));
  });

  it('refuses frame counts other than 4k+1 and sizes not divisible by 8', async () => {
    await expect(vae!.encode(createTensor('float32', [1, 3, 12, 32, 48]))).rejects.toThrow(/4k\+1 frames.*got 12 \(use 9 or 13\)/);
    await expect(vae!.encode(createTensor('float32', [1, 3, 5, 30, 48]))).rejects.toThrow(/multiples of 8/);
    await expect(vae!.decode(createTensor('float32', [1, 4, 2, 4, 6]))).rejects.toThrow(/\[1, 16, T, H, W\]/);
  });
});
