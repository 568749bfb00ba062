/**
 * The one atomic write, on real files in a temp dir. Its policy: a failed fsync, of the file
 * or of its directory, is an error (PALYRA_E_STATE_IO). A real fsync failure cannot be
 * provoked here (it needs a failing disk), so the file system passed in fails that one call
 * and does the rest for real.
 */
import * as fsp from 'node:fs/promises';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, type AtomicWriteFs } from '../../src/fs/index.js';
import { rejection } from '../../../test/helpers/errorAssertions.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palyra-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Real file operations, but fsync fails with `code` on files (`'file'`) or on the directory (`'dir'`). */
function failingSync(what: 'file' | 'dir', code: string): AtomicWriteFs {
  return {
    rename: fsp.rename,
    unlink: fsp.unlink,
    link: fsp.link,
    open: (async (path: string, flags: string, mode?: number) => {
      const handle = await fsp.open(path, flags, mode);
      if ((what === 'dir') === (path === dir)) {
        handle.sync = () => Promise.reject(Object.assign(new Error(`${code}: fsync failed`), { code }));
      }
      return handle;
    }) as AtomicWriteFs['open'],
  };
}

describe('writeFileAtomic', () => {
  it('replaces a file with the mode asked, and creates exclusively without overwriting', async () => {
    const file = join(dir, 'a.json');
    expect(await writeFileAtomic(file, 'one', { mode: 0o600 })).toBe(true);
    expect(await writeFileAtomic(file, 'two', { mode: 0o640 })).toBe(true);
    expect(await readFile(file, 'utf8')).toBe('two');
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(await writeFileAtomic(file, 'three', { mode: 0o600, exclusive: true })).toBe(false);
    expect(await readFile(file, 'utf8')).toBe('two');
    expect(await readdir(dir)).toEqual(['a.json']);
  });

  it('a failed fsync of the file is an error: the old file stays, no temp file is left', async () => {
    const file = join(dir, 'a.json');
    await writeFile(file, 'old');
    const error = await rejection(writeFileAtomic(file, 'new', { mode: 0o600, fs: failingSync('file', 'EIO') }));
    expect(error.code).toBe('PALYRA_E_STATE_IO');
    expect(error.message).toContain(file);
    expect(await readFile(file, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['a.json']);
  });

  it('a failed fsync of the directory after the rename is an error', async () => {
    const file = join(dir, 'a.json');
    const error = await rejection(writeFileAtomic(file, 'new', { mode: 0o600, fs: failingSync('dir', 'EIO') }));
    expect(error.code).toBe('PALYRA_E_STATE_IO');
    expect(error.message).toMatch(/fsync of its directory failed/);
  });

  it('a file system that cannot fsync a directory at all (EINVAL) is not an error', async () => {
    const file = join(dir, 'a.json');
    expect(await writeFileAtomic(file, 'new', { mode: 0o600, fs: failingSync('dir', 'EINVAL') })).toBe(true);
    expect(await readFile(file, 'utf8')).toBe('new');
  });
});
