import { describe, expect, it } from 'vitest';
import { DuplicateNodeError, NodeRegistry, SchemaError } from '../../server/runtime/registry.ts';
import { typesCompatible, type NodeDefinition } from '../../server/runtime/schema.ts';

const Loader: NodeDefinition = {
  type: 'TestLoader',
  displayName: 'Load Test',
  description: 'Loads a file',
  category: 'test/io',
  inputs: {
    required: {
      file: { type: 'COMBO', options: (env) => env.listFiles('input'), extra: { video_upload: true } },
      strength: { type: 'FLOAT', default: 1, min: 0, max: 2, step: 0.05, round: 0.01, tooltip: 'How strong' },
    },
    optional: { mask: { type: 'MASK' } },
    hidden: { prompt: 'PROMPT', unique_id: 'UNIQUE_ID' },
  },
  outputs: [{ type: 'VIDEO', name: 'video', tooltip: 'the clip' }, { type: 'INT', name: 'frames', isList: true }],
  execute: () => [null, []],
};

describe('node registry', () => {
  it("renders ComfyUI's /object_info shape, with dynamic combo options", () => {
    const registry = new NodeRegistry();
    registry.register(Loader, { name: 'my-pack', module: 'custom_nodes.my-pack', builtin: false });
    const info = registry.objectInfo({ listFiles: () => ['a.mp4', 'b.mp4'] });
    expect(info).toEqual({
      TestLoader: {
        input: {
          required: {
            file: [['a.mp4', 'b.mp4'], { video_upload: true }],
            strength: ['FLOAT', { default: 1, min: 0, max: 2, step: 0.05, round: 0.01, tooltip: 'How strong' }],
          },
          optional: { mask: ['MASK'] },
          hidden: { prompt: 'PROMPT', unique_id: 'UNIQUE_ID' },
        },
        input_order: { required: ['file', 'strength'], optional: ['mask'], hidden: ['prompt', 'unique_id'] },
        output: ['VIDEO', 'INT'],
        output_is_list: [false, true],
        output_name: ['video', 'frames'],
        output_tooltips: ['the clip', null],
        name: 'TestLoader',
        display_name: 'Load Test',
        description: 'Loads a file',
        python_module: 'custom_nodes.my-pack',
        category: 'test/io',
        output_node: false,
      },
    });
  });

  it('rejects invalid schemas with every problem listed', () => {
    const registry = new NodeRegistry();
    const bad = {
      type: '9 bad name',
      inputs: { required: { x: { type: '' }, y: { type: 'INT', min: 5, max: 1 }, c: { type: 'COMBO' } }, hidden: { h: 'SECRET' } },
      execute: 'not a function',
    } as unknown as NodeDefinition;
    expect(() => registry.register(bad)).toThrow(SchemaError);
    try {
      registry.register(bad);
    } catch (error) {
      const message = (error as Error).message;
      for (const part of ['`type` must be a class name', '`execute` must be a function', 'input "x" needs a type', 'input "y" has min > max', 'combo "c" needs options', 'hidden input "h"', 'without outputs']) {
        expect(message).toContain(part);
      }
    }
  });

  it('keeps the first of two classes with the same name and names both packs', () => {
    const registry = new NodeRegistry();
    registry.register(Loader, { name: 'first', module: 'custom_nodes.first', builtin: false });
    expect(() => registry.register({ ...Loader, displayName: 'Other' }, { name: 'second', module: 'custom_nodes.second', builtin: false })).toThrow(
      new DuplicateNodeError('node class "TestLoader" from pack "second" is already defined by pack "first"; keeping the first'),
    );
    expect(registry.get('TestLoader')?.displayName).toBe('Load Test');
  });

  it('matches link types like ComfyUI', () => {
    expect(typesCompatible('IMAGE', 'IMAGE')).toBe(true);
    expect(typesCompatible('*', 'IMAGE')).toBe(true);
    expect(typesCompatible('IMAGE', '*')).toBe(true);
    expect(typesCompatible('FLOAT', 'INT,FLOAT')).toBe(true);
    expect(typesCompatible('STRING,BOOLEAN', 'STRING, INT')).toBe(true);
    expect(typesCompatible('INT', 'IMAGE,FLOAT')).toBe(false);
    expect(typesCompatible('', 'IMAGE')).toBe(false);
    expect(typesCompatible('', '')).toBe(true);
  });
});
