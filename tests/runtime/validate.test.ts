import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../server/host.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import { validatePrompt } from '../../server/runtime/validate.ts';
import { FolderStorage, folderLayout } from '../../server/storage/folders.ts';
import type { ApiPrompt } from '../../types/api.ts';
import { tempDir } from '../helpers/engine.ts';

const Picky: NodeDefinition = {
  type: 'TestPicky',
  outputNode: true,
  inputs: { required: { word: { type: 'STRING', default: '' } } },
  validateInputs: ({ word }) => (word === 'bad' ? 'the word "bad" is not allowed' : true),
  validatedInputs: ['word'],
  execute: () => ({ ui: {} }),
};

const registry = createRegistry();
registry.register(Picky);
const env = { storage: new FolderStorage(folderLayout({ base: tempDir() })), services: {} };
const validate = (prompt: unknown, targets?: string[]) => validatePrompt(prompt, registry, env, targets);

const save = (text: unknown) => ({ class_type: 'SaveText', inputs: { text, filename_prefix: 'x' } });

async function nodeErrorsOf(prompt: ApiPrompt) {
  const result = await validate(prompt);
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  return { error: result.error, nodeErrors: result.nodeErrors };
}

describe('prompt validation', () => {
  it('accepts a valid prompt, coerces literals and lists the outputs', async () => {
    const result = await validate({
      '1': { class_type: 'IntMath', inputs: { a: '6', b: 7.9, operation: 'multiply' } },
      '2': { class_type: 'PreviewAny', inputs: { source: ['1', 0] } },
      '3': { class_type: 'PrimitiveString', inputs: { value: { __value__: 'wrapped' } } },
      '4': { class_type: 'PreviewAny', inputs: { source: ['3', 0] } },
      '5': { class_type: 'PrimitiveInt', inputs: { value: 'not validated: feeds no output' } },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.outputs).toEqual(['2', '4']);
    expect(result.prompt['1']!.inputs).toEqual({ a: 6, b: 7, operation: 'multiply' });
    expect(result.prompt['3']!.inputs.value).toBe('wrapped');
  });

  it('reports an unknown class for every node that has one', async () => {
    const { error, nodeErrors } = await nodeErrorsOf({
      '1': { class_type: 'NoSuchNode', inputs: {} },
      '2': { class_type: 'AlsoMissing', inputs: {} },
      '3': save('x'),
    });
    expect(error).toEqual({ type: 'invalid_prompt', message: 'Cannot execute because node NoSuchNode does not exist.', details: "Node ID '#1'", extra_info: {} });
    expect(Object.keys(nodeErrors)).toEqual(['1', '2']);
    expect(nodeErrors['2']!.errors[0]!.message).toBe('Cannot execute because node AlsoMissing does not exist.');
  });

  it('rejects a node without class_type', async () => {
    const { error } = await nodeErrorsOf({ '7': { inputs: {} } } as unknown as ApiPrompt);
    expect(error).toEqual({
      type: 'invalid_prompt',
      message: 'Cannot execute because a node is missing the class_type property.',
      details: "Node ID '#7'",
      extra_info: {},
    });
  });

  it('rejects a prompt without output nodes', async () => {
    const { error, nodeErrors } = await nodeErrorsOf({ '1': { class_type: 'PrimitiveInt', inputs: { value: 1 } } });
    expect(error).toEqual({ type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} });
    expect(nodeErrors).toEqual({});
  });

  it('reports a missing required input', async () => {
    const { error, nodeErrors } = await nodeErrorsOf({ '5': { class_type: 'SaveText', inputs: { filename_prefix: 'x' } } });
    expect(error.type).toBe('prompt_outputs_failed_validation');
    expect(nodeErrors).toEqual({
      '5': {
        errors: [{ type: 'required_input_missing', message: 'Required input is missing', details: 'text', extra_info: { input_name: 'text' } }],
        dependent_outputs: ['5'],
        class_type: 'SaveText',
      },
    });
  });

  it('reports a link to a node that is not in the prompt', async () => {
    const { nodeErrors } = await nodeErrorsOf({ '5': save(['9', 0]) });
    const entry = nodeErrors['5']!;
    expect(entry.class_type).toBe('SaveText');
    expect(entry.dependent_outputs).toEqual(['5']);
    expect(entry.errors).toHaveLength(1);
    expect(entry.errors[0]).toMatchObject({
      type: 'exception_during_inner_validation',
      message: 'Exception when validating inner node',
      details: `Input "text" is linked to node '9', which is not in the prompt`,
      extra_info: { input_name: 'text', linked_node: '9' },
    });
  });

  it('reports a link to an output slot the source does not have', async () => {
    const { nodeErrors } = await nodeErrorsOf({ '1': { class_type: 'PrimitiveString', inputs: { value: 'a' } }, '5': save(['1', 3]) });
    expect(nodeErrors['5']!.errors[0]).toMatchObject({
      type: 'exception_during_inner_validation',
      details: `Input "text" is linked to output slot 3 of node '1' (PrimitiveString), which has 1 output(s)`,
      extra_info: { input_name: 'text', linked_node: '1' },
    });
  });

  it('reports a malformed link', async () => {
    const { nodeErrors } = await nodeErrorsOf({ '5': save(['1', 0, 2]) });
    expect(nodeErrors['5']!.errors).toEqual([
      {
        type: 'bad_linked_input',
        message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
        details: 'text',
        extra_info: { input_name: 'text', input_config: ['STRING', { multiline: true, default: '' }], received_value: ['1', 0, 2] },
      },
    ]);
  });

  it('reports an output/input type mismatch', async () => {
    const { nodeErrors } = await nodeErrorsOf({ '1': { class_type: 'PrimitiveInt', inputs: { value: 1 } }, '5': save(['1', 0]) });
    expect(nodeErrors['5']!.errors).toEqual([
      {
        type: 'return_type_mismatch',
        message: 'Return type mismatch between linked nodes',
        details: 'text, received_type(INT) mismatch input_type(STRING)',
        extra_info: { input_name: 'text', input_config: ['STRING', { multiline: true, default: '' }], received_type: 'INT', linked_node: ['1', 0] },
      },
    ]);
  });

  it('reports values outside min and max', async () => {
    const { nodeErrors } = await nodeErrorsOf({
      '1': { class_type: 'IntMath', inputs: { a: -(2 ** 60), b: 2 ** 60, operation: 'add' } },
      '2': { class_type: 'PreviewAny', inputs: { source: ['1', 0] } },
    });
    const [small, big] = nodeErrors['1']!.errors;
    expect(small).toMatchObject({ type: 'value_smaller_than_min', message: `Value ${-(2 ** 60)} smaller than min of ${-(2 ** 53)}`, details: 'a' });
    expect(big).toMatchObject({ type: 'value_bigger_than_max', message: `Value ${2 ** 60} bigger than max of ${2 ** 53}`, details: 'b' });
    expect(nodeErrors['1']!.dependent_outputs).toEqual(['2']);
    expect(nodeErrors['2']).toBeUndefined();
  });

  it('reports a combo value that is not an option', async () => {
    const { nodeErrors } = await nodeErrorsOf({
      '1': { class_type: 'IntMath', inputs: { a: 1, b: 2, operation: 'xor' } },
      '2': { class_type: 'PreviewAny', inputs: { source: ['1', 0] } },
    });
    expect(nodeErrors['1']!.errors).toEqual([
      {
        type: 'value_not_in_list',
        message: 'Value not in list',
        details: `operation: 'xor' not in ["add","subtract","multiply","divide","modulo","power","min","max"]`,
        extra_info: {
          input_name: 'operation',
          input_config: [['add', 'subtract', 'multiply', 'divide', 'modulo', 'power', 'min', 'max'], { default: 'add' }],
          received_value: 'xor',
        },
      },
    ]);
  });

  it('reports a literal of the wrong primitive type', async () => {
    const { nodeErrors } = await nodeErrorsOf({
      '1': { class_type: 'IntMath', inputs: { a: 'six', b: 1, operation: 'add' } },
      '2': { class_type: 'PreviewAny', inputs: { source: ['1', 0] } },
    });
    expect(nodeErrors['1']!.errors).toHaveLength(1);
    expect(nodeErrors['1']!.errors[0]).toMatchObject({
      type: 'invalid_input_type',
      message: 'Failed to convert an input value to a INT value',
      details: 'a, "six", invalid literal for int(): "six"',
      extra_info: { input_name: 'a', received_value: 'six' },
    });
  });

  it('reports every node of a dependency cycle', async () => {
    const { error, nodeErrors } = await nodeErrorsOf({
      '1': { class_type: 'StringConcatenate', inputs: { string_a: ['2', 0], string_b: 'x', delimiter: '' } },
      '2': { class_type: 'StringConcatenate', inputs: { string_a: ['1', 0], string_b: 'y', delimiter: '' } },
      '3': save(['1', 0]),
    });
    expect(error.type).toBe('prompt_outputs_failed_validation');
    expect(Object.keys(nodeErrors).sort()).toEqual(['1', '2']);
    for (const id of ['1', '2']) {
      expect(nodeErrors[id]!.errors).toEqual([
        expect.objectContaining({ type: 'dependency_cycle', message: 'Dependency cycle detected', extra_info: { cycle: ['1', '2'] } }),
      ]);
      expect(nodeErrors[id]!.dependent_outputs).toEqual(['3']);
    }
  });

  it('reports a failed custom validation and skips the built-in check it replaces', async () => {
    const { nodeErrors } = await nodeErrorsOf({ '1': { class_type: 'TestPicky', inputs: { word: 'bad' } } });
    expect(nodeErrors['1']!.errors).toEqual([
      {
        type: 'custom_validation_failed',
        message: 'Custom validation failed for node',
        details: 'word - the word "bad" is not allowed',
        extra_info: { input_name: 'word' },
      },
    ]);
  });

  it('fails a node whose validator names no input but refuses', async () => {
    const local = createRegistry();
    local.register({ ...Picky, type: 'TestPickyAll', validatedInputs: [] });
    const result = await validatePrompt({ '1': { class_type: 'TestPickyAll', inputs: { word: 'bad' } } }, local, env);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.nodeErrors['1']!.errors[0]).toMatchObject({ type: 'custom_validation_failed', details: 'the word "bad" is not allowed' });
  });

  it('passes a literal for a socket union to the validator raw, or converts it to the union\'s primitive type', async () => {
    const local = createRegistry();
    const seen: unknown[] = [];
    local.register({
      type: 'TestUnionRaw',
      outputNode: true,
      inputs: { required: { x: { type: 'IMAGE,FLOAT' } } },
      validatedInputs: ['x'],
      validateInputs: ({ x }) => (seen.push(x), true),
      execute: () => ({ ui: {} }),
    });
    local.register({ type: 'TestUnion', outputNode: true, inputs: { required: { x: { type: 'IMAGE,FLOAT' } } }, execute: () => ({ ui: {} }) });
    expect((await validatePrompt({ '1': { class_type: 'TestUnionRaw', inputs: { x: 'foo' } } }, local, env)).ok).toBe(true);
    expect(seen).toEqual(['foo']);
    const converted = await validatePrompt({ '1': { class_type: 'TestUnion', inputs: { x: '2.5' } } }, local, env);
    expect(converted.ok && converted.prompt['1']!.inputs.x).toBe(2.5);
    expect((await validatePrompt({ '1': { class_type: 'TestUnion', inputs: { x: 'foo' } } }, local, env)).ok).toBe(false);
  });

  it('rejects a literal where a socket type needs a link', async () => {
    const saveImage: NodeDefinition = {
      type: 'TestImageSink',
      outputNode: true,
      inputs: { required: { images: { type: 'IMAGE' } } },
      execute: () => ({ ui: {} }),
    };
    const local = createRegistry();
    local.register(saveImage);
    const result = await validatePrompt({ '1': { class_type: 'TestImageSink', inputs: { images: 5 } } }, local, env);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.nodeErrors['1']!.errors[0]).toMatchObject({ type: 'invalid_input_type', message: 'Input expects a link from a IMAGE output' });
  });

  it('runs the valid outputs and reports the invalid ones (ComfyUI semantics)', async () => {
    const result = await validate({ '1': save('fine'), '2': save(['404', 0]), '3': { class_type: 'PrimitiveInt', inputs: { value: 'junk' } } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.outputs).toEqual(['1']);
    expect(Object.keys(result.nodeErrors)).toEqual(['2']);
  });

  it('reports all errors of all nodes at once', async () => {
    const { nodeErrors } = await nodeErrorsOf({
      '1': { class_type: 'IntMath', inputs: { a: 'x', b: 2 ** 60, operation: 'nope' } },
      '2': { class_type: 'StringConcatenate', inputs: { string_a: 1, delimiter: '' } },
      '3': { class_type: 'PreviewAny', inputs: { source: ['1', 0] } },
      '4': save(['2', 0]),
    });
    expect(nodeErrors['1']!.errors.map((e) => e.type)).toEqual(['invalid_input_type', 'value_bigger_than_max', 'value_not_in_list']);
    expect(nodeErrors['2']!.errors.map((e) => e.type)).toEqual(['required_input_missing']);
  });

  it('keeps only partial execution targets and rejects an empty selection', async () => {
    const prompt = { '1': save('a'), '2': save('b') };
    const result = await validate(prompt, ['2']);
    expect(result.ok && result.outputs).toEqual(['2']);
    const none = await validate(prompt, ['99']);
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.error.type).toBe('prompt_no_outputs');
  });

  it('accepts numeric link ids when the node exists, and rejects non-object prompts', async () => {
    const result = await validate({ '1': { class_type: 'PrimitiveString', inputs: { value: 'a' } }, '2': save([1, 0]) });
    expect(result.ok && result.prompt['2']!.inputs.text).toEqual(['1', 0]);
    const bad = await validate([1, 2, 3]);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.type).toBe('invalid_prompt');
  });
});
