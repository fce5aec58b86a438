import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiToUi, parseWorkflow, serializeWorkflow, uiToApi, UnknownNodeTypesError } from '../../server/workflow/index.ts';
import type { ApiPrompt } from '../../types/api.ts';
import { FIXTURES, fixture, objectInfo } from './helpers.ts';

describe('UI round trip', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

  it.each(files)('%s: UI -> model -> UI keeps every field', (file) => {
    const original = fixture(file);
    const model = parseWorkflow(fixture(file));
    expect(serializeWorkflow(model)).toStrictEqual(original);
  });

  it('reads both schemas into the same model shape', () => {
    const v04 = parseWorkflow(fixture('default-graph.json'));
    const v1 = parseWorkflow(fixture('mute-bypass.v1.json'));
    expect(v04.version).toBe(0.4);
    expect(v1.version).toBe(1);
    expect(v04.graph.links.get(2)).toEqual({ id: 2, originId: '5', originSlot: 0, targetId: '3', targetSlot: 3, type: 'LATENT' });
    expect(v1.graph.links.get(4)).toEqual({ id: 4, originId: '6', originSlot: 0, targetId: '4', targetSlot: 1, type: 'IMAGE' });
  });
});

describe('API -> UI', () => {
  const prompts: Record<string, ApiPrompt> = {
    'default graph': uiToApi(fixture('default-graph.json'), objectInfo).prompt,
    'video pipeline': uiToApi(fixture('video-pipeline.json'), objectInfo).prompt,
    'subgraph ids, lists and linked widgets': {
      '5:1': { class_type: 'PrimitiveInt', inputs: { value: 12 }, _meta: { title: 'Steps' } },
      my_node: {
        class_type: 'KSampler',
        inputs: { seed: 3, steps: ['5:1', 0], cfg: 4, sampler_name: 'euler', scheduler: 'simple', denoise: 0.5 },
        _meta: { title: 'KSampler' },
      },
      '7': { class_type: 'TestWidgets', inputs: { points: { __value__: [1, 2] }, style: 'c', strength: 1, note: 'x' }, _meta: { title: 'TestWidgets' } },
      '8': { class_type: 'LoadAudio', inputs: { audio: 'voice.wav' }, _meta: { title: 'LoadAudio' } },
    },
  };

  it.each(Object.entries(prompts))('%s: API -> UI -> API gives the original prompt', (_name, prompt) => {
    const { workflow, warnings } = apiToUi(prompt, objectInfo);
    expect(warnings).toEqual([]);
    expect(uiToApi(JSON.parse(JSON.stringify(workflow)), objectInfo).prompt).toEqual(prompt);
  });

  it('lays nodes out left to right by dependency depth, with the editor widget layout', () => {
    const { workflow } = apiToUi(prompts['default graph']!, objectInfo);
    const x = (id: number) => (workflow.nodes.find((n) => n.id === id)!.pos as number[])[0]!;
    expect(x(4)).toBeLessThan(x(6));
    expect(x(6)).toBeLessThan(x(3));
    expect(x(3)).toBeLessThan(x(8));
    expect(x(8)).toBeLessThan(x(9));
    expect(x(5)).toBe(x(4));
    const sampler = workflow.nodes.find((n) => n.id === 3)!;
    expect(sampler.widgets_values).toEqual([156680208700286, 'fixed', 20, 8, 'euler', 'normal', 1]);
    expect(sampler.inputs!.map((i) => [i.name, i.type])).toEqual([
      ['model', 'MODEL'],
      ['positive', 'CONDITIONING'],
      ['negative', 'CONDITIONING'],
      ['latent_image', 'LATENT'],
    ]);
    expect(workflow.links).toHaveLength(9);
    expect(workflow.last_link_id).toBe(9);
    expect(workflow.last_node_id).toBe(9);
    expect(workflow.version).toBe(0.4);
    for (const [id, origin, slot, target, targetSlot] of workflow.links) {
      const from = workflow.nodes.find((n) => n.id === origin)!;
      const to = workflow.nodes.find((n) => n.id === target)!;
      expect(from.outputs![slot as number]!.links).toContain(id);
      expect(to.inputs![targetSlot as number]!.link).toBe(id);
    }
  });

  it('writes upload and control placeholders where the editor expects them', () => {
    const { workflow } = apiToUi(prompts['subgraph ids, lists and linked widgets']!, objectInfo);
    const node = (id: string | number) => workflow.nodes.find((n) => n.id === id)!;
    expect(node(8).widgets_values).toEqual(['voice.wav', null, '']);
    expect(node(7).widgets_values).toEqual([[1, 2], 'c', 'fixed', '', 1, 'fixed', 'x']);
    expect(node('my_node').inputs).toContainEqual({ name: 'steps', type: 'INT', widget: { name: 'steps' }, link: 1 });
    expect(node('5:1').title).toBe('Steps');
  });

  it('refuses unknown classes and malformed prompts clearly', () => {
    expect(() => apiToUi({ '1': { class_type: 'VHS_VAEEncodeBatched', inputs: {} } }, objectInfo)).toThrow(UnknownNodeTypesError);
    expect(() => apiToUi({ '1': { inputs: {} } }, objectInfo)).toThrow(/node "1" needs a "class_type"/);
    expect(() => apiToUi([], objectInfo)).toThrow(/must be a JSON object/);
  });
});
