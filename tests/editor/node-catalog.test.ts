// The node library's and search dialog's catalog: ComfyUI's node source of a python_module, the
// socket type rule, type-filtered search and the category tree.
import { describe, expect, it } from 'vitest';
import { NodeCatalog, packOf, typesMatch } from '../../client/src/node-catalog.ts';
import type { NodeInfo, ObjectInfo } from '../../types/api.ts';

function info(name: string, category: string, module: string, inputs: Record<string, NodeInfo['input']['required'][string]>, outputs: NodeInfo['output']): NodeInfo {
  return {
    input: { required: inputs },
    input_order: { required: Object.keys(inputs) },
    output: outputs,
    output_is_list: outputs.map(() => false),
    output_name: outputs.map((o) => (Array.isArray(o) ? 'COMBO' : o)),
    name,
    display_name: name.replace(/([a-z])([A-Z])/g, '$1 $2'),
    description: '',
    python_module: module,
    category,
    output_node: false,
  };
}

const objectInfo: ObjectInfo = {
  LoadImage: info('LoadImage', 'image', 'nodes', { image: [['a.png', 'b.png']] }, ['IMAGE', 'MASK']),
  ImageScale: info('ImageScale', 'image/upscaling', 'nodes', { image: ['IMAGE'], width: ['INT', { default: 512 }] }, ['IMAGE']),
  SaveVideo: info('SaveVideo', 'image/video', 'comfy_extras.nodes_video', { video: ['VIDEO'] }, []),
  PreviewAny: info('PreviewAny', 'utils', 'comfy_extras.nodes_preview_any', { source: ['*'] }, []),
  FlashPortraitSampler: info('FlashPortraitSampler', 'FlashPortrait', 'custom_nodes.ComfyUI-FlashPortrait@1.2.0', { image: ['IMAGE'], pipe: ['FP_PIPE'] }, ['IMAGE', 'FLOAT']),
};

describe('node catalog', () => {
  it("names packs as ComfyUI's node badges do (frontend v1.27.10 src/types/nodeSource.ts)", () => {
    expect(packOf('nodes')).toBe('Comfy Core');
    expect(packOf('comfy_extras.nodes_video')).toBe('Comfy Core');
    expect(packOf('comfy_api_nodes.x')).toBe('Comfy Core');
    expect(packOf('custom_nodes.ComfyUI-FlashPortrait@1.2.0')).toBe('FlashPortrait');
    expect(packOf('custom_nodes.was_node_suite_ComfyUI')).toBe('was_node_suite');
    expect(packOf('custom_nodes.editor-test-pack')).toBe('editor-test-pack');
    expect(packOf(undefined)).toBe('Unknown');
    expect(packOf('somewhere.else')).toBe('Unknown');
  });

  it('matches socket types as litegraph does: *, empty and comma lists', () => {
    expect(typesMatch('IMAGE', 'IMAGE')).toBe(true);
    expect(typesMatch('IMAGE', 'MASK')).toBe(false);
    expect(typesMatch('IMAGE', '*')).toBe(true);
    expect(typesMatch('*', 'LATENT')).toBe(true);
    expect(typesMatch('MASK', 'IMAGE,MASK')).toBe(true);
    expect(typesMatch('image', 'IMAGE')).toBe(true);
  });

  it('filters the search by input type and output type, best matches first', () => {
    const catalog = new NodeCatalog(objectInfo);
    const names = (entries: { name: string }[]) => entries.map((e) => e.name);
    expect(names(catalog.search('', { inputType: 'IMAGE' }))).toEqual(['FlashPortraitSampler', 'ImageScale', 'PreviewAny']);
    expect(names(catalog.search('', { outputType: 'IMAGE' }))).toEqual(['FlashPortraitSampler', 'ImageScale', 'LoadImage']);
    expect(names(catalog.search('', { inputType: 'INT' }))).toEqual(['ImageScale', 'PreviewAny']);
    expect(names(catalog.search('', { outputType: 'FLOAT', inputType: 'FP_PIPE' }))).toEqual(['FlashPortraitSampler']);
    expect(names(catalog.search('image'))[0]).toBe('ImageScale');
    expect(names(catalog.search('load image'))).toEqual(['LoadImage']);
    expect(names(catalog.search('flashportrait'))).toEqual(['FlashPortraitSampler']);
    expect(catalog.types('output')).toEqual(['FLOAT', 'IMAGE', 'MASK']);
  });

  it('builds a category tree with nested folders', () => {
    const tree = new NodeCatalog(objectInfo).tree();
    expect(tree.children.map((c) => c.name)).toEqual(['FlashPortrait', 'image', 'utils']);
    const image = tree.children.find((c) => c.name === 'image')!;
    expect(image.nodes.map((n) => n.name)).toEqual(['LoadImage']);
    expect(image.children.map((c) => c.path)).toEqual(['image/upscaling', 'image/video']);
  });
});
