import type { NodeDefinition } from '../../server/runtime/schema.ts';

// ComfyUI emits ±(2^63-1) here; as a JS number that is 2^63, which still bounds any int64 seed.
const INT64_LIMIT = 2 ** 63 - 1;
// ComfyUI declares no defaults here (nodes_primitive.py); editors show 0, "" and false.

export const PrimitiveInt: NodeDefinition = {
  type: 'PrimitiveInt',
  displayName: 'Int',
  category: 'utils/primitive',
  inputs: { required: { value: { type: 'INT', min: -INT64_LIMIT, max: INT64_LIMIT, control_after_generate: true } } },
  outputs: [{ type: 'INT' }],
  execute: ({ value }) => [value],
};

export const PrimitiveFloat: NodeDefinition = {
  type: 'PrimitiveFloat',
  displayName: 'Float',
  category: 'utils/primitive',
  inputs: { required: { value: { type: 'FLOAT', min: -INT64_LIMIT, max: INT64_LIMIT } } },
  outputs: [{ type: 'FLOAT' }],
  execute: ({ value }) => [value],
};

export const PrimitiveString: NodeDefinition = {
  type: 'PrimitiveString',
  displayName: 'String',
  category: 'utils/primitive',
  inputs: { required: { value: { type: 'STRING' } } },
  outputs: [{ type: 'STRING' }],
  execute: ({ value }) => [value],
};

export const PrimitiveStringMultiline: NodeDefinition = {
  type: 'PrimitiveStringMultiline',
  displayName: 'String (Multiline)',
  category: 'utils/primitive',
  inputs: { required: { value: { type: 'STRING', multiline: true } } },
  outputs: [{ type: 'STRING' }],
  execute: ({ value }) => [value],
};

export const PrimitiveBoolean: NodeDefinition = {
  type: 'PrimitiveBoolean',
  displayName: 'Boolean',
  category: 'utils/primitive',
  inputs: { required: { value: { type: 'BOOLEAN' } } },
  outputs: [{ type: 'BOOLEAN' }],
  execute: ({ value }) => [value],
};
