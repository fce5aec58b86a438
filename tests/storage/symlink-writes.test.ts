// Writes never follow symbolic links, and path resolution refuses links that lead out of their
// folder even when their target does not exist (issue 23, item 2). Each write path is driven for
// real: the JSON files in user/, downloads, ffmpeg outputs and the frame store (uploads: in
// tests/api/hardening.test.ts).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FrameWriter } from '../../server/media/frame-store.ts';
import { encodeFrames } from '../../server/media/video-encode.ts';
import { downloadRepo, PARTIAL_SUFFIX } from '../../server/models/download.ts';
import { HistoryFile } from '../../server/storage/history-file.ts';
import { FolderStorage, folderLayout } from '../../server/storage/folders.ts';
import { followLinks, resolveInside, UnsafePathError } from '../../server/storage/safe-path.ts';
import { makeDirectory, openForWrite, reserveFile, writeFileNoFollow } from '../../server/storage/safe-write.ts';
import { tempDir } from '../helpers/engine.ts';
import { startFakeHub } from '../helpers/fake-hub.ts';
import { tools } from '../media/helpers.ts';

/** A folder with its own "outside" folder beside it, which no write may reach. */
function sandbox() {
  const base = tempDir('flashgraph-links-');
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  return { root, outside };
}

describe('resolveInside follows links, dangling ones included', () => {
  it('refuses dangling file and folder links that lead out, at any depth', () => {
    const { root, outside } = sandbox();
    symlinkSync(join(outside, 'x.png'), join(root, 'x.png'));
    symlinkSync(join(outside, 'dir'), join(root, 'sub'));
    symlinkSync('../outside/rel.png', join(root, 'rel.png'));
    mkdirSync(join(root, 'deep'));
    symlinkSync(join(root, 'sub'), join(root, 'deep', 'chain'));
    for (const path of ['x.png', 'sub', 'sub/y.png', 'sub/a/b/c.png', 'rel.png', 'deep/chain/z.png']) {
      expect(() => resolveInside(root, path), path).toThrow(/leaves its folder through a symbolic link/);
    }
    expect(readdirSync(outside)).toEqual([]);
  });

  it('accepts links that stay inside, existing or not, and refuses link loops', () => {
    const { root } = sandbox();
    mkdirSync(join(root, 'real'));
    symlinkSync('real', join(root, 'alias'));
    symlinkSync('real/later.png', join(root, 'later.png'));
    expect(resolveInside(root, 'alias/a.png')).toBe(join(root, 'alias', 'a.png'));
    expect(resolveInside(root, 'later.png')).toBe(join(root, 'later.png'));
    expect(followLinks(root, 'alias/a.png')).toBe(join(root, 'real', 'a.png'));
    symlinkSync('loop-b', join(root, 'loop-a'));
    symlinkSync('loop-a', join(root, 'loop-b'));
    expect(() => resolveInside(root, 'loop-a/x')).toThrow(UnsafePathError);
    expect(() => resolveInside(root, 'loop-a/x')).toThrow(/loop of symbolic links/);
  });
});

describe('safe-write never writes through a link', () => {
  it('refuses replace and append on a link, and create treats any link as taken', async () => {
    const { root, outside } = sandbox();
    writeFileSync(join(outside, 'victim.txt'), 'original');
    symlinkSync(join(outside, 'victim.txt'), join(root, 'existing'));
    symlinkSync(join(outside, 'new.txt'), join(root, 'dangling'));
    for (const name of ['existing', 'dangling']) {
      await expect(writeFileNoFollow(join(root, name), 'evil', 'replace'), name).rejects.toThrow(/is a symbolic link; files are never written through links/);
      await expect(openForWrite(join(root, name), 'append'), name).rejects.toThrow(UnsafePathError);
      await expect(writeFileNoFollow(join(root, name), 'evil', 'create'), name).rejects.toMatchObject({ code: 'EEXIST' });
      await expect(reserveFile(join(root, name)), name).rejects.toMatchObject({ code: 'EEXIST' });
    }
    expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe('original');
    expect(existsSync(join(outside, 'new.txt'))).toBe(false);
    await writeFileNoFollow(join(root, 'plain.txt'), 'one', 'create');
    await writeFileNoFollow(join(root, 'plain.txt'), 'two', 'replace');
    expect(readFileSync(join(root, 'plain.txt'), 'utf8')).toBe('two');
  });

  it('user/history.json: a link at the file or its temporary name is replaced, never written through', async () => {
    const { root, outside } = sandbox();
    const path = join(root, 'history.json');
    symlinkSync(join(outside, 'tmp.json'), `${path}.${process.pid}.tmp`);
    writeFileSync(join(outside, 'history.json'), 'original');
    symlinkSync(join(outside, 'history.json'), path);
    const file = new HistoryFile(path);
    await file.save([['a', { prompt: [0, 'a', {}, {}, []], outputs: {}, status: { status_str: 'success', completed: true, messages: [] }, meta: {} }]]);
    expect(readdirSync(outside).sort()).toEqual(['history.json']);
    expect(readFileSync(join(outside, 'history.json'), 'utf8')).toBe('original');
    expect((await file.load()).map(([id]) => id)).toEqual(['a']);
  });

  it('downloads: a link under the .partial name is refused, nothing is written beside it', async () => {
    const { root, outside } = sandbox();
    const source = join(outside, 'src.bin');
    writeFileSync(source, randomBytes(1000));
    const hub = await startFakeHub({ 'Org/M': { files: { 'model.bin': source } } });
    try {
      symlinkSync(join(outside, 'stolen.bin'), join(root, `model.bin${PARTIAL_SUFFIX}`));
      await expect(downloadRepo({ repo: 'Org/M', destination: root, endpoint: hub.url })).rejects.toThrow(/cannot write .*model\.bin\.partial.*symbolic link/);
      expect(existsSync(join(outside, 'stolen.bin'))).toBe(false);
    } finally {
      await hub.close();
    }
  });

  it('ffmpeg outputs: a link at the output name is never followed (the name is claimed first)', async () => {
    const { root, outside } = sandbox();
    const path = join(root, 'clip.mp4');
    symlinkSync(join(outside, 'clip.mp4'), path);
    const frames = (async function* () {
      yield { data: new Uint8Array(16 * 16 * 3), count: 1, width: 16, height: 16 } as never;
    })();
    const request = { path, muxer: 'mp4', width: 16, height: 16, fps: { num: 10, den: 1 }, outputOptions: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'] };
    await expect(encodeFrames(tools, request as never, frames)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(existsSync(join(outside, 'clip.mp4'))).toBe(false);
  });

  it('frame store: spill files never go through a linked frame-store folder', async () => {
    const { root, outside } = sandbox();
    symlinkSync(outside, join(root, 'frame-store'));
    const writer = new FrameWriter({ width: 4, height: 4, directory: join(root, 'frame-store'), ramBytes: 0, label: 'Test' });
    await expect(writer.write(new Uint8Array(4 * 4 * 3))).rejects.toThrow(/Test: could not store .* ELOOP/);
    expect(readdirSync(outside)).toEqual([]);
  });
});

describe('makeDirectory names the real reason', () => {
  const mounts: string[] = [];
  afterAll(() => {
    for (const mount of mounts) execFileSync('umount', [mount]);
  });

  /** A read-only tmpfs; undefined where this process may not mount (CI without privileges). */
  function readOnlyFolder(): string | undefined {
    const dir = tempDir('flashgraph-ro-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    } catch {
      return undefined;
    }
    mounts.push(dir);
    return dir;
  }

  it('EROFS on a read-only file system (where Node says ENOENT), also through FolderStorage.saveTarget', (context) => {
    const dir = readOnlyFolder();
    if (!dir) {
      context.skip('mounting a read-only tmpfs needs privileges this run lacks');
      return;
    }
    expect(() => makeDirectory(join(dir, 'a', 'b'))).toThrow(expect.objectContaining({ code: 'EROFS' }));
    const storage = new FolderStorage(folderLayout({ base: tempDir(), output: dir }));
    expect(() => storage.saveTarget('output', 'video/x', 'mp4')).toThrow(/EROFS/);
  });

  it('ENOTDIR when a file is in the way', () => {
    const { root } = sandbox();
    writeFileSync(join(root, 'file'), '');
    expect(() => makeDirectory(join(root, 'file', 'sub'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });
});
