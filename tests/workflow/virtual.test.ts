import { describe, expect, it } from 'vitest';
import { uiToApi, WorkflowError } from '../../server/workflow/index.ts';
import { applyTextReplacements, formatDate, processDynamicPrompt } from '../../server/workflow/replacements.ts';
import { fixture, objectInfo } from './helpers.ts';

// Local time, as the frontend's %date:...% uses.
const NOW = new Date(2026, 0, 5, 7, 8, 9);

describe('text replacements in filename prefixes (%date:...%, %Node.widget%)', () => {
  it('formats dates with the frontend tokens', () => {
    expect(formatDate('yyyy-MM-dd hh:mm:ss', NOW)).toBe('2026-01-05 07:08:09');
    expect(formatDate('yy M d h m s', NOW)).toBe('26 1 5 7 8 9');
    expect(formatDate('yyy y Y D H', NOW)).toBe('yyy y Y D H');
    expect(formatDate('hh', new Date(2026, 0, 5, 23, 0, 0))).toBe('23');
  });

  it('expands the save nodes\' filename_prefix only, as the frontend does at queue time', () => {
    const { prompt, warnings } = uiToApi(fixture('text-replacements.ui.json'), objectInfo, { now: NOW });
    expect(prompt).toEqual({
      '1': { class_type: 'PrimitiveString', inputs: { value: 'cats/"best"' }, _meta: { title: 'Project' } },
      '3': { class_type: 'PrimitiveInt', inputs: { value: 99 }, _meta: { title: 'Steps' } },
      '4': { class_type: 'StringConcatenate', inputs: { string_a: ['1', 0], string_b: ' at %date:yyyy%', delimiter: ' ' }, _meta: { title: 'Concatenate' } },
      '5': {
        class_type: 'SaveText',
        inputs: { text: ['4', 0], filename_prefix: '2026-01-05/cats__best__20_%date:hh.mm%_7-8-9 26 5/1_%Nope.value%_%Project.nope%_%year%' },
        _meta: { title: 'Save Text' },
      },
      '6': {
        class_type: 'SaveText',
        inputs: { text: 'plain', filename_prefix: '%Second save.filename_prefix%-%StringConcatenate.delimiter%%date_yyy%- yyy' },
        _meta: { title: 'Second save' },
      },
    });
    expect(warnings).toEqual([
      'node #5 SaveText widget "filename_prefix": "%date:hh.mm%": no node is named "date:hh" (title or "Node name for S&R"); left as is',
      'node #5 SaveText widget "filename_prefix": "%Nope.value%": no node is named "Nope" (title or "Node name for S&R"); left as is',
      'node #5 SaveText widget "filename_prefix": "%Project.nope%": node "Project" has no widget "nope"; left as is',
    ]);
  });

  it('finds nodes inside subgraphs, prefers "Node name for S&R" to titles, and takes the first of several', () => {
    const nodes = [
      { title: 'X', searchName: 'Dup', widget: (n: string) => (n === 'v' ? { value: 1 } : undefined) },
      { title: 'Dup', searchName: 'Other', widget: () => ({ value: 2 }) },
      { title: 'Y', searchName: 'Dup', widget: () => ({ value: 3 }) },
    ];
    const warned: string[] = [];
    expect(applyTextReplacements('%Dup.v%|%Other.v%|%X.v%|%X.w%|%a.b.c%', nodes, NOW, (m) => warned.push(m))).toBe('1|2|1|%X.w%|%a.b.c%');
    expect(warned).toEqual([
      '"%Dup.v%": 2 nodes are named "Dup"; the first one is used',
      '"%X.w%": node "X" has no widget "w"; left as is',
      '"%a.b.c%" is not a replacement pattern; left as is',
    ]);

    const workflow = fixture('subgraph.v1.json');
    workflow.nodes[2].widgets_values = ['%Invert Image.image%-%Load Image.image%'];
    workflow.definitions.subgraphs[0].nodes[0].title = 'Inner invert';
    workflow.nodes[2].widgets_values = ['%Inner invert.image%|%LoadImage.image%|%date:yyyy%'];
    const { prompt, warnings } = uiToApi(workflow, objectInfo, { now: NOW });
    // ImageInvert's image is a socket, not a widget; LoadImage is found by its class (S&R default).
    expect(prompt['6']!.inputs.filename_prefix).toBe('%Inner invert.image%|example.png|2026');
    expect(warnings).toEqual(['node #6 SaveImage widget "filename_prefix": "%Inner invert.image%": node "Inner invert" has no widget "image"; left as is']);
  });
});

describe('KJNodes SetNode/GetNode', () => {
  it('resolves each GetNode to what feeds its SetNode, through reroutes, bypassed and muted nodes', () => {
    const { prompt, warnings } = uiToApi(fixture('setget.ui.json'), objectInfo);
    expect(prompt).toEqual({
      '1': { class_type: 'PrimitiveString', inputs: { value: 'Hello' }, _meta: { title: 'A' } },
      '4': { class_type: 'PrimitiveString', inputs: { value: 'World' }, _meta: { title: 'B' } },
      // delimiter comes from a muted node: removed, as a link from a muted node is.
      '5': { class_type: 'StringConcatenate', inputs: { string_a: ['1', 0], string_b: ['4', 0] }, _meta: { title: 'Concatenate' } },
      '13': { class_type: 'SaveText', inputs: { text: ['5', 0], filename_prefix: 'setget/out' }, _meta: { title: 'Save Text' } },
      // A SetNode's own output passes its input on.
      '14': { class_type: 'PreviewAny', inputs: { source: ['1', 0] }, _meta: { title: 'Preview Any' } },
    });
    expect(warnings).toEqual([]);
  });

  it('lets a GetNode in a subgraph read a SetNode of its own graph or of a graph containing it', () => {
    const { prompt } = uiToApi(fixture('setget-subgraph.v1.json'), objectInfo);
    expect(prompt).toEqual({
      '1': { class_type: 'PrimitiveString', inputs: { value: 'outer' }, _meta: { title: 'Outer text' } },
      '3:3': { class_type: 'PrimitiveString', inputs: { value: 'inner' }, _meta: { title: 'Inner text' } },
      '3:2': { class_type: 'StringConcatenate', inputs: { string_a: ['1', 0], string_b: ['3:3', 0], delimiter: '+' }, _meta: { title: 'Concatenate' } },
      '4': { class_type: 'SaveText', inputs: { text: ['3:2', 0], filename_prefix: 'setget/sub' }, _meta: { title: 'Save Text' } },
    });
  });

  it('reports a GetNode without SetNode, duplicate names, and an unset name, naming the nodes', () => {
    const missing = fixture('setget.ui.json');
    missing.nodes.find((n: any) => n.id === 9).widgets_values = ['nam'];
    expect(() => uiToApi(missing, objectInfo)).toThrow(new WorkflowError('GetNode #9 "Get_name" reads "nam", but no SetNode is named "nam" in its graph or a graph containing it'));

    const duplicate = fixture('setget.ui.json');
    duplicate.nodes.find((n: any) => n.id === 11).widgets_values = ['name'];
    expect(() => uiToApi(duplicate, objectInfo)).toThrow('GetNode #9 "Get_name" reads "name", which 2 SetNodes are named (#8, #11): rename all but one');

    const unset = fixture('setget.ui.json');
    unset.nodes.find((n: any) => n.id === 3).widgets_values = [''];
    expect(() => uiToApi(unset, objectInfo)).toThrow('GetNode #3 "Get_greeting" has no constant name selected');

    // The root graph does not see a subgraph's SetNodes.
    const outside = fixture('setget-subgraph.v1.json');
    outside.nodes[3].inputs[0].link = 3;
    outside.nodes.push({ id: 5, type: 'GetNode', mode: 0, inputs: [], outputs: [{ name: 'STRING', type: 'STRING', links: [3] }], widgets_values: ['inner'] });
    outside.links.push({ id: 3, origin_id: 5, origin_slot: 0, target_id: 4, target_slot: 0, type: 'STRING' });
    expect(() => uiToApi(outside, objectInfo)).toThrow('GetNode #5 reads "inner", but no SetNode is named "inner"');

    // Two SetNodes in the parent graphs of a subgraph's GetNode clash too.
    const shadow = fixture('setget-subgraph.v1.json');
    shadow.nodes.push({ id: 6, type: 'SetNode', mode: 0, inputs: [{ name: 'STRING', type: 'STRING', link: null }], outputs: [], widgets_values: ['outer'] });
    expect(() => uiToApi(shadow, objectInfo)).toThrow('GetNode #3:1 "Get_outer" reads "outer", which 2 SetNodes are named (#2, #6): rename all but one');
  });

  it('an unconnected SetNode gives nothing, with a warning; unused Set/Get nodes are no problem', () => {
    const workflow = fixture('setget.ui.json');
    workflow.nodes.find((n: any) => n.id === 8).inputs[0].link = null;
    const { prompt, warnings } = uiToApi(workflow, objectInfo);
    expect(prompt['5']!.inputs).toEqual({ string_a: ['1', 0] });
    expect(warnings).toEqual(['node #5 StringConcatenate input "string_b": SetNode #8 "name" has nothing connected']);
  });
});

describe('dynamic prompts ({a|b} in text widgets that ask for them)', () => {
  const pick = (...choices: number[]) => {
    let i = 0;
    return () => choices[i++ % choices.length]!;
  };

  it('picks one option per group, nested, with escapes and comments', () => {
    expect(processDynamicPrompt('a {red|green|blue} {cat|{big|small} dog}', pick(0.5, 0.9, 0.1))).toBe('a green big dog');
    expect(processDynamicPrompt('\\{not\\|a choice\\} {x|}', pick(0.99))).toBe('{not|a choice} ');
    expect(processDynamicPrompt('keep // dropped\nline /* gone */ end', pick(0))).toBe('keep \nline  end');
    expect(processDynamicPrompt('{only', pick(0))).toBe('only');
  });

  it('applies to CLIPTextEncode text (dynamicPrompts) only, including a PrimitiveNode value', () => {
    const workflow = fixture('default-graph.json');
    const positive = workflow.nodes.find((n: any) => n.id === 6);
    positive.widgets_values = ['a {cat|dog}, %date:yyyy%'];
    const save = workflow.nodes.find((n: any) => n.id === 9);
    save.widgets_values = ['{x|y}'];
    const { prompt } = uiToApi(workflow, objectInfo, { random: pick(0.7) });
    expect(prompt['6']!.inputs.text).toBe('a dog, %date:yyyy%');
    expect(prompt['9']!.inputs.filename_prefix).toBe('{x|y}');

    const primitive = fixture('reroutes-primitives.json');
    primitive.nodes.find((n: any) => n.id === 4).widgets_values = ['a portrait of a {cat|dog}'];
    const { prompt: fromPrimitive } = uiToApi(primitive, objectInfo, { random: pick(0) });
    expect(fromPrimitive['5']!.inputs.text).toBe('a portrait of a cat');
  });
});
