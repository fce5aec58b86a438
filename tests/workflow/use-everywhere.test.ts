import { describe, expect, it } from 'vitest';
import { uiToApi, WorkflowError } from '../../server/workflow/index.ts';
import { fixture, objectInfo } from './helpers.ts';

describe('cg-use-everywhere broadcasts (extra.ue_links)', () => {
  it('adds the connections the extension recorded; real links win; the UE node is left out', () => {
    const { prompt, warnings } = uiToApi(fixture('use-everywhere.ui.json'), objectInfo);
    expect(prompt).toEqual({
      '1': { class_type: 'PrimitiveString', inputs: { value: 'World' }, _meta: { title: 'Name' } },
      '3': { class_type: 'StringConcatenate', inputs: { string_a: 'Hello', string_b: ['1', 0], delimiter: ', ' }, _meta: { title: 'Concatenate' } },
      '4': { class_type: 'SaveText', inputs: { text: ['3', 0], filename_prefix: 'ue/out' }, _meta: { title: 'Save Text' } },
      '5': { class_type: 'PrimitiveString', inputs: { value: 'Other' }, _meta: { title: 'Other' } },
      // Already connected: the recorded broadcast does not replace the link.
      '6': { class_type: 'PreviewAny', inputs: { source: ['5', 0] }, _meta: { title: 'Preview Any' } },
    });
    expect(warnings).toEqual([]);
  });

  it('a muted or bypassed UE node broadcasts nothing', () => {
    for (const mode of [2, 4]) {
      const workflow = fixture('use-everywhere.ui.json');
      workflow.nodes[1].mode = mode;
      const { prompt } = uiToApi(workflow, objectInfo);
      expect(prompt['3']!.inputs).toEqual({ string_a: 'Hello', string_b: '', delimiter: ', ' });
      expect(prompt['2']).toBeUndefined();
    }
  });

  it('applies the list a subgraph definition keeps for its own graph', () => {
    const workflow = fixture('setget-subgraph.v1.json');
    const def = workflow.definitions.subgraphs[0];
    // Replace the inner Set/Get pair for "inner" by a broadcast.
    def.nodes = def.nodes.filter((n: any) => n.id !== 5);
    def.nodes.find((n: any) => n.id === 4).type = 'Anything Everywhere';
    def.nodes.find((n: any) => n.id === 2).inputs[1].link = null;
    def.links = def.links.filter((l: any) => l.id !== 204);
    def.extra = { ue_links: [{ downstream: 2, downstream_slot: 1, upstream: 3, upstream_slot: 0, controller: 4, type: 'STRING' }] };
    const { prompt } = uiToApi(workflow, objectInfo);
    expect(prompt['3:2']!.inputs).toEqual({ string_a: ['1', 0], string_b: ['3:3', 0], delimiter: '+' });
  });

  it('says what to do when the file lacks the recorded connections', () => {
    const workflow = fixture('use-everywhere.ui.json');
    delete workflow.extra.ue_links;
    expect(() => uiToApi(workflow, objectInfo)).toThrow(
      new WorkflowError(
        'the workflow: #2 Anything Everywhere broadcasts to inputs, but the file does not hold the connections cg-use-everywhere chose (extra.ue_links): save it again with the extension installed, or connect the nodes directly',
      ),
    );
  });
});
