// Flow control built from expansions (ComfyUI's flow_control.py, util.py, conditions.py):
// while and for loops that unroll themselves one iteration per expansion, an execution blocker,
// list building, and the small logic nodes the loops and list tests use.
import { isLink, type LinkRef } from '../../../types/api.ts';
import { ExecutionBlocker, type Expansion, type LiveGraph, type NodeDefinition, type SocketInput } from '../../../server/runtime/schema.ts';
import { isTensor, minMax } from './image.ts';

const FLOW_SOCKETS = 5;
const ANY: SocketInput = { type: '*' };
const values = (count: number, from = 0) => Array.from({ length: count }, (_, i) => i + from);

export const TestWhileLoopOpen: NodeDefinition = {
  type: 'TestWhileLoopOpen',
  category: 'Testing/Flow',
  inputs: {
    required: { condition: { type: 'BOOLEAN', default: true } },
    optional: Object.fromEntries(values(FLOW_SOCKETS).map((i) => [`initial_value${i}`, ANY])),
  },
  outputs: [{ type: 'FLOW_CONTROL', name: 'FLOW_CONTROL' }, ...values(FLOW_SOCKETS).map((i) => ({ type: '*', name: `value${i}` }))],
  execute: (inputs) => ['stub', ...values(FLOW_SOCKETS).map((i) => inputs[`initial_value${i}`] ?? null)],
};

/**
 * Ends one iteration. While `condition` holds, it copies every node between the loop's open
 * node and itself (read from the live graph), feeds this iteration's values into the copy of the
 * open node, and returns the outputs of its own copy, which decides about the next iteration.
 */
export const TestWhileLoopClose: NodeDefinition = {
  type: 'TestWhileLoopClose',
  category: 'Testing/Flow',
  inputs: {
    required: { flow_control: { type: 'FLOW_CONTROL', rawLink: true }, condition: { type: 'BOOLEAN', forceInput: true } },
    optional: Object.fromEntries(values(FLOW_SOCKETS).map((i) => [`initial_value${i}`, ANY])),
    hidden: { dynprompt: 'DYNPROMPT', unique_id: 'UNIQUE_ID' },
  },
  outputs: values(FLOW_SOCKETS).map((i) => ({ type: '*', name: `value${i}` })),
  execute(inputs, ctx) {
    const { flow_control, condition, dynprompt, unique_id } = inputs as { flow_control: LinkRef; condition: boolean; dynprompt: LiveGraph; unique_id: string };
    const current = values(FLOW_SOCKETS).map((i) => inputs[`initial_value${i}`] ?? null);
    if (!condition) return current;

    // consumers[id] = nodes that take an output of `id`, over everything upstream of this node.
    const consumers = new Map<string, string[]>();
    const explore = (id: string) => {
      for (const value of Object.values(dynprompt.getNode(id)?.inputs ?? {})) {
        if (!isLink(value)) continue;
        const known = consumers.has(value[0]);
        consumers.set(value[0], [...(consumers.get(value[0]) ?? []), id]);
        if (!known) explore(value[0]);
      }
    };
    explore(unique_id);
    const openId = flow_control[0];
    const contained = new Set([openId, unique_id]);
    const collect = (id: string) => {
      for (const next of consumers.get(id) ?? []) {
        if (!contained.has(next)) {
          contained.add(next);
          collect(next);
        }
      }
    };
    collect(openId);

    const p = ctx.expansionPrefix;
    const newId = new Map([...contained].map((id, index) => [id, id === unique_id ? `${p}close` : `${p}${index}`]));
    const expand: Expansion = {};
    for (const id of contained) {
      const original = dynprompt.getNode(id)!;
      const copied: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(original.inputs)) copied[name] = isLink(value) && contained.has(value[0]) ? [newId.get(value[0])!, value[1]] : value;
      if (id === openId) for (const i of values(FLOW_SOCKETS)) copied[`initial_value${i}`] = current[i];
      expand[newId.get(id)!] = { class_type: original.class_type, inputs: copied, override_display_id: dynprompt.displayId(id) ?? id };
    }
    return { result: values(FLOW_SOCKETS).map((i) => [`${p}close`, i]), expand };
  },
};

export const TestExecutionBlocker: NodeDefinition = {
  type: 'TestExecutionBlocker',
  category: 'Testing/Flow',
  inputs: { required: { input: ANY, block: { type: 'BOOLEAN' }, verbose: { type: 'BOOLEAN', default: false } } },
  outputs: [{ type: '*', name: 'output' }],
  execute: ({ input, block, verbose }) => [block ? new ExecutionBlocker(verbose ? 'Blocked Execution' : null) : input],
};

export const TestForLoopOpen: NodeDefinition = {
  type: 'TestForLoopOpen',
  category: 'Testing/Flow',
  inputs: {
    required: { remaining: { type: 'INT', default: 1, min: 0, max: 100_000, step: 1 } },
    optional: {
      ...Object.fromEntries(values(FLOW_SOCKETS - 1, 1).map((i) => [`initial_value${i}`, ANY])),
      // Set only on the copies a loop iteration makes: the count left (hidden in ComfyUI).
      initial_value0: { type: 'INT', forceInput: true },
    },
  },
  outputs: [
    { type: 'FLOW_CONTROL', name: 'flow_control' },
    { type: 'INT', name: 'remaining' },
    ...values(FLOW_SOCKETS - 1, 1).map((i) => ({ type: '*', name: `value${i}` })),
  ],
  execute(inputs, ctx) {
    const remaining = inputs.initial_value0 ?? inputs.remaining;
    const carried = values(FLOW_SOCKETS - 1, 1).map((i) => inputs[`initial_value${i}`] ?? null);
    const p = ctx.expansionPrefix;
    return {
      result: ['stub', remaining, ...carried],
      expand: {
        [`${p}open`]: {
          class_type: 'TestWhileLoopOpen',
          inputs: { condition: remaining, initial_value0: remaining, ...Object.fromEntries(carried.map((v, i) => [`initial_value${i + 1}`, v])) },
        },
      },
    };
  },
};

/** Turns the loop into a while loop counting `remaining` down to 0. */
export const TestForLoopClose: NodeDefinition = {
  type: 'TestForLoopClose',
  category: 'Testing/Flow',
  inputs: {
    required: { flow_control: { type: 'FLOW_CONTROL', rawLink: true } },
    optional: Object.fromEntries(values(FLOW_SOCKETS - 1, 1).map((i) => [`initial_value${i}`, { type: '*', rawLink: true }])),
  },
  outputs: values(FLOW_SOCKETS - 1, 1).map((i) => ({ type: '*', name: `value${i}` })),
  execute(inputs, ctx) {
    const flowControl = inputs.flow_control as LinkRef;
    const p = ctx.expansionPrefix;
    const carried = Object.fromEntries(values(FLOW_SOCKETS - 1, 1).map((i) => [`initial_value${i}`, inputs[`initial_value${i}`] ?? null]));
    return {
      result: values(FLOW_SOCKETS - 1, 1).map((i) => [`${p}while`, i]),
      expand: {
        [`${p}sub`]: { class_type: 'TestIntMathOperation', inputs: { operation: 'subtract', a: [flowControl[0], 1], b: 1 } },
        [`${p}cond`]: { class_type: 'TestToBoolNode', inputs: { value: [`${p}sub`, 0] } },
        [`${p}while`]: {
          class_type: 'TestWhileLoopClose',
          inputs: { flow_control: flowControl, condition: [`${p}cond`, 0], initial_value0: [`${p}sub`, 0], ...carried },
        },
      },
    };
  },
};

export const TestIntMathOperation: NodeDefinition = {
  type: 'TestIntMathOperation',
  category: 'Testing/Logic',
  inputs: {
    required: {
      a: { type: 'INT', default: 0, min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, step: 1 },
      b: { type: 'INT', default: 0, min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, step: 1 },
      operation: { type: 'COMBO', options: ['add', 'subtract', 'multiply', 'divide', 'modulo', 'power'] },
    },
  },
  outputs: [{ type: 'INT' }],
  execute({ a, b, operation }) {
    switch (operation) {
      case 'add':
        return [a + b];
      case 'subtract':
        return [a - b];
      case 'multiply':
        return [a * b];
      case 'divide':
        return [Math.floor(a / b)];
      case 'modulo':
        return [((a % b) + b) % b];
      default:
        return [a ** b];
    }
  },
};

export const TestToBoolNode: NodeDefinition = {
  type: 'TestToBoolNode',
  category: 'Testing/Logic',
  inputs: { required: { value: ANY }, optional: { invert: { type: 'BOOLEAN', default: false } } },
  outputs: [{ type: 'BOOLEAN' }],
  execute({ value, invert }) {
    let result: boolean;
    if (isTensor(value)) {
      const [min, max] = minMax(value);
      result = !(min === 0 && max === 0);
    } else {
      result = Array.isArray(value) ? value.length > 0 : Boolean(value);
    }
    return [invert ? !result : result];
  },
};

export const TestIntConditions: NodeDefinition = {
  type: 'TestIntConditions',
  category: 'Testing/Logic',
  inputs: {
    required: {
      a: { type: 'INT', default: 0, min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
      b: { type: 'INT', default: 0, min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
      operation: { type: 'COMBO', options: ['==', '!=', '<', '>', '<=', '>='] },
    },
  },
  outputs: [{ type: 'BOOLEAN' }],
  execute({ a, b, operation }) {
    const results: Record<string, boolean> = { '==': a === b, '!=': a !== b, '<': a < b, '>': a > b, '<=': a <= b, '>=': a >= b };
    return [results[operation]];
  },
};

const LIST_SOCKETS = 10;

/** value1, value2, ... in order, as one list output. */
export const TestMakeListNode: NodeDefinition = {
  type: 'TestMakeListNode',
  category: 'Testing/Lists',
  inputs: { required: { value1: ANY }, optional: Object.fromEntries(values(LIST_SOCKETS - 2, 2).map((i) => [`value${i}`, ANY])) },
  outputs: [{ type: '*', isList: true }],
  execute(inputs) {
    const list: unknown[] = [];
    for (const i of values(LIST_SOCKETS)) if (`value${i}` in inputs) list.push(inputs[`value${i}`]);
    return [list];
  },
};

export const flowNodes = [
  TestWhileLoopOpen,
  TestWhileLoopClose,
  TestExecutionBlocker,
  TestForLoopOpen,
  TestForLoopClose,
  TestIntMathOperation,
  TestToBoolNode,
  TestIntConditions,
  TestMakeListNode,
];
