import type { NodeDefinition } from '../../server/runtime/schema.ts';

const OPERATIONS = ['add', 'subtract', 'multiply', 'divide', 'modulo', 'power', 'min', 'max'] as const;
type Operation = (typeof OPERATIONS)[number];

function apply(operation: Operation, a: number, b: number): number {
  switch (operation) {
    case 'add':
      return a + b;
    case 'subtract':
      return a - b;
    case 'multiply':
      return a * b;
    case 'divide':
      if (b === 0) throw new RangeError('division by zero (input "b" is 0)');
      return a / b;
    case 'modulo':
      if (b === 0) throw new RangeError('modulo by zero (input "b" is 0)');
      return a - b * Math.floor(a / b);
    case 'power':
      return a ** b;
    case 'min':
      return Math.min(a, b);
    case 'max':
      return Math.max(a, b);
  }
}

export const IntMath: NodeDefinition = {
  type: 'IntMath',
  displayName: 'Int Math',
  description: 'Applies an arithmetic operation to two integers (division and power round toward negative infinity).',
  category: 'utils/math',
  inputs: {
    required: {
      a: { type: 'INT', default: 0, min: -(2 ** 53), max: 2 ** 53 },
      b: { type: 'INT', default: 0, min: -(2 ** 53), max: 2 ** 53 },
      operation: { type: 'COMBO', options: OPERATIONS, default: 'add' },
    },
  },
  outputs: [{ type: 'INT' }],
  execute: ({ a, b, operation }) => [Math.floor(apply(operation, a, b))],
};

export const FloatMath: NodeDefinition = {
  type: 'FloatMath',
  displayName: 'Float Math',
  description: 'Applies an arithmetic operation to two numbers.',
  category: 'utils/math',
  inputs: {
    required: {
      a: { type: 'FLOAT', default: 0, min: -Number.MAX_VALUE, max: Number.MAX_VALUE, step: 0.01 },
      b: { type: 'FLOAT', default: 0, min: -Number.MAX_VALUE, max: Number.MAX_VALUE, step: 0.01 },
      operation: { type: 'COMBO', options: OPERATIONS, default: 'add' },
    },
  },
  outputs: [{ type: 'FLOAT' }],
  execute: ({ a, b, operation }) => [apply(operation, a, b)],
};
