// Every core class that carries a ComfyUI class name has ComfyUI's exact schema in /object_info:
// inputs (names, order, required or optional), types, combo options, defaults, min/max/step,
// upload flags, hidden inputs, outputs and category. The table in comfy-schemas.ts says what
// ComfyUI declares, with the file and line of each declaration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputInfo, NodeInfo, ObjectInfo } from '../../types/api.ts';
import { startTestServer, type TestServer } from '../api/helpers.ts';
import { COMFY_CLASSES, FILES, FLASHGRAPH_CLASSES, type ComfyClass, type InputRow } from './comfy-schemas.ts';

/** Keys that describe presentation only (never compared): tooltips, labels, the newer `advanced` fold. */
const PRESENTATION = new Set(['tooltip', 'display_name', 'advanced']);

interface Normalised {
  name: string;
  type: string;
  options?: readonly string[] | 'files';
  spec: Record<string, unknown>;
}

function fromRow([name, type, options = {}]: InputRow): Normalised {
  if (type === FILES) return { name, type: 'COMBO', options: 'files', spec: options };
  if (Array.isArray(type)) return { name, type: 'COMBO', options: type, spec: options };
  return { name, type: type as string, spec: options };
}

function fromInfo(name: string, [type, raw = {}]: InputInfo, filesCombo: boolean): Normalised {
  const spec: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (PRESENTATION.has(key) || key === 'options') continue;
    if ((key === 'multiline' || key === 'multiselect') && value === false) continue;
    spec[key] = value;
  }
  const list = Array.isArray(type) ? type : type === 'COMBO' && Array.isArray(raw.options) ? (raw.options as string[]) : undefined;
  if (list || type === 'COMBO') return { name, type: 'COMBO', options: filesCombo ? 'files' : list, spec };
  return { name, type: type as string, spec };
}

function compare(ours: NodeInfo, comfy: ComfyClass) {
  const group = (which: 'required' | 'optional', rows: InputRow[] = []) => {
    const declared = ours.input[which] ?? {};
    const order = ours.input_order[which] ?? [];
    expect(order, `${which} input order`).toEqual(Object.keys(declared));
    return order.map((name) => {
      const row = rows.find((r) => r[0] === name);
      return fromInfo(name, declared[name]!, row?.[1] === FILES);
    });
  };
  return {
    category: ours.category,
    output: ours.output,
    output_name: ours.output_name,
    output_is_list: ours.output_is_list,
    output_node: ours.output_node,
    experimental: ours.experimental ?? false,
    required: group('required', comfy.required),
    optional: group('optional', comfy.optional),
    hidden: Object.keys(ours.input.hidden ?? {}),
  };
}

function expected(comfy: ComfyClass) {
  return {
    category: comfy.category,
    output: comfy.output,
    output_name: comfy.output_name ?? comfy.output,
    output_is_list: comfy.output.map(() => false),
    output_node: comfy.output_node ?? false,
    experimental: comfy.experimental ?? false,
    required: comfy.required.map(fromRow),
    optional: (comfy.optional ?? []).map(fromRow),
    hidden: comfy.hidden ?? [],
  };
}

let server: TestServer;
let info: ObjectInfo;

beforeAll(async () => {
  server = await startTestServer();
  info = (await (await server.get('/object_info')).json()) as ObjectInfo;
});
afterAll(() => server?.close());

describe('core classes keep ComfyUI schemas', () => {
  it('every core class is either audited against ComfyUI or is FlashGraph\'s own', () => {
    const core = Object.values(info).filter((n) => n.python_module === 'nodes').map((n) => n.name);
    const unaudited = core.filter((name) => !Object.hasOwn(COMFY_CLASSES, name) && !FLASHGRAPH_CLASSES.includes(name));
    expect(unaudited).toEqual([]);
    for (const name of FLASHGRAPH_CLASSES) expect(core, `${name} is served`).toContain(name);
  });

  for (const [name, comfy] of Object.entries(COMFY_CLASSES)) {
    it(`${name} matches ${comfy.source}`, () => {
      const ours = info[name];
      expect(ours, `${name} is served by /object_info`).toBeDefined();
      expect(compare(ours!, comfy)).toEqual(expected(comfy));
    });
  }
});
