// The nodes of ComfyUI's specific_tests.py: lazy inputs, variadic inputs, IS_CHANGED, custom
// validators, expansions (cycles, mixed returns, parallel sleeps) and output nodes with sockets.
import type { Expansion, NodeDefinition, NodeInputs } from '../../../server/runtime/schema.ts';
import { typesCompatible } from '../../../server/runtime/schema.ts';
import { filled, isTensor, map, mean, minMax, mix, type Tensor } from './image.ts';

/** Stand-in size for the 512x512 images of ComfyUI's tests: the values are what tests check. */
export const EXPANSION_SIZE = 8;

export const TestLazyMixImages: NodeDefinition = {
  type: 'TestLazyMixImages',
  category: 'Testing/Nodes',
  inputs: { required: { image1: { type: 'IMAGE', lazy: true }, image2: { type: 'IMAGE', lazy: true }, mask: { type: 'MASK' } } },
  outputs: [{ type: 'IMAGE' }],
  checkLazyStatus({ mask, image1, image2 }) {
    const [min, max] = minMax(mask);
    const needed: string[] = [];
    if (image1 === null && (min !== 1 || max !== 1)) needed.push('image1');
    if (image2 === null && (min !== 0 || max !== 0)) needed.push('image2');
    return needed;
  },
  execute({ mask, image1, image2 }) {
    const [min, max] = minMax(mask);
    if (min === 0 && max === 0) return [image1];
    if (min === 1 && max === 1) return [image2];
    return [mix(image1, image2, mask)];
  },
};

/** Averages input1, input2, ... up to the first missing one: the others arrive undeclared. */
export const TestVariadicAverage: NodeDefinition = {
  type: 'TestVariadicAverage',
  category: 'Testing/Nodes',
  inputs: { required: { input1: { type: 'IMAGE' } } },
  outputs: [{ type: 'IMAGE' }],
  execute(inputs) {
    const images: Tensor[] = [];
    while (`input${images.length + 1}` in inputs) images.push(inputs[`input${images.length + 1}`]);
    return [mean(images)];
  },
};

export const TestCustomIsChanged: NodeDefinition = {
  type: 'TestCustomIsChanged',
  category: 'Testing/Nodes',
  inputs: { required: { image: { type: 'IMAGE' } }, optional: { should_change: { type: 'BOOLEAN', default: false } } },
  outputs: [{ type: 'IMAGE' }],
  isChanged: ({ should_change }) => (should_change ? NaN : false),
  execute: ({ image }) => [image],
};

export const TestIsChangedWithConstants: NodeDefinition = {
  type: 'TestIsChangedWithConstants',
  category: 'Testing/Nodes',
  inputs: { required: { image: { type: 'IMAGE' }, value: { type: 'FLOAT', default: 1, min: 0, max: 10 } } },
  outputs: [{ type: 'IMAGE' }],
  // A linked image must arrive as null here: only literals are known before the run.
  isChanged({ image, value }) {
    if (image === null) return value;
    const t = image as Tensor;
    return (t.data.reduce((a, b) => a + b, 0) / t.data.length) * value;
  },
  execute: ({ image, value }) => [map(image, (v) => v * value)],
};

/** input1 * input2 where each is an IMAGE or a FLOAT (two floats give a constant image). */
function multiply(input1: unknown, input2: unknown): Tensor {
  if (typeof input1 === 'number' && typeof input2 === 'number') return filled(1, EXPANSION_SIZE, EXPANSION_SIZE, 3, input1 * input2);
  if (isTensor(input1) && typeof input2 === 'number') return map(input1, (v) => v * input2);
  if (typeof input1 === 'number' && isTensor(input2)) return map(input2, (v) => v * input1);
  if (isTensor(input1) && isTensor(input2)) return map(input1, (v, i) => v * input2.data[i]!);
  throw new TypeError('inputs must be images or floats');
}

const IMAGE_OR_FLOAT = { input1: { type: 'IMAGE,FLOAT' }, input2: { type: 'IMAGE,FLOAT' } };

/**
 * Python's isinstance(x, float) on a raw literal. JSON numbers do not say whether they were
 * written `5` or `5.0`, so an integral number counts as an int here (see CONFORMANCE.md).
 */
function isFloatLiteral(value: unknown): boolean {
  return typeof value === 'number' && !Number.isInteger(value);
}

function describeValue(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return typeof value;
}

/** Validator naming its inputs: it sees their raw literals (and null for links). */
export const TestCustomValidation1: NodeDefinition = {
  type: 'TestCustomValidation1',
  category: 'Testing/Nodes',
  inputs: { required: IMAGE_OR_FLOAT },
  outputs: [{ type: 'IMAGE' }],
  validatedInputs: ['input1', 'input2'],
  validateInputs({ input1, input2 }) {
    for (const [name, value] of [['input1', input1], ['input2', input2]] as const) {
      if (value !== null && value !== undefined && !isTensor(value) && !isFloatLiteral(value)) return `Invalid type of ${name}: ${describeValue(value)}`;
    }
    return true;
  },
  execute: ({ input1, input2 }) => [multiply(input1, input2)],
};

/** Validator taking the link types (ComfyUI's `input_types` argument): no built-in type check. */
export const TestCustomValidation2: NodeDefinition = {
  type: 'TestCustomValidation2',
  category: 'Testing/Nodes',
  inputs: { required: IMAGE_OR_FLOAT },
  outputs: [{ type: 'IMAGE' }],
  validatedInputs: ['input1', 'input2'],
  validatesLinkTypes: true,
  validateInputs({ input1, input2 }, _ctx, inputTypes) {
    for (const [name, value] of [['input1', input1], ['input2', input2]] as const) {
      if (value !== null && value !== undefined && !isTensor(value) && !isFloatLiteral(value)) return `Invalid type of ${name}: ${describeValue(value)}`;
    }
    for (const name of ['input1', 'input2']) {
      const type = inputTypes[name];
      if (type !== undefined && type !== 'IMAGE' && type !== 'FLOAT') return `Invalid type of ${name}: ${type}`;
    }
    return true;
  },
  execute: ({ input1, input2 }) => [multiply(input1, input2)],
};

/**
 * ComfyUI's VariantSupport validator: a linked type must be a subset of the declared union
 * ("INT" into "IMAGE,FLOAT" fails, "FLOAT" passes); it names no input, so literals keep the
 * built-in checks.
 */
export const TestCustomValidation3: NodeDefinition = {
  type: 'TestCustomValidation3',
  category: 'Testing/Nodes',
  inputs: { required: IMAGE_OR_FLOAT },
  outputs: [{ type: 'IMAGE' }],
  validatedInputs: [],
  validatesLinkTypes: true,
  validateInputs(_inputs, _ctx, inputTypes) {
    for (const [name, type] of Object.entries(inputTypes)) {
      const expected = IMAGE_OR_FLOAT[name as keyof typeof IMAGE_OR_FLOAT]?.type;
      if (expected !== undefined && !typesCompatible(type, expected, true)) return `Invalid type of ${name}: ${type} (expected ${expected})`;
    }
    return true;
  },
  execute: ({ input1, input2 }) => [multiply(input1, input2)],
};

/** Validator naming FLOAT inputs: literals arrive converted, link types are still checked. */
export const TestCustomValidation4: NodeDefinition = {
  type: 'TestCustomValidation4',
  category: 'Testing/Nodes',
  inputs: { required: { input1: { type: 'FLOAT' }, input2: { type: 'FLOAT' } } },
  outputs: [{ type: 'IMAGE' }],
  validatedInputs: ['input1', 'input2'],
  validateInputs({ input1, input2 }) {
    if (input1 !== null && typeof input1 !== 'number') return `Invalid type of input1: ${typeof input1}`;
    if (input2 !== null && typeof input2 !== 'number') return `Invalid type of input2: ${typeof input2}`;
    return true;
  },
  execute: ({ input1, input2 }) => [filled(1, EXPANSION_SIZE, EXPANSION_SIZE, 3, input1 * input2)],
};

/** Validator over all inputs (ComfyUI's **kwargs): replaces the min/max checks. */
export const TestCustomValidation5: NodeDefinition = {
  type: 'TestCustomValidation5',
  category: 'Testing/Nodes',
  inputs: { required: { input1: { type: 'FLOAT', min: 0, max: 1 }, input2: { type: 'FLOAT', min: 0, max: 1 } } },
  outputs: [{ type: 'IMAGE' }],
  validatedInputs: '*',
  validateInputs: (inputs: NodeInputs) => (inputs.input2 === 7 ? "7s are not allowed. I've never liked 7s." : true),
  execute: ({ input1, input2 }) => [filled(1, EXPANSION_SIZE, EXPANSION_SIZE, 3, input1 * input2)],
};

/** Expands into two lazy mixes that need each other's output. */
export const TestDynamicDependencyCycle: NodeDefinition = {
  type: 'TestDynamicDependencyCycle',
  category: 'Testing/Nodes',
  inputs: { required: { input1: { type: 'IMAGE' }, input2: { type: 'IMAGE' } } },
  outputs: [{ type: 'IMAGE' }],
  execute({ input1, input2 }, ctx) {
    const p = ctx.expansionPrefix;
    const size = (input1 as Tensor).height;
    const expand: Expansion = {
      [`${p}mask`]: { class_type: 'StubMask', inputs: { value: 0.5, height: size, width: (input1 as Tensor).width, batch_size: 1 } },
      [`${p}mix1`]: { class_type: 'TestLazyMixImages', inputs: { image1: input1, image2: [`${p}mix2`, 0], mask: [`${p}mask`, 0] } },
      [`${p}mix2`]: { class_type: 'TestLazyMixImages', inputs: { image1: [`${p}mix1`, 0], image2: input2, mask: [`${p}mask`, 0] } },
    };
    return { result: [[`${p}mix2`, 0]], expand };
  },
};

/** Per list element: a plain result, a `{result}` object, or an expansion. */
export const TestMixedExpansionReturns: NodeDefinition = {
  type: 'TestMixedExpansionReturns',
  category: 'Testing/Nodes',
  inputs: { required: { input1: { type: 'FLOAT' } } },
  outputs: [{ type: 'IMAGE' }, { type: 'IMAGE' }],
  execute({ input1 }, ctx) {
    const s = EXPANSION_SIZE;
    const white = filled(1, s, s, 3, 1);
    if (input1 <= 0.1) return [filled(1, s, s, 3, 0.1), white];
    if (input1 <= 0.2) return { result: [filled(1, s, s, 3, 0.2), white] };
    const p = ctx.expansionPrefix;
    return {
      result: [[`${p}mix`, 0], white],
      expand: {
        [`${p}mask`]: { class_type: 'StubMask', inputs: { value: 0.3, height: s, width: s, batch_size: 1 } },
        [`${p}black`]: { class_type: 'StubImage', inputs: { content: 'BLACK', height: s, width: s, batch_size: 1 } },
        [`${p}white`]: { class_type: 'StubImage', inputs: { content: 'WHITE', height: s, width: s, batch_size: 1 } },
        [`${p}mix`]: { class_type: 'TestLazyMixImages', inputs: { image1: [`${p}black`, 0], image2: [`${p}white`, 0], mask: [`${p}mask`, 0] } },
      },
    };
  },
};

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An async node (runs alongside others) that passes its value on after `seconds`. */
export const TestSleep: NodeDefinition = {
  type: 'TestSleep',
  category: '_for_testing',
  concurrent: true,
  inputs: {
    required: { value: { type: '*' }, seconds: { type: 'FLOAT', default: 1, min: 0, max: 9999, step: 0.01 } },
    hidden: { unique_id: 'UNIQUE_ID' },
  },
  outputs: [{ type: '*' }],
  async execute({ value, seconds }, ctx) {
    const start = Date.now();
    const end = start + seconds * 1000;
    for (let now = start; now < end; now = Date.now()) {
      ctx.progress((now - start) / 1000, seconds);
      await delay(Math.min(50, end - now));
    }
    return [value];
  },
};

/** Expands into three sleeps feeding one average: the sleeps must overlap inside the expansion. */
export const TestParallelSleep: NodeDefinition = {
  type: 'TestParallelSleep',
  category: '_for_testing',
  outputNode: true,
  inputs: {
    required: {
      image1: { type: 'IMAGE' },
      image2: { type: 'IMAGE' },
      image3: { type: 'IMAGE' },
      sleep1: { type: 'FLOAT', default: 0.5, min: 0, max: 10, step: 0.01 },
      sleep2: { type: 'FLOAT', default: 0.5, min: 0, max: 10, step: 0.01 },
      sleep3: { type: 'FLOAT', default: 0.5, min: 0, max: 10, step: 0.01 },
    },
    hidden: { unique_id: 'UNIQUE_ID' },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ image1, image2, image3, sleep1, sleep2, sleep3 }, ctx) {
    const p = ctx.expansionPrefix;
    return {
      result: [[`${p}blend`, 0]],
      expand: {
        [`${p}sleep1`]: { class_type: 'TestSleep', inputs: { value: image1, seconds: sleep1 } },
        [`${p}sleep2`]: { class_type: 'TestSleep', inputs: { value: image2, seconds: sleep2 } },
        [`${p}sleep3`]: { class_type: 'TestSleep', inputs: { value: image3, seconds: sleep3 } },
        [`${p}blend`]: { class_type: 'TestVariadicAverage', inputs: { input1: [`${p}sleep1`, 0], input2: [`${p}sleep2`, 0], input3: [`${p}sleep3`, 0] } },
      },
    };
  },
};

export const TestOutputNodeWithSocketOutput: NodeDefinition = {
  type: 'TestOutputNodeWithSocketOutput',
  category: '_for_testing',
  outputNode: true,
  inputs: { required: { image: { type: 'IMAGE' }, value: { type: 'FLOAT', default: 1, min: 0, max: 10 } } },
  outputs: [{ type: 'IMAGE' }],
  execute: ({ image, value }) => [map(image, (v) => v * value)],
};

export const specificNodes = [
  TestLazyMixImages,
  TestVariadicAverage,
  TestCustomIsChanged,
  TestIsChangedWithConstants,
  TestCustomValidation1,
  TestCustomValidation2,
  TestCustomValidation3,
  TestCustomValidation4,
  TestCustomValidation5,
  TestDynamicDependencyCycle,
  TestMixedExpansionReturns,
  TestSleep,
  TestParallelSleep,
  TestOutputNodeWithSocketOutput,
];
