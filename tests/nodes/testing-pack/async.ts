// ComfyUI's async_test_nodes.py: nodes that run alongside others (`concurrent`), fail after a
// delay, time out, validate or check lazy inputs asynchronously, and expand into async nodes.
import type { NodeDefinition } from '../../../server/runtime/schema.ts';
import { filled } from './image.ts';
import { EXPANSION_SIZE } from './specific.ts';

const delay = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

const ANY = { type: '*' } as const;

export const TestAsyncValidation: NodeDefinition = {
  type: 'TestAsyncValidation',
  category: 'experimental/async',
  inputs: { required: { value: { type: 'FLOAT', default: 5 }, threshold: { type: 'FLOAT', default: 10 } } },
  outputs: [{ type: 'IMAGE' }],
  validatedInputs: ['value', 'threshold'],
  async validateInputs({ value, threshold }) {
    await delay(50);
    return value > threshold ? `Value ${value} exceeds threshold ${threshold}` : true;
  },
  execute: ({ value }) => [filled(1, EXPANSION_SIZE, EXPANSION_SIZE, 3, value / 10)],
};

export const TestAsyncError: NodeDefinition = {
  type: 'TestAsyncError',
  category: 'experimental/async',
  concurrent: true,
  inputs: { required: { value: ANY, error_after: { type: 'FLOAT', default: 0.1, min: 0, max: 10 } } },
  outputs: [{ type: '*' }],
  async execute({ error_after }, ctx) {
    await delay(error_after * 1000, ctx.signal);
    throw new Error('Intentional async execution error for testing');
  },
};

/** Gives up on its own operation after `timeout` seconds, as ComfyUI's test node does. */
export const TestAsyncTimeout: NodeDefinition = {
  type: 'TestAsyncTimeout',
  category: 'experimental/async',
  concurrent: true,
  inputs: {
    required: {
      value: ANY,
      timeout: { type: 'FLOAT', default: 1, min: 0.05, max: 10 },
      operation_time: { type: 'FLOAT', default: 2, min: 0.05, max: 10 },
    },
  },
  outputs: [{ type: '*' }],
  async execute({ value, timeout, operation_time }, ctx) {
    const operation = delay(operation_time * 1000, ctx.signal).then(() => 'done' as const);
    const limit = delay(timeout * 1000, ctx.signal).then(() => 'timeout' as const);
    if ((await Promise.race([operation, limit])) === 'timeout') throw new Error(`Operation timed out after ${timeout} seconds`);
    return [value];
  },
};

/** Runs longer than the engine lets it (`timeoutMs`): the engine's own timeout must end it. */
export const TestEngineTimeout: NodeDefinition = {
  type: 'TestEngineTimeout',
  category: 'experimental/async',
  concurrent: true,
  timeoutMs: 150,
  inputs: { required: { value: ANY, operation_time: { type: 'FLOAT', default: 2, min: 0, max: 10 } } },
  outputs: [{ type: '*' }],
  async execute({ value, operation_time }, ctx) {
    await delay(operation_time * 1000, ctx.signal);
    return [value];
  },
};

export const TestSyncError: NodeDefinition = {
  type: 'TestSyncError',
  category: 'experimental/async',
  inputs: { required: { value: ANY } },
  outputs: [{ type: '*' }],
  execute() {
    throw new Error('Intentional sync execution error for testing');
  },
};

export const TestAsyncValidationError: NodeDefinition = {
  type: 'TestAsyncValidationError',
  category: 'experimental/async',
  inputs: { required: { value: { type: 'FLOAT', default: 5 }, max_value: { type: 'FLOAT', default: 10 } } },
  outputs: [{ type: 'IMAGE' }],
  validatedInputs: ['value', 'max_value'],
  async validateInputs({ value, max_value }) {
    await delay(50);
    return value > max_value ? `Async validation failed: ${value} > ${max_value}` : true;
  },
  execute: ({ value, max_value }) => [filled(1, EXPANSION_SIZE, EXPANSION_SIZE, 3, value / max_value)],
};

export const TestAsyncLazyCheck: NodeDefinition = {
  type: 'TestAsyncLazyCheck',
  category: 'experimental/async',
  inputs: { required: { input1: { type: '*', lazy: true }, input2: { type: '*', lazy: true }, condition: { type: 'BOOLEAN', default: true } } },
  outputs: [{ type: 'IMAGE' }],
  async checkLazyStatus({ condition, input1, input2 }) {
    await delay(50);
    const needed: string[] = [];
    if (condition && input1 === null) needed.push('input1');
    if (!condition && input2 === null) needed.push('input2');
    return needed;
  },
  execute: () => [filled(1, EXPANSION_SIZE, EXPANSION_SIZE, 3, 1)],
};

/** Expands into `num_async_nodes` sleeps (alternating the two images) and their average. */
export const TestDynamicAsyncGeneration: NodeDefinition = {
  type: 'TestDynamicAsyncGeneration',
  category: 'experimental/async',
  inputs: {
    required: {
      image1: { type: 'IMAGE' },
      image2: { type: 'IMAGE' },
      num_async_nodes: { type: 'INT', default: 3, min: 1, max: 10 },
      sleep_duration: { type: 'FLOAT', default: 0.2, min: 0.05, max: 1 },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute({ image1, image2, num_async_nodes, sleep_duration }, ctx) {
    const p = ctx.expansionPrefix;
    const expand: Record<string, { class_type: string; inputs: Record<string, unknown> }> = {};
    const average: Record<string, unknown> = {};
    for (let i = 0; i < num_async_nodes; i++) {
      expand[`${p}sleep${i}`] = { class_type: 'TestSleep', inputs: { value: i % 2 === 0 ? image1 : image2, seconds: sleep_duration } };
      average[`input${i + 1}`] = [`${p}sleep${i}`, 0];
    }
    if (num_async_nodes === 1) return { result: [[`${p}sleep0`, 0]], expand };
    expand[`${p}average`] = { class_type: 'TestVariadicAverage', inputs: average };
    return { result: [[`${p}average`, 0]], expand };
  },
};

/** Fails when two runs hold the same resource at once; releases it however the run ends. */
const resourcesInUse = new Set<string>();
export const TestAsyncResourceUser: NodeDefinition = {
  type: 'TestAsyncResourceUser',
  category: 'experimental/async',
  concurrent: true,
  inputs: { required: { value: ANY, resource_id: { type: 'STRING', default: 'resource_0' }, duration: { type: 'FLOAT', default: 0.1, min: 0, max: 1 } } },
  outputs: [{ type: '*' }],
  async execute({ value, resource_id, duration }, ctx) {
    if (resourcesInUse.has(resource_id)) throw new Error(`Resource ${resource_id} is already in use!`);
    resourcesInUse.add(resource_id);
    try {
      await delay(duration * 1000, ctx.signal);
      return [value];
    } finally {
      resourcesInUse.delete(resource_id);
    }
  },
};

export const asyncNodes = [
  TestAsyncValidation,
  TestAsyncError,
  TestAsyncTimeout,
  TestEngineTimeout,
  TestSyncError,
  TestAsyncValidationError,
  TestAsyncLazyCheck,
  TestDynamicAsyncGeneration,
  TestAsyncResourceUser,
];
