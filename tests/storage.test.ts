import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderStorage, folderLayout } from '../server/storage/folders.ts';
import { checkRelativePath, UnsafePathError } from '../server/storage/safe-path.ts';
import { tempDir } from './helpers/engine.ts';

describe('safe paths', () => {
  it.each(['test..png', '..secret', 'my..file..name.png', 'sub/dir/x.png'])('allows %s', (path) => {
    expect(() => checkRelativePath(path)).not.toThrow();
  });
  it.each(['../x', 'a/../x', '/etc/passwd', '..', '..\\x', 'a\\..\\x', 'C:/x', 'C:x', '//server/share', '\\\\server\\share', 'a\0b', ''])(
    'rejects %j',
    (path) => {
      expect(() => checkRelativePath(path)).toThrow(UnsafePathError);
    },
  );

  it('refuses a symbolic link that leads out of the folder', () => {
    const base = tempDir();
    const storage = new FolderStorage(folderLayout({ base }));
    mkdirSync(join(base, 'output'), { recursive: true });
    symlinkSync('/etc', join(base, 'output', 'escape'));
    expect(() => storage.resolve('output', 'escape/passwd')).toThrow(/symbolic link/);
    expect(() => storage.saveTarget('output', 'escape/x', 'txt')).toThrow(UnsafePathError);
  });
});

describe('folder storage', () => {
  it('numbers saved files after the highest existing counter, per subfolder', () => {
    const base = tempDir();
    const storage = new FolderStorage(folderLayout({ base }));
    const first = storage.saveTarget('output', 'video/ComfyUI', 'mp4');
    expect(first).toMatchObject({ filename: 'ComfyUI_00001_.mp4', subfolder: 'video', type: 'output' });
    writeFileSync(first.fullPath, '');
    writeFileSync(join(base, 'output', 'video', 'ComfyUI_00041_.png'), '');
    expect(storage.saveTarget('output', 'video/ComfyUI', 'mp4').filename).toBe('ComfyUI_00042_.mp4');
    expect(storage.saveTarget('output', 'other', 'txt').filename).toBe('other_00001_.txt');
    expect(storage.saveTarget('output', 'img_%width%x%height%', 'png', { width: 64, height: 32 }).filename).toBe('img_64x32_00001_.png');
  });

  it('lists files recursively, sorted, without dotfiles', () => {
    const base = tempDir();
    const storage = new FolderStorage(folderLayout({ base }));
    mkdirSync(join(base, 'input', 'sub'), { recursive: true });
    for (const name of ['b.png', 'a.mp4', '.hidden', 'sub/c.png']) writeFileSync(join(base, 'input', name), '');
    expect(storage.listFiles('input')).toEqual(['a.mp4', 'b.png', 'sub/c.png']);
    expect(storage.listFiles('input', (n) => n.endsWith('.png'))).toEqual(['b.png', 'sub/c.png']);
  });

  it('empties only a temp folder it made itself', () => {
    const base = tempDir();
    const storage = new FolderStorage(folderLayout({ base }));
    mkdirSync(join(base, 'temp'));
    writeFileSync(join(base, 'temp', 'users-own.txt'), 'keep me');
    storage.clearTemp();
    expect(storage.listFiles('temp')).toEqual(['users-own.txt']);

    const other = new FolderStorage(folderLayout({ base: tempDir() }));
    const preview = other.saveTarget('temp', 'preview', 'png');
    writeFileSync(preview.fullPath, '');
    expect(other.listFiles('temp')).toEqual(['preview_00001_.png']);
    other.clearTemp();
    expect(other.listFiles('temp')).toEqual([]);
  });
});
