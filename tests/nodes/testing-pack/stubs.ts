// Source nodes: constant images, masks and numbers.
import type { NodeDefinition } from '../../../server/runtime/schema.ts';
import { filled } from './image.ts';

const SIZE = { type: 'INT', default: 8, min: 1, max: 4096, step: 1 } as const;
const BATCH = { type: 'INT', default: 1, min: 1, max: 64, step: 1 } as const;

export const StubImage: NodeDefinition = {
  type: 'StubImage',
  category: 'Testing/Stub Nodes',
  inputs: { required: { content: { type: 'COMBO', options: ['WHITE', 'BLACK', 'NOISE'] }, height: SIZE, width: SIZE, batch_size: BATCH } },
  outputs: [{ type: 'IMAGE' }],
  execute({ content, height, width, batch_size }) {
    const value = content === 'WHITE' ? 1 : content === 'BLACK' ? 0 : Math.random;
    return [filled(batch_size, height, width, 3, value)];
  },
};

export const StubConstantImage: NodeDefinition = {
  type: 'StubConstantImage',
  category: 'Testing/Stub Nodes',
  inputs: { required: { value: { type: 'FLOAT', default: 0.5, min: 0, max: 1, step: 0.01 }, height: SIZE, width: SIZE, batch_size: BATCH } },
  outputs: [{ type: 'IMAGE' }],
  execute: ({ value, height, width, batch_size }) => [filled(batch_size, height, width, 3, value)],
};

export const StubMask: NodeDefinition = {
  type: 'StubMask',
  category: 'Testing/Stub Nodes',
  inputs: { required: { value: { type: 'FLOAT', default: 0.5, min: 0, max: 1, step: 0.01 }, height: SIZE, width: SIZE, batch_size: BATCH } },
  outputs: [{ type: 'MASK' }],
  execute: ({ value, height, width, batch_size }) => [filled(batch_size, height, width, 1, value)],
};

export const StubInt: NodeDefinition = {
  type: 'StubInt',
  category: 'Testing/Stub Nodes',
  inputs: { required: { value: { type: 'INT', default: 0, min: -0xffffffff, max: 0xffffffff, step: 1 } } },
  outputs: [{ type: 'INT' }],
  execute: ({ value }) => [value],
};

export const StubFloat: NodeDefinition = {
  type: 'StubFloat',
  category: 'Testing/Stub Nodes',
  inputs: { required: { value: { type: 'FLOAT', default: 0, min: -1e38, max: 1e38, step: 0.01 } } },
  outputs: [{ type: 'FLOAT' }],
  execute: ({ value }) => [value],
};

export const stubNodes = [StubImage, StubConstantImage, StubMask, StubInt, StubFloat];
