// initial_video_frames: the first given frame replaces the reference in the conditioning video
// (the only frame its mask keeps), while CLIP still sees the reference.
import { describe, expect, it } from 'vitest';
import { clipInput } from '../../../nodes/flashportrait/pipeline/conditioning.ts';
import type { PixelVideo, RgbImage } from '../../../nodes/flashportrait/pipeline/conditioning.ts';
import { resizeLanczos } from '../../../nodes/flashportrait/pipeline/lanczos.ts';
import { imageToBytes, runFlashPortraitNode } from '../../../nodes/flashportrait/pipeline/node.ts';
import type { FloatImage, NodeInputs } from '../../../nodes/flashportrait/pipeline/node.ts';
import type { TransformerCall } from '../../../nodes/flashportrait/pipeline/networks.ts';
import { sampleFlashPortrait } from '../../../nodes/flashportrait/pipeline/sampler.ts';
import { syntheticNetworks, syntheticRequest } from './synthetic.ts';

function recordingNetworks() {
  const net = syntheticNetworks({ channels: 4 });
  const seen: { video?: PixelVideo; clip?: Float32Array } = {};
  const vaeEncode = net.vaeEncode.bind(net);
  return {
    seen,
    networks: {
      ...net,
      // A prediction that also depends on the conditioning y, as the DiT's does.
      async transformer(call: TransformerCall) {
        const out = await net.transformer(call);
        for (let k = 0; k < out.length; k++) out[k] = out[k]! + 0.1 * call.y[call.y.length - out.length + k]!;
        return out;
      },
      async vaeEncode(video: PixelVideo) {
        seen.video = video;
        // Latents that depend on the conditioning frame, so the output shows which frame was used.
        const out = await vaeEncode(video);
        for (let k = 0; k < out.length; k++) out[k] = video.data[k % video.data.length]!;
        return out;
      },
      async clipImage(pixels: Float32Array) {
        seen.clip = pixels;
        return 'clip';
      },
    },
  };
}

/** Frame 0 of the conditioning video, as [3, H, W]. */
function frameZero(video: PixelVideo): Float32Array {
  const plane = video.height * video.width;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) out.set(video.data.subarray(c * video.frames * plane, c * video.frames * plane + plane), c * plane);
  return out;
}

function laterFramesAreMasked(video: PixelVideo): boolean {
  const plane = video.height * video.width;
  for (let c = 0; c < 3; c++) {
    const rest = video.data.subarray((c * video.frames + 1) * plane, (c + 1) * video.frames * plane);
    if (rest.some((v) => v !== 0)) return false;
  }
  return true;
}

function gradientImage(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * seed + 17 * (i % 7)) % 256;
  return { width, height, data };
}

function floatImage(image: RgbImage): FloatImage {
  return { width: image.width, height: image.height, data: Float32Array.from(image.data, (v) => (v + 0.5) / 255) };
}

describe('initial_video_frames (anchor frame)', () => {
  it('sampler: the anchor is the conditioning frame 0, CLIP keeps the reference, later frames stay masked', async () => {
    const reference = gradientImage(16, 16, 3);
    const anchor = gradientImage(16, 16, 11);
    const plain = recordingNetworks();
    const base = await sampleFlashPortrait(syntheticRequest({ drivingFrames: 9, steps: 2, reference }), plain.networks);
    expect(frameZero(plain.seen.video!)).toEqual(clipInput(reference));

    const anchored = recordingNetworks();
    const result = await sampleFlashPortrait(syntheticRequest({ drivingFrames: 9, steps: 2, reference, anchorFrame: anchor }), anchored.networks);
    expect(frameZero(anchored.seen.video!)).toEqual(clipInput(anchor));
    expect(laterFramesAreMasked(anchored.seen.video!)).toBe(true);
    expect(anchored.seen.clip).toEqual(clipInput(reference));
    expect((await result.latents.materialize()).data).not.toEqual((await base.latents.materialize()).data);
  });

  it('sampler: an anchor of another size is a clear error', async () => {
    const request = syntheticRequest({ drivingFrames: 9, steps: 1, anchorFrame: gradientImage(32, 16, 5) });
    await expect(sampleFlashPortrait(request, recordingNetworks().networks)).rejects.toThrow(/anchor frame 32x16 must have the reference's size 16x16/);
  });

  it('node: the first initial frame is truncated to bytes and Lanczos-resized to the output size (aspect stretched)', async () => {
    const reference = floatImage(gradientImage(40, 24, 7));
    const initial = floatImage(gradientImage(30, 30, 13));
    const inputs: NodeInputs = {
      image: reference, headEmotionFeatures: new Float32Array(9 * 554), prompt: 'p', negativePrompt: 'n',
      noise: (s) => new Float32Array(s.channels * s.frames * s.height * s.width).fill(0.1), latentChannels: 4,
      steps: 1, shift: 5, emoCfgScale: 4, textCfgScale: 1, maxSize: 32, contextSize: 5, contextOverlap: 2,
    };
    const anchored = recordingNetworks();
    const output = await runFlashPortraitNode({ ...inputs, initialFrame: initial }, anchored.networks);
    expect([output.width, output.height]).toEqual([32, 16]);
    expect(frameZero(anchored.seen.video!)).toEqual(clipInput(resizeLanczos(imageToBytes(initial), 32, 16)));
    expect(anchored.seen.clip).toEqual(clipInput(output.reference));

    // The reference itself as initial frame is the plain run, bit for bit.
    const plain = recordingNetworks();
    const same = recordingNetworks();
    const a = await runFlashPortraitNode(inputs, plain.networks);
    const b = await runFlashPortraitNode({ ...inputs, initialFrame: reference }, same.networks);
    expect(b.images).toEqual(a.images);
    expect(output.images).not.toEqual(a.images);
  });
});
