// Widget order follows the official frontend's rule, getOrderedInputSpecs (ComfyUI_frontend
// v1.27.10 src/utils/nodeDefOrderingUtil.ts:13): the required names of `input_order`, then its
// optional names, then every input it does not list in definition order. Upload buttons are
// inputs its extensions add to the required ones (src/extensions/core/uploadImage.ts:50,
// uploadAudio.ts:112 and :188), never listed in `input_order`, so with ComfyUI's `input_order`
// they come after the optional widgets. The value an upload button saves is 'image' (images and
// videos, useImageUploadWidget.ts:88) or null then '' (audio: the player, then the button).
import { describe, expect, it } from 'vitest';
import type { InputInfo, NodeInfo, ObjectInfo } from '../../types/api.ts';
import { apiToUi, uiToApi, widgetSlots } from '../../server/workflow/index.ts';
import { orderedInputs } from '../../server/workflow/widgets.ts';

function node(name: string, required: Record<string, InputInfo>, optional: Record<string, InputInfo> = {}, order: NodeInfo['input_order'] | null = { required: Object.keys(required), optional: Object.keys(optional) }): NodeInfo {
  const info = {
    input: { required, optional },
    output: ['IMAGE'],
    output_is_list: [false],
    output_name: ['IMAGE'],
    output_tooltips: [null],
    name,
    display_name: name,
    description: '',
    python_module: 'custom_nodes.test',
    category: 'test',
    output_node: false,
  } as unknown as NodeInfo;
  if (order) info.input_order = order;
  return info;
}

const FILES: InputInfo = [['a.png', 'b.png'], { image_upload: true }];
const uploadWithOptions = node('UploadWithOptions', { image: FILES, mode: [['fit', 'fill']] }, { strength: ['FLOAT', { default: 0.5 }], label: ['STRING', {}] });
const objectInfo: ObjectInfo = { UploadWithOptions: uploadWithOptions };
const slotNames = (info: NodeInfo) => widgetSlots(info).map((s) => `${s.kind}:${s.name}`);

describe("widget order (the official frontend's getOrderedInputSpecs)", () => {
  it('puts the upload button after the optional widgets when input_order is given (ComfyUI always sends it)', () => {
    expect(slotNames(uploadWithOptions)).toEqual(['value:image', 'value:mode', 'value:strength', 'value:label', 'upload:image']);
  });

  it('without input_order keeps definition order: required, the upload added to them, optional', () => {
    expect(slotNames(node('NoOrder', uploadWithOptions.input.required, uploadWithOptions.input.optional, null))).toEqual([
      'value:image',
      'value:mode',
      'upload:image',
      'value:strength',
      'value:label',
    ]);
  });

  it('follows input_order over definition order, and appends the inputs it does not list', () => {
    const info = node('Partial', { a: ['INT', {}], b: ['INT', {}], c: ['INT', {}] }, { d: ['INT', {}], e: ['INT', {}] }, { required: ['c', 'a'], optional: ['e'] });
    expect(orderedInputs(info).map((entry) => entry.name)).toEqual(['c', 'a', 'e', 'b', 'd']);
    // An optional name listed as required (or the reverse) is not taken from the wrong group.
    const crossed = node('Crossed', { a: ['INT', {}] }, { b: ['INT', {}] }, { required: ['b', 'a'], optional: ['a'] });
    expect(orderedInputs(crossed).map((entry) => entry.name)).toEqual(['a', 'b']);
  });

  it('gives one upload per node, for the first upload combo, and two values for audio', () => {
    const two = node('TwoUploads', { first: FILES, second: FILES });
    expect(slotNames(two)).toEqual(['value:first', 'value:second', 'upload:first']);
    const audio = node('Audio', { audio: [['x.wav'], { audio_upload: true }] }, { gain: ['FLOAT', {}] });
    expect(widgetSlots(audio).map((s) => (s.kind === 'upload' ? s.placeholder : s.name))).toEqual(['audio', 'gain', null, '']);
  });

  it('reads files in the official order, and files an older FlashGraph editor saved (upload after the required widgets) with a warning', () => {
    const convert = (widgets_values: unknown[]) => uiToApi({ nodes: [{ id: 1, type: 'UploadWithOptions', widgets_values }], links: [] }, objectInfo);
    const expected = { image: 'b.png', mode: 'fill', strength: 0.25, label: 'x' };
    const official = convert(['b.png', 'fill', 0.25, 'x', 'image']);
    expect(official.prompt['1']!.inputs).toEqual(expected);
    expect(official.warnings).toEqual([]);
    const former = convert(['b.png', 'fill', 'image', 0.25, 'x']);
    expect(former.prompt['1']!.inputs).toEqual(expected);
    expect(former.warnings).toEqual([expect.stringContaining("node #1 UploadWithOptions: the file keeps the upload button's value before the optional widgets")]);
    // A file name not on this server's list is still a file name (the former order is recognised).
    expect(convert(['elsewhere.png', 'fill', 'image', 0.25, 'x']).prompt['1']!.inputs).toEqual({ ...expected, image: 'elsewhere.png' });
  });

  it('writes files in the official order (API -> UI)', () => {
    const { workflow } = apiToUi({ '1': { class_type: 'UploadWithOptions', inputs: { image: 'a.png', mode: 'fit', strength: 1, label: 'y' } } }, objectInfo);
    expect(workflow.nodes[0]!.widgets_values).toEqual(['a.png', 'fit', 1, 'y', 'image']);
  });
});
