// Per-instance subgraph state in the editor: outputs and marks kept per execution id ("5:2"), and
// what a subgraph opened through one instance shows on its inner nodes.
import { describe, expect, it } from 'vitest';
import { anyInside, entriesForInstance, executionIdOf, parentPath } from '../../client/src/subgraph-ids.ts';
import { comboFile, remoteValues } from '../../client/src/remote-combos.ts';

describe('per-instance subgraph outputs', () => {
  const outputs = new Map<string, string>([
    ['7', 'root'],
    ['5:2', 'first instance'],
    ['6:2', 'second instance'],
    ['6:4', 'second instance, other node'],
    ['5:3:2', 'nested in the first'],
    ['6:3:2', 'nested in the second'],
  ]);

  it('parentPath and executionIdOf split and join execution ids', () => {
    expect(parentPath('7')).toBe('');
    expect(parentPath('5:2')).toBe('5');
    expect(parentPath('5:3:2')).toBe('5:3');
    expect(executionIdOf([], 7)).toBe('7');
    expect(executionIdOf(['5', '3'], 2)).toBe('5:3:2');
  });

  it('an instance shows its own inner outputs, not the other instance\'s or nested ones', () => {
    expect([...entriesForInstance(outputs, ['5'])]).toEqual([['2', 'first instance']]);
    expect([...entriesForInstance(outputs, ['6'])]).toEqual([
      ['2', 'second instance'],
      ['4', 'second instance, other node'],
    ]);
    expect([...entriesForInstance(outputs, ['5', '3'])]).toEqual([['2', 'nested in the first']]);
    expect([...entriesForInstance(outputs, ['6', '3'])]).toEqual([['2', 'nested in the second']]);
    expect([...entriesForInstance(outputs, [])]).toEqual([['7', 'root']]);
  });

  it('an instance without outputs gets none (its inner nodes are cleared)', () => {
    expect(entriesForInstance(outputs, ['8']).size).toBe(0);
    // "5" is no prefix of "55:2".
    expect(entriesForInstance(new Map([['55:2', 'x']]), ['5']).size).toBe(0);
  });

  it('anyInside finds marks at any depth inside an instance', () => {
    const errors = new Map([['5:3:2', {}]]);
    expect(anyInside(errors, ['5'])).toBe(true);
    expect(anyInside(errors, ['5', '3'])).toBe(true);
    expect(anyInside(errors, ['6'])).toBe(false);
    expect(anyInside(new Map([['55:1', {}]]), ['5'])).toBe(false);
  });
});

describe('remote combos', () => {
  it('reads the route\'s list, or the list under response_key', () => {
    expect(remoteValues(['b.png [output]', 'a.png [output]'], {})).toEqual(['b.png [output]', 'a.png [output]']);
    expect(remoteValues({ files: ['x'] }, { response_key: 'files' })).toEqual(['x']);
    expect(remoteValues({ error: 'nope' }, {})).toEqual([]);
  });

  it('annotated names name files in their folder', () => {
    expect(comboFile('swatch_00001_.png [output]')).toEqual({ filename: 'swatch_00001_.png', subfolder: '', type: 'output' });
    expect(comboFile('sub/x.png')).toEqual({ filename: 'x.png', subfolder: 'sub', type: 'input' });
  });
});
