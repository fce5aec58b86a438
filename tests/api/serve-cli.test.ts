import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachePolicy, listenAddress } from '../../server/cli/serve.ts';
import { REPO_ROOT } from '../helpers/golden.ts';
import { tempDir } from '../helpers/engine.ts';

describe('graph serve flags', () => {
  it('maps --listen and the cache flags', () => {
    expect(listenAddress(undefined)).toBe('127.0.0.1');
    expect(listenAddress(true)).toBe('0.0.0.0');
    expect(listenAddress('::')).toBe('::');
    expect(() => listenAddress('127.0.0.1,::1')).toThrow(/one address/);
    expect(cachePolicy({})).toBeUndefined();
    expect(cachePolicy({ cacheNone: true })).toEqual({ kind: 'none' });
    expect(cachePolicy({ cacheLru: '10' })).toEqual({ kind: 'lru', size: 10 });
    expect(() => cachePolicy({ cacheLru: 'x' })).toThrow(/whole number/);
    expect(() => cachePolicy({ cacheLru: '1', cacheNone: true })).toThrow(/exclude/);
  });

  it('exits with 2 and a message on bad values', () => {
    for (const args of [['--port', 'abc'], ['--max-upload-size', '0'], ['--token', ' ']]) {
      const result = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/graph.js'), 'serve', ...args], { cwd: tempDir(), encoding: 'utf8', timeout: 30_000 });
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(args[0]);
    }
  });
});
