// Bypass and mute on subgraphs, as the editor's Ctrl+B / Ctrl+M set them (on a subgraph node
// ComfyUI's frontend also sets every node inside: src/composables/canvas/useSelectedLiteGraphItems.ts
// toggleSelectedNodesMode, v1.27.10): a bypassed subgraph node passes its input of the same type
// through, a muted one drops what it fed; a bypassed node inside passes through within.
import { describe, expect, it } from 'vitest';
import { uiToApi } from '../../server/workflow/index.ts';
import { fixture, objectInfo } from './helpers.ts';

/** subgraph.v1.json: LoadImage #4 -> subgraph #5 (two ImageInverts, an inner SaveImage) -> SaveImage #6. */
function withModes(instance: number, inner: number) {
  const workflow = fixture('subgraph.v1.json');
  workflow.nodes.find((node: { id: number }) => node.id === 5).mode = instance;
  for (const node of workflow.definitions.subgraphs[0].nodes) node.mode = inner;
  return workflow;
}

describe('modes on subgraphs', () => {
  it('a bypassed subgraph node (and its nodes): the image goes straight to the SaveImage after it', () => {
    const { prompt } = uiToApi(withModes(4, 4), objectInfo);
    expect(Object.keys(prompt).sort()).toEqual(['4', '6']);
    expect(prompt['6']!.inputs.images).toEqual(['4', 0]);
  });

  it('a muted subgraph node (and its nodes): nothing inside runs and the SaveImage after it loses its input', () => {
    const { prompt } = uiToApi(withModes(2, 2), objectInfo);
    expect(Object.keys(prompt).sort()).toEqual(['4', '6']);
    expect(prompt['6']!.inputs.images).toBeUndefined();
  });

  it('bypassed nodes inside an active subgraph node pass the image through within it', () => {
    const workflow = withModes(0, 0);
    for (const node of workflow.definitions.subgraphs[0].nodes) if (node.type === 'ImageInvert') node.mode = 4;
    const { prompt } = uiToApi(workflow, objectInfo);
    expect(Object.keys(prompt).sort()).toEqual(['4', '5:3', '6']);
    expect(prompt['5:3']!.inputs.images).toEqual(['4', 0]);
    expect(prompt['6']!.inputs.images).toEqual(['4', 0]);
  });
});
