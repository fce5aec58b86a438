import { describe, expect, it } from 'vitest';
import { uiToApi, WorkflowError } from '../../server/workflow/index.ts';
import { fixture, objectInfo } from './helpers.ts';

const EXPECTED = {
  '1': { class_type: 'PrimitiveString', inputs: { value: 'World' }, _meta: { title: 'Outside' } },
  // The group's "Greeting value" widget reaches string_a through the inner PrimitiveNode; its
  // "delimiter" widget overrides the inner node's own value; string_b comes from outside.
  '5:1': { class_type: 'StringConcatenate', inputs: { string_a: 'Hello', string_b: ['1', 0], delimiter: ', ' }, _meta: { title: 'Concatenate' } },
  '5:2': { class_type: 'IntMath', inputs: { a: 40, b: 2, operation: 'add' }, _meta: { title: 'Int Math' } },
  '5:3': { class_type: 'PreviewAny', inputs: { source: ['5:1', 0] }, _meta: { title: 'Preview Any' } },
  '6': { class_type: 'SaveText', inputs: { text: ['5:1', 0], filename_prefix: 'group/out' }, _meta: { title: 'Save Text' } },
  '7': { class_type: 'PreviewAny', inputs: { source: ['5:2', 0] }, _meta: { title: 'Preview Any' } },
};

describe('legacy group nodes (workflow>Name)', () => {
  it('expands an instance into "<id>:<index>" nodes with the group\'s widget values and links', () => {
    const { prompt, warnings } = uiToApi(fixture('legacy-group.ui.json'), objectInfo);
    expect(prompt).toEqual(EXPECTED);
    expect(warnings).toEqual([]);
  });

  it('reads the older "workflow/Name" type, and group values saved without the trailing ones', () => {
    const workflow = fixture('legacy-group.ui.json');
    workflow.nodes[1].type = 'workflow/Greeter';
    workflow.nodes[1].widgets_values = ['Hello', ', ', 40, 2, 'add'];
    expect(uiToApi(workflow, objectInfo).prompt).toEqual(EXPECTED);
  });

  it('keeps the inner values where the group saved none, and an inner node fed by nothing keeps its widget', () => {
    const workflow = fixture('legacy-group.ui.json');
    delete workflow.nodes[1].widgets_values;
    workflow.nodes[1].inputs[0].link = null;
    workflow.links.shift();
    const { prompt } = uiToApi(workflow, objectInfo);
    expect(prompt['5:1']!.inputs).toEqual({ string_a: 'Hi', string_b: '', delimiter: ' ' });
    expect(prompt['5:2']!.inputs).toEqual({ a: 1, b: 1, operation: 'multiply' });
  });

  it('leaves a muted group node out, and bypasses a bypassed one like any node', () => {
    const muted = fixture('legacy-group.ui.json');
    muted.nodes[1].mode = 2;
    expect(Object.keys(uiToApi(muted, objectInfo).prompt).sort()).toEqual(['1', '6', '7']);
    const bypassed = fixture('legacy-group.ui.json');
    bypassed.nodes[1].mode = 4;
    const { prompt } = uiToApi(bypassed, objectInfo);
    expect(prompt['6']!.inputs).toEqual({ text: ['1', 0], filename_prefix: 'group/out' });
  });

  it('expands a group node inside a group node', () => {
    const workflow = fixture('legacy-group.ui.json');
    const greeter = workflow.extra.groupNodes.Greeter;
    workflow.extra.groupNodes.Outer = {
      nodes: [{ id: 1, type: 'workflow>Greeter', mode: 0, inputs: [{ name: 'string_b', type: 'STRING', link: null, widget: { name: 'string_b' } }], outputs: [{ name: 'STRING', type: 'STRING' }, { name: 'INT', type: 'INT' }], widgets_values: ['Yo', '-', 1, 1, 'add', 'inner b'] }],
      links: [],
    };
    expect(greeter.nodes.length).toBe(4);
    workflow.nodes[1].type = 'workflow>Outer';
    workflow.nodes[1].widgets_values = [];
    workflow.nodes[1].inputs = [];
    workflow.links.shift();
    const { prompt } = uiToApi(workflow, objectInfo);
    expect(prompt['5:0:1']!.inputs).toEqual({ string_a: 'Yo', string_b: 'inner b', delimiter: '-' });
    expect(prompt['6']!.inputs).toEqual({ text: ['5:0:1', 0], filename_prefix: 'group/out' });
    expect(prompt['7']!.inputs).toEqual({ source: ['5:0:2', 0] });
  });

  it('reports a group node whose definition the file lacks', () => {
    const workflow = fixture('legacy-group.ui.json');
    delete workflow.extra.groupNodes.Greeter;
    expect(() => uiToApi(workflow, objectInfo)).toThrow(new WorkflowError('legacy group node #5 workflow>Greeter: the file does not define the group "Greeter" (extra.groupNodes)'));
    const broken = fixture('legacy-group.ui.json');
    broken.extra.groupNodes.Greeter.links.push([0, 0, 9, 0, 11, 'STRING']);
    expect(() => uiToApi(broken, objectInfo)).toThrow(/a link of group "Greeter" names a node it does not have/);
    const recursive = fixture('legacy-group.ui.json');
    recursive.extra.groupNodes.Greeter.nodes.push({ id: 15, type: 'workflow>Greeter', mode: 0, inputs: [], outputs: [] });
    expect(() => uiToApi(recursive, objectInfo)).toThrow(/legacy group nodes are nested more than 8 levels deep/);
  });
});
