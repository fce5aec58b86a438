import { describe, expect, it } from 'vitest';
import { uiToApi } from '../../server/workflow/index.ts';
import { proxyWidgetEntries } from '../../server/workflow/promoted.ts';
import { fixture, objectInfo } from './helpers.ts';

describe('subgraph proxyWidgets promotion', () => {
  it('applies the values an instance saved for its promoted widgets, per instance', () => {
    const { prompt, warnings } = uiToApi(fixture('proxy-widgets.v1.json'), objectInfo);
    expect(prompt).toEqual({
      // widgets_values in proxyWidgets order: "-1" is the instance's own input, the others win over the inner node.
      '2:1': { class_type: 'StringConcatenate', inputs: { string_a: 'Hello', string_b: 'A', delimiter: ' - ' }, _meta: { title: 'Concatenate' } },
      // proxyWidgets as JSON text, with the older "<id>: <widget>" names.
      '3:1': { class_type: 'StringConcatenate', inputs: { string_a: 'Bye', string_b: 'inner b', delimiter: '+' }, _meta: { title: 'Concatenate' } },
      // An older frontend saved only the instance's own input widgets; promoted values stay inside.
      '4:1': { class_type: 'StringConcatenate', inputs: { string_a: 'Hey', string_b: 'inner b', delimiter: '|' }, _meta: { title: 'Concatenate' } },
      '5': { class_type: 'PreviewAny', inputs: { source: ['2:1', 0] }, _meta: { title: 'Preview Any' } },
      '6': { class_type: 'PreviewAny', inputs: { source: ['3:1', 0] }, _meta: { title: 'Preview Any' } },
      '7': { class_type: 'PreviewAny', inputs: { source: ['4:1', 0] }, _meta: { title: 'Preview Any' } },
    });
    expect(warnings).toEqual([]);
  });

  it('a promoted PrimitiveNode gives its targets the instance value; unknown entries are ignored', () => {
    const workflow = fixture('proxy-widgets.v1.json');
    const def = workflow.definitions.subgraphs[0];
    def.nodes.push({ id: 9, type: 'PrimitiveNode', mode: 0, inputs: [], outputs: [{ name: 'STRING', type: 'STRING', links: [103], widget: { name: 'string_b' } }], title: 'B', widgets_values: ['prim'] });
    def.nodes[0].inputs.push({ name: 'string_b', type: 'STRING', widget: { name: 'string_b' }, link: 103 });
    def.links.push({ id: 103, origin_id: 9, origin_slot: 0, target_id: 1, target_slot: 1, type: 'STRING' });
    workflow.nodes[0].properties.proxyWidgets = [['-1', 'greeting'], ['9', 'string_b'], ['77', 'gone']];
    workflow.nodes[0].widgets_values = ['Hello', 'from instance', 'x'];
    const { prompt } = uiToApi(workflow, objectInfo);
    expect(prompt['2:1']!.inputs).toEqual({ string_a: 'Hello', string_b: 'from instance', delimiter: '|' });
    expect(prompt['4:1']!.inputs).toEqual({ string_a: 'Hey', string_b: 'prim', delimiter: '|' });
  });

  it('reads the list as an array or as (doubly) encoded JSON; anything else is no list', () => {
    expect(proxyWidgetEntries([['1', 'seed'], [2, 'cfg', '5']])).toEqual([['1', 'seed'], ['2', 'cfg']]);
    expect(proxyWidgetEntries(JSON.stringify(JSON.stringify([['-1', 'text']])))).toEqual([['-1', 'text']]);
    expect(proxyWidgetEntries('not json')).toEqual([]);
    expect(proxyWidgetEntries([['1']])).toEqual([]);
    expect(proxyWidgetEntries(undefined)).toEqual([]);
  });
});
