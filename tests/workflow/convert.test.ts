import { describe, expect, it } from 'vitest';
import { uiToApi, UnknownNodeTypesError, WorkflowError } from '../../server/workflow/index.ts';
import { validatePrompt } from '../../server/runtime/validate.ts';
import { fixture, objectInfo, registry } from './helpers.ts';

describe('UI -> API conversion', () => {
  it("converts the frontend's default graph as ComfyUI does (spec §5.4 worked example)", () => {
    const { prompt, warnings } = uiToApi(fixture('default-graph.json'), objectInfo);
    expect(warnings).toEqual([]);
    expect(prompt).toEqual({
      '3': {
        class_type: 'KSampler',
        inputs: {
          seed: 156680208700286,
          steps: 20,
          cfg: 8,
          sampler_name: 'euler',
          scheduler: 'normal',
          denoise: 1,
          model: ['4', 0],
          positive: ['6', 0],
          negative: ['7', 0],
          latent_image: ['5', 0],
        },
        _meta: { title: 'KSampler' },
      },
      '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned-emaonly-fp16.safetensors' }, _meta: { title: 'Load Checkpoint' } },
      '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 }, _meta: { title: 'EmptyLatentImage' } },
      '6': {
        class_type: 'CLIPTextEncode',
        inputs: { text: 'beautiful scenery nature glass bottle landscape, , purple galaxy bottle,', clip: ['4', 1] },
        _meta: { title: 'CLIP Text Encode (Prompt)' },
      },
      '7': { class_type: 'CLIPTextEncode', inputs: { text: 'text, watermark', clip: ['4', 1] }, _meta: { title: 'CLIP Text Encode (Prompt)' } },
      '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] }, _meta: { title: 'VAE Decode' } },
      '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI', images: ['8', 0] }, _meta: { title: 'Save Image' } },
    });
  });

  it('converts the video pipeline plus LoadImage: upload values skipped, converted fps socket linked', () => {
    const { prompt } = uiToApi(fixture('video-pipeline.json'), objectInfo);
    expect(prompt).toEqual({
      '10': { class_type: 'LoadVideo', inputs: { file: 'talk.mp4' }, _meta: { title: 'Driving video' } },
      '11': { class_type: 'GetVideoComponents', inputs: { video: ['10', 0] }, _meta: { title: 'Get Video Components' } },
      '12': { class_type: 'CreateVideo', inputs: { fps: ['11', 2], images: ['11', 0], audio: ['11', 1] }, _meta: { title: 'Create Video' } },
      '13': { class_type: 'SaveVideo', inputs: { filename_prefix: 'video/portrait', format: 'mp4', codec: 'h264', video: ['12', 0] }, _meta: { title: 'Save Video' } },
      '14': { class_type: 'LoadImage', inputs: { image: 'portrait.png' }, _meta: { title: 'Reference portrait' } },
    });
  });

  it('drops muted nodes and their links; passes bypassed nodes through by type (schema 1)', () => {
    const { prompt } = uiToApi(fixture('mute-bypass.v1.json'), objectInfo);
    expect(Object.keys(prompt).sort()).toEqual(['1', '11', '15', '3', '5', '6', '8', '9']);
    expect(prompt['3']!.inputs).toEqual({ filename_prefix: 'ComfyUI', images: ['1', 0] });
    // Same-index input is a MASK: the bypass picks the IMAGE input instead.
    expect(prompt['5']!.inputs).toEqual({ filename_prefix: 'masked', images: ['6', 0] });
    // A bypassed VAEDecode has no IMAGE input to pass through: the input is dropped.
    expect(prompt['9']!.inputs).toEqual({ filename_prefix: 'ComfyUI' });
    // A muted source: the link is dropped.
    expect(prompt['11']!.inputs).toEqual({ seed: 1, steps: 20, cfg: 8, sampler_name: 'euler', scheduler: 'normal', denoise: 1 });
    // Two bypassed nodes in a row.
    expect(prompt['15']!.inputs).toEqual({ filename_prefix: 'chain', images: ['6', 0] });
  });

  it('a dropped required input surfaces as required_input_missing at validation', async () => {
    const { prompt } = uiToApi(fixture('mute-bypass.v1.json'), objectInfo);
    const result = await validatePrompt(prompt, registry, { storage: { listFiles: () => [] }, services: {} } as never);
    const node9 = result.nodeErrors['9']!;
    expect(node9.errors).toContainEqual(expect.objectContaining({ type: 'required_input_missing', extra_info: expect.objectContaining({ input_name: 'images' }) }));
  });

  it('follows reroute chains, takes PrimitiveNode values as literals, skips notes, and reports a link to a missing node', () => {
    const { prompt, warnings } = uiToApi(fixture('reroutes-primitives.json'), objectInfo);
    expect(prompt).toEqual({
      '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sdxl.safetensors' }, _meta: { title: 'Load Checkpoint' } },
      '3': {
        class_type: 'KSampler',
        inputs: {
          seed: 42,
          steps: ['9', 0],
          cfg: 7.5,
          sampler_name: 'dpmpp_2m',
          scheduler: 'karras',
          denoise: 0.8,
          model: ['1', 0],
          positive: ['5', 0],
          latent_image: ['10', 0],
        },
        _meta: { title: 'KSampler' },
      },
      '5': { class_type: 'CLIPTextEncode', inputs: { text: 'a portrait of a cat', clip: ['1', 1] }, _meta: { title: 'CLIP Text Encode (Prompt)' } },
      '9': { class_type: 'PrimitiveInt', inputs: { value: 30 }, _meta: { title: 'Int' } },
      '10': { class_type: 'EmptyLatentImage', inputs: { width: 640, height: 384, batch_size: 1 }, _meta: { title: 'EmptyLatentImage' } },
      '11': { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI', images: ['12', 0] }, _meta: { title: 'Save Image' } },
      '12': { class_type: 'VAEDecode', inputs: { samples: ['3', 0] }, _meta: { title: 'VAE Decode' } },
    });
    expect(warnings).toEqual(['node #12 VAEDecode input "vae": link 13 comes from node #99, which is not in the workflow']);
  });

  it('flattens a subgraph into "<instance>:<inner>" nodes, with promoted widget values', () => {
    const { prompt } = uiToApi(fixture('subgraph.v1.json'), objectInfo);
    expect(prompt).toEqual({
      '4': { class_type: 'LoadImage', inputs: { image: 'example.png' }, _meta: { title: 'Load Image' } },
      '5:1': { class_type: 'ImageInvert', inputs: { image: ['4', 0] }, _meta: { title: 'Invert Image' } },
      '5:2': { class_type: 'ImageInvert', inputs: { image: ['5:1', 0] }, _meta: { title: 'Invert Image' } },
      '5:3': { class_type: 'SaveImage', inputs: { filename_prefix: 'from-subgraph', images: ['5:2', 0] }, _meta: { title: 'Save Image' } },
      '6': { class_type: 'SaveImage', inputs: { filename_prefix: 'outside', images: ['5:2', 0] }, _meta: { title: 'Save Image' } },
    });
  });

  it('lists every unknown node type with the pack that provides it', () => {
    const workflow = fixture('default-graph.json');
    workflow.nodes.push(
      { id: 20, type: 'VHS_VAEEncodeBatched', mode: 0, inputs: [], outputs: [], properties: {} },
      { id: 21, type: 'MysteryNode', mode: 0, inputs: [], outputs: [], properties: { cnr_id: 'comfyui-mystery' } },
      { id: 22, type: 'MysteryNode', mode: 0, inputs: [], outputs: [], properties: {} },
      { id: 23, type: 'NobodyKnows', mode: 0, properties: {} },
      // Muted nodes never run, so an unknown muted node is no problem.
      { id: 24, type: 'MutedUnknown', mode: 2, properties: {} },
    );
    let error: unknown;
    try {
      uiToApi(workflow, objectInfo);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownNodeTypesError);
    const message = (error as Error).message;
    expect(message).toContain('VHS_VAEEncodeBatched (node #20): provided by ComfyUI-VideoHelperSuite');
    expect(message).toContain('MysteryNode (nodes #21, #22): provided by the "comfyui-mystery" custom node pack');
    expect(message).toContain('NobodyKnows (node #23): pack unknown');
    expect(message).not.toContain('MutedUnknown');
  });

  it('reports malformed files clearly, naming the node and field', () => {
    expect(() => uiToApi({ nodes: 'x' }, objectInfo)).toThrow(/needs a "nodes" array/);
    expect(() => uiToApi({ nodes: [{ id: 1 }] }, objectInfo)).toThrow(/nodes\[0\] \(#1\) needs a "type"/);
    expect(() => uiToApi({ nodes: [{ id: 1, type: 'KSampler', inputs: 5 }] }, objectInfo)).toThrow(/#1\) KSampler: "inputs" must be an array/);
    expect(() => uiToApi({ nodes: [], links: [[1, 2]] }, objectInfo)).toThrow(/links\[0\] is not a valid link/);
    expect(() => uiToApi({ nodes: [{ id: 1, type: 'SaveImage' }, { id: 1, type: 'SaveImage' }] }, objectInfo)).toThrow(/node id 1 is used twice/);
    expect(() => uiToApi([], objectInfo)).toThrow(WorkflowError);
  });

  it('rejects a reroute cycle instead of looping forever', () => {
    const workflow = {
      nodes: [
        { id: 1, type: 'Reroute', inputs: [{ name: '', type: '*', link: 2 }], outputs: [{ name: '', type: 'IMAGE', links: [1, 3] }] },
        { id: 2, type: 'Reroute', inputs: [{ name: '', type: '*', link: 1 }], outputs: [{ name: '', type: 'IMAGE', links: [2] }] },
        { id: 3, type: 'SaveImage', inputs: [{ name: 'images', type: 'IMAGE', link: 3 }], widgets_values: ['x'] },
      ],
      links: [
        [1, 1, 0, 2, 0, 'IMAGE'],
        [2, 2, 0, 1, 0, 'IMAGE'],
        [3, 1, 0, 3, 0, 'IMAGE'],
      ],
      version: 0.4,
    };
    expect(() => uiToApi(workflow, objectInfo)).toThrow(/cycle/);
  });
});
