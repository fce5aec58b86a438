// The editor's pure subgraph helpers: execution ids ("5:2") to canvas nodes, control-after-generate
// targets, and the node types a file with subgraph definitions needs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { controlTarget, executionPath, missingNodeTypes, resolveExecutionId, subgraphDefinitions, type NodeLookup } from '../../client/src/subgraph-ids.ts';
import type { UiWorkflow } from '../../types/workflow.ts';

interface FakeNode {
  id: number;
  title: string;
  inner?: FakeGraph;
}

class FakeGraph implements NodeLookup<FakeNode> {
  readonly nodes = new Map<number, FakeNode>();
  constructor(nodes: FakeNode[]) {
    for (const node of nodes) this.nodes.set(node.id, node);
  }
  getNodeById(id: string | number): FakeNode | undefined {
    // Litegraph keeps nodes in an object keyed by id: "2" and 2 find the same node.
    return this.nodes.get(Number(id));
  }
}

// Root: 1, 5 (subgraph A: 1, 2, 3 = subgraph B: 7); two instances of A (5 and 6) share the definition.
const innerB = new FakeGraph([{ id: 7, title: 'deep' }]);
const innerA = new FakeGraph([
  { id: 1, title: 'a1' },
  { id: 2, title: 'a2' },
  { id: 3, title: 'B', inner: innerB },
]);
const root = new FakeGraph([
  { id: 1, title: 'root1' },
  { id: 5, title: 'A', inner: innerA },
  { id: 6, title: 'A again', inner: innerA },
]);
const titles = (id: string | number) => resolveExecutionId(root, id, (node) => node.inner)?.map((node) => node.title);

describe('execution ids', () => {
  it('splits ids into their path', () => {
    expect(executionPath('5:2')).toEqual(['5', '2']);
    expect(executionPath(12)).toEqual(['12']);
    expect(executionPath('5:3:7')).toEqual(['5', '3', '7']);
  });

  it('finds root nodes, inner nodes and nested inner nodes, outermost first', () => {
    expect(titles('1')).toEqual(['root1']);
    expect(titles(1)).toEqual(['root1']);
    expect(titles('5:2')).toEqual(['A', 'a2']);
    expect(titles('6:2')).toEqual(['A again', 'a2']);
    expect(titles('5:3:7')).toEqual(['A', 'B', 'deep']);
  });

  it('gives up on ids that leave the graphs', () => {
    expect(titles('9')).toBeUndefined();
    expect(titles('5:9')).toBeUndefined();
    // Node 1 on the root is no subgraph node: nothing inside it.
    expect(titles('1:2')).toBeUndefined();
    expect(titles('5:3:7:1')).toBeUndefined();
    expect(titles('')).toBeUndefined();
    expect(titles('5:')).toBeUndefined();
  });
});

describe('control-after-generate targets', () => {
  it('tells root nodes from subgraph nodes', () => {
    expect(controlTarget('4')).toEqual({ node: '4' });
    expect(controlTarget('b7d4c1e0-3a5f-4e2b-9c8d-1f6a0e5b4c3d/3')).toEqual({ subgraph: 'b7d4c1e0-3a5f-4e2b-9c8d-1f6a0e5b4c3d', node: '3' });
  });
});

describe('node types of files with subgraphs', () => {
  const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'workflow', 'fixtures', 'subgraph.v1.json'), 'utf8')) as UiWorkflow;

  it('lists the definitions, nested ones included', () => {
    expect(subgraphDefinitions(fixture).map((def) => def.name)).toEqual(['Invert twice and save']);
    const nested = { nodes: [], definitions: { subgraphs: [{ id: 'outer', nodes: [], definitions: { subgraphs: [{ id: 'inner', nodes: [] }] } }] } };
    expect(subgraphDefinitions(nested).map((def) => def.id)).toEqual(['outer', 'inner']);
    expect(subgraphDefinitions({ nodes: [] } as never)).toEqual([]);
  });

  it('does not call subgraph instances missing, and checks the nodes inside definitions', () => {
    const known = new Set(['LoadImage', 'SaveImage', 'ImageInvert']);
    expect(missingNodeTypes(fixture, (type) => known.has(type))).toEqual([]);
    known.delete('ImageInvert');
    expect(missingNodeTypes(fixture, (type) => known.has(type))).toEqual(['ImageInvert']);
    // A file that uses a subgraph id without defining it: that type is missing.
    const undefinedInstance = { ...fixture, definitions: { subgraphs: [] } };
    expect(missingNodeTypes(undefinedInstance, (type) => known.has(type) || type === 'ImageInvert')).toEqual(['b7d4c1e0-3a5f-4e2b-9c8d-1f6a0e5b4c3d']);
  });
});
