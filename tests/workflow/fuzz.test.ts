// 1,000 corrupted workflow files through the whole loading pipeline: each must end in a prompt or
// a clear error (SyntaxError from JSON, WorkflowError from us), never any other exception.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPlainObject } from '../../server/runtime/validate.ts';
import { apiToUi, applyControlAfterGenerate, detectWorkflow, toApiPrompt, uiToApi, WorkflowError } from '../../server/workflow/index.ts';
import { FIXTURES, objectInfo, prng } from './helpers.ts';

const SEED = 20240613;
const CASES = 1000;

const sources = ['default-graph.json', 'video-pipeline.json', 'mute-bypass.v1.json', 'reroutes-primitives.json', 'subgraph.v1.json'].map((f) =>
  readFileSync(join(FIXTURES, f), 'utf8'),
);
sources.push(JSON.stringify(uiToApi(JSON.parse(sources[0]!), objectInfo).prompt));

type Container = Record<string, unknown> | unknown[];

/** Every (container, key) pair down to a bounded depth, found without recursion. */
function slots(root: unknown): [Container, string | number][] {
  const found: [Container, string | number][] = [];
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object' || depth > 12) continue;
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (const [key, child] of entries) {
      found.push([value as Container, key]);
      stack.push([child, depth + 1]);
    }
  }
  return found;
}

function deepNest(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

const HOSTILE_TEXT = [
  '{"__proto__": {"polluted": true}, "id": 1, "type": "KSampler"}',
  '{"__proto__": {"polluted": true}}',
  '{"constructor": {"prototype": {"polluted": true}}}',
  '"__proto__"',
  '{"seed": 1, "__proto__": [1, 2]}',
];

function randomValue(rng: () => number): unknown {
  const pick = Math.floor(rng() * 16);
  switch (pick) {
    case 0: return null;
    case 1: return 1e308;
    case 2: return -(2 ** 64);
    case 3: return 2 ** 53 + 1;
    case 4: return '';
    case 5: return 'x'.repeat(5000);
    case 6: return [];
    case 7: return {};
    case 8: return true;
    case 9: return deepNest(2000 + Math.floor(rng() * 3000));
    case 10: return JSON.parse(HOSTILE_TEXT[Math.floor(rng() * HOSTILE_TEXT.length)]!);
    case 11: return '__proto__';
    case 12: return -1;
    case 13: return 0.5;
    case 14: return ['99', 0];
    default: return Math.floor(rng() * 40) - 5;
  }
}

function corrupt(text: string, rng: () => number): string | unknown {
  const kind = rng();
  if (kind < 0.12) return text.slice(0, Math.floor(rng() * text.length));
  const data = JSON.parse(text);
  const rounds = 1 + Math.floor(rng() * 3);
  for (let r = 0; r < rounds; r++) {
    const all = slots(data);
    if (all.length === 0) break;
    const [container, key] = all[Math.floor(rng() * all.length)]!;
    const action = rng();
    if (action < 0.6) (container as Record<string | number, unknown>)[key] = randomValue(rng);
    else if (action < 0.75) {
      if (Array.isArray(container)) container.splice(Number(key), 1);
      else delete container[key];
    } else if (action < 0.9) {
      // Dangling or self links: point an id-like number somewhere else.
      const value = (container as Record<string | number, unknown>)[key];
      if (typeof value === 'number') (container as Record<string | number, unknown>)[key] = value + Math.floor(rng() * 7) - 3;
    } else {
      Object.defineProperty(container, '__proto__', { value: randomValue(rng), enumerable: true, configurable: true, writable: true });
    }
  }
  return data;
}

/** The pipeline a user's file goes through; returns what it produced, throws what it threw. */
function load(input: string | unknown, rng: () => number): unknown {
  const data = typeof input === 'string' ? JSON.parse(input) : input;
  const loaded = detectWorkflow(data);
  if (loaded.format === 'ui') applyControlAfterGenerate(loaded.workflow, objectInfo, rng);
  const { prompt } = toApiPrompt(loaded, objectInfo);
  if (loaded.format === 'ui') {
    for (const [id, node] of Object.entries(prompt)) {
      if (typeof node.class_type !== 'string' || !isPlainObject(node.inputs)) throw new Error(`malformed prompt node ${id}`);
    }
    JSON.stringify(prompt);
  }
  return apiToUi(prompt, objectInfo);
}

describe('fuzz: corrupted workflow files', () => {
  it(`${CASES} corrupted files give an error or a valid prompt, never a crash (seed ${SEED})`, () => {
    const rng = prng(SEED);
    const outcomes = { ok: 0, workflowError: 0, syntaxError: 0 };
    for (let i = 0; i < CASES; i++) {
      const source = sources[i % sources.length]!;
      const input = corrupt(source, rng);
      try {
        load(input, rng);
        outcomes.ok++;
      } catch (error) {
        if (error instanceof WorkflowError) outcomes.workflowError++;
        else if (error instanceof SyntaxError && typeof input === 'string') outcomes.syntaxError++;
        else throw new Error(`case ${i} (seed ${SEED}) crashed: ${(error as Error).stack}`);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(outcomes.ok + outcomes.workflowError + outcomes.syntaxError).toBe(CASES);
    // The corpus exercises both paths, not only one.
    expect(outcomes.ok).toBeGreaterThan(100);
    expect(outcomes.workflowError).toBeGreaterThan(100);
  });
});
