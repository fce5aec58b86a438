import { describe, expect, it } from 'vitest';
import { applyControlAfterGenerate, RANDOMIZE_LIMIT, uiToApi, type ControlChange } from '../../server/workflow/index.ts';
import { fixture, objectInfo, prng } from './helpers.ts';

function sampler(values: unknown[]) {
  return { nodes: [{ id: 3, type: 'KSampler', mode: 0, widgets_values: values }], links: [], version: 0.4 };
}

describe('control after generate', () => {
  it('increments, decrements and leaves fixed values, returning a new workflow', () => {
    const input = sampler([10, 'increment', 20, 8, 'euler', 'normal', 1]);
    const snapshot = JSON.stringify(input);
    const changes: ControlChange[] = [];
    const next = applyControlAfterGenerate(input as never, objectInfo, Math.random, (c) => changes.push(c));
    expect(next.nodes[0]!.widgets_values).toEqual([11, 'increment', 20, 8, 'euler', 'normal', 1]);
    expect(JSON.stringify(input)).toBe(snapshot);
    expect(changes).toEqual([{ node: '3', type: 'KSampler', widget: 'seed', mode: 'increment', from: 10, to: 11 }]);
    expect(applyControlAfterGenerate(sampler([0, 'decrement']) as never, objectInfo, Math.random).nodes[0]!.widgets_values).toEqual([0, 'decrement']);
    expect(applyControlAfterGenerate(sampler([5, 'fixed']) as never, objectInfo, Math.random).nodes[0]!.widgets_values).toEqual([5, 'fixed']);
  });

  it('randomizes within min/max and never beyond ±2^50', () => {
    const rng = prng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const value = applyControlAfterGenerate(sampler([0, 'randomize']) as never, objectInfo, rng).nodes[0]!.widgets_values as number[];
      const seed = value[0]!;
      expect(Number.isInteger(seed)).toBe(true);
      expect(seed).toBeGreaterThanOrEqual(0);
      expect(seed).toBeLessThanOrEqual(RANDOMIZE_LIMIT);
      seen.add(seed);
    }
    expect(seen.size).toBeGreaterThan(190);
    expect(applyControlAfterGenerate(sampler([0, 'randomize']) as never, objectInfo, () => 0.999999999).nodes[0]!.widgets_values).toEqual([
      expect.any(Number),
      'randomize',
    ]);
    const top = (applyControlAfterGenerate(sampler([0, 'randomize']) as never, objectInfo, () => 0.9999999999999999).nodes[0]!.widgets_values as number[])[0]!;
    expect(top).toBeLessThanOrEqual(RANDOMIZE_LIMIT);
    expect(top).toBeGreaterThan(RANDOMIZE_LIMIT - 2);
  });

  it('moves combos through their filtered options and steps floats by their step', () => {
    const workflow = { nodes: [{ id: 1, type: 'TestWidgets', widgets_values: [[], 'c', 'increment-wrap', 'c', 1, 'increment', 'n'] }], links: [] };
    const next = applyControlAfterGenerate(workflow as never, objectInfo, Math.random);
    // Options matching "c" are c and cc: after c comes cc; the float stays at its max of 1.
    expect(next.nodes[0]!.widgets_values).toEqual([[], 'cc', 'increment-wrap', 'c', 1, 'increment', 'n']);
    const again = applyControlAfterGenerate(next, objectInfo, Math.random);
    expect((again.nodes[0]!.widgets_values as unknown[])[1]).toBe('c');
    const down = { nodes: [{ id: 1, type: 'TestWidgets', widgets_values: [[], 'a', 'fixed', '', 0.75, 'decrement', 'n'] }], links: [] };
    expect((applyControlAfterGenerate(down as never, objectInfo, Math.random).nodes[0]!.widgets_values as unknown[])[4]).toBe(0.5);
  });

  it('updates a PrimitiveNode driving a seed, and the converted prompt uses the new value', () => {
    const workflow = fixture('reroutes-primitives.json');
    const next = applyControlAfterGenerate(workflow, objectInfo, Math.random);
    const primitive = next.nodes.find((n) => n.id === 2)!;
    expect(primitive.widgets_values).toEqual([43, 'increment']);
    expect(uiToApi(next, objectInfo).prompt['3']!.inputs.seed).toBe(43);
    // The KSampler's own stored seed is overridden by the primitive, so it is not touched.
    expect(next.nodes.find((n) => n.id === 3)).toBe(workflow.nodes.find((n: { id: number }) => n.id === 3));
  });

  it('applies inside subgraph definitions', () => {
    const workflow = fixture('subgraph.v1.json');
    workflow.definitions.subgraphs[0].nodes.push({ id: 9, type: 'PrimitiveInt', widgets_values: [1, 'increment'], outputs: [] });
    const next = applyControlAfterGenerate(workflow, objectInfo, Math.random);
    expect(next.definitions!.subgraphs![0]!.nodes.at(-1)!.widgets_values).toEqual([2, 'increment']);
    expect(uiToApi(next, objectInfo).prompt['5:9']!.inputs).toEqual({ value: 2 });
  });
});
