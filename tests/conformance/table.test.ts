import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFORMANCE_FILE, findTests, renderConformance } from './table.ts';

describe('CONFORMANCE.md', () => {
  it('table: every spec §7 item 1-24 has a conformance test', () => {
    const items = new Set(findTests().flatMap((t) => /^7\.(\d+) /.exec(t.name)?.[1] ?? []));
    expect([...items].map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  });

  it('table: CONFORMANCE.md matches the tests (regenerate with npm run conformance:table)', () => {
    expect(readFileSync(CONFORMANCE_FILE, 'utf8')).toBe(renderConformance());
  });
});
