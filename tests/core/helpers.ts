// Test nodes that make small IMAGE and MASK values from literal numbers, an engine with them and a
// capture node, and the checks the core-node tests share.
import { expect } from 'vitest';
import { imageFromPixels, mask, materialize, type Image } from '../../types/data.ts';
import type { NodeDefinition } from '../../server/runtime/schema.ts';
import type { ApiPrompt } from '../../types/api.ts';
import { startEngine, type TestEngine } from '../helpers/engine.ts';
import { executionError, runPrompt } from '../media/helpers.ts';

/** An output node that keeps what reaches it under its node id. */
function captureById(): { node: NodeDefinition; values: Map<string, unknown> } {
  const values = new Map<string, unknown>();
  const node: NodeDefinition = {
    type: 'TestCapture',
    outputNode: true,
    notIdempotent: true,
    inputs: { required: { value: { type: '*' } }, hidden: { id: 'UNIQUE_ID' } },
    execute: ({ value, id }) => {
      values.set(id, value);
      return { ui: { text: ['captured'] } };
    },
  };
  return { node, values };
}

/** IMAGE from `values` (JSON list of bytes, [count, height, width, 3]). */
const TestPixels: NodeDefinition = {
  type: 'TestPixels',
  inputs: {
    required: {
      values: { type: 'STRING', default: '[]' },
      width: { type: 'INT', default: 1, min: 1, max: 64 },
      height: { type: 'INT', default: 1, min: 1, max: 64 },
      count: { type: 'INT', default: 1, min: 1, max: 64 },
    },
  },
  outputs: [{ type: 'IMAGE' }],
  execute: ({ values, width, height, count }) => [imageFromPixels(Uint8Array.from(JSON.parse(values)), count, width, height, 'test pixels')],
};

/** MASK from `values` (JSON list of floats, [count, height, width]). */
const TestMask: NodeDefinition = {
  type: 'TestMask',
  inputs: {
    required: {
      values: { type: 'STRING', default: '[]' },
      width: { type: 'INT', default: 1, min: 1, max: 64 },
      height: { type: 'INT', default: 1, min: 1, max: 64 },
      count: { type: 'INT', default: 1, min: 1, max: 64 },
    },
  },
  outputs: [{ type: 'MASK' }],
  execute: ({ values, width, height, count }) => [mask(Float32Array.from(JSON.parse(values)), count, width, height)],
};

/** A 'TestPixels' prompt node: every pixel of every frame from `rgb(frame, x, y)`. */
export function pixels(width: number, height: number, count: number, rgb: (frame: number, x: number, y: number) => number[]) {
  const values: number[] = [];
  for (let f = 0; f < count; f++) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) values.push(...rgb(f, x, y));
  return { class_type: 'TestPixels', inputs: { values: JSON.stringify(values), width, height, count } };
}

export function maskNode(width: number, height: number, values: number[]) {
  return { class_type: 'TestMask', inputs: { values: JSON.stringify(values), width, height, count: values.length / (width * height) } };
}

export interface CoreEngine {
  engine: TestEngine;
  /** Runs `prompt` with a capture node on each listed output; gives the captured values in order. */
  run(prompt: ApiPrompt, capture: [string, number][]): Promise<unknown[]>;
  /** Runs `prompt`, expecting it to fail; gives the execution error. */
  fail(prompt: ApiPrompt): Promise<{ node_id: string; node_type: string; exception_message: string }>;
}

export async function coreEngine(base?: string, extraNodes: NodeDefinition[] = []): Promise<CoreEngine> {
  const capture = captureById();
  const engine = await startEngine([capture.node, TestPixels, TestMask, ...extraNodes], base);
  return {
    engine,
    async run(prompt, outputs) {
      capture.values.clear();
      const full: ApiPrompt = { ...prompt };
      outputs.forEach(([node, slot], i) => (full[`capture${i}`] = { class_type: 'TestCapture', inputs: { value: [node, slot] } }));
      const entry = await runPrompt(engine, full);
      expect(executionError(entry)).toBeUndefined();
      return outputs.map((_, i) => capture.values.get(`capture${i}`));
    },
    async fail(prompt) {
      const entry = await runPrompt(engine, prompt);
      const error = executionError(entry);
      expect(error).toBeDefined();
      return error as { node_id: string; node_type: string; exception_message: string };
    },
  };
}

/** Every byte of an IMAGE, read one frame per chunk (so chunk boundaries are exercised). */
export async function bytes(image: Image): Promise<number[]> {
  return [...(await materialize(image, { chunkFrames: 1 })).data];
}

type Spec = [unknown, Record<string, unknown>?];
/** `[type, options]` with the options object always present, so `['IMAGE']` equals `['IMAGE', {}]`. */
const normal = (specs: Record<string, Spec> = {}) => Object.fromEntries(Object.entries(specs).map(([k, [t, o]]) => [k, [t, o ?? {}]]));

export interface ExpectedSchema {
  required: Record<string, Spec>;
  optional?: Record<string, Spec>;
  hidden?: Record<string, string>;
  output: string[];
  output_name: string[];
  display_name: string;
  category: string;
  output_node?: boolean;
}

/** The node's /object_info entry against ComfyUI's: inputs in order with their options, outputs, names. */
export function expectSchema(engine: TestEngine, type: string, expected: ExpectedSchema): void {
  const info = engine.runner.options.registry.nodeInfo(type, engine.storage);
  expect(info, type).toBeDefined();
  expect(normal(info!.input.required as Record<string, Spec>), type).toEqual(normal(expected.required));
  expect(normal(info!.input.optional as Record<string, Spec> | undefined), type).toEqual(normal(expected.optional));
  expect(info!.input.hidden, type).toEqual(expected.hidden);
  expect(info!.input_order, type).toEqual({
    required: Object.keys(expected.required),
    ...(expected.optional ? { optional: Object.keys(expected.optional) } : {}),
    ...(expected.hidden ? { hidden: Object.keys(expected.hidden) } : {}),
  });
  expect(info!.output, type).toEqual(expected.output);
  expect(info!.output_name, type).toEqual(expected.output_name);
  expect(info!.output_is_list, type).toEqual(expected.output.map(() => false));
  expect(info!.display_name, type).toBe(expected.display_name);
  expect(info!.category, type).toBe(expected.category);
  expect(info!.output_node, type).toBe(expected.output_node ?? false);
}
