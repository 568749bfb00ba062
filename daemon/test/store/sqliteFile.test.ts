import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rename, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PalyraError } from '@palyra/shared/errors';
import { snapshotTree } from '../../../test/helpers/fsSnapshot.js';
import { openStore, SQLITE_STORE_FILE } from '../../src/store/index.js';

/** What only the SQLite file has: its checks before any write, and its modes. */
describe('SQLite store file', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'palyra-store-'));
    file = path.join(dir, SQLITE_STORE_FILE);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A real database of several pages (about 140 KiB), closed. */
  async function writeRealDatabase(): Promise<Buffer> {
    const store = await openStore({ stateDir: dir });
    await store.transaction(async (repos) => {
      for (let i = 0; i < 300; i += 1) await repos.meta.set(`key-${i}`, 'v'.repeat(200));
    });
    await store.close();
    return readFile(file);
  }

  /** Opening must fail with `code`, and leave the dir byte for byte as it was (no -wal, no -shm). */
  async function expectRefusedUntouched(code: string): Promise<PalyraError> {
    const before = await snapshotTree(dir, { rootMtime: false });
    const error = await openStore({ stateDir: dir }).then(
      async (store) => {
        await store.close();
        throw new Error('the damaged database was opened');
      },
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(PalyraError);
    expect(error).toMatchObject({ code });
    expect(await snapshotTree(dir, { rootMtime: false })).toEqual(before);
    return error as PalyraError;
  }

  it('refuses a file that is not a database (garbage) with PALYRA_E_STATE_CORRUPT, untouched', async () => {
    await writeFile(file, randomBytes(8192), { mode: 0o600 });
    const error = await expectRefusedUntouched('PALYRA_E_STATE_CORRUPT');
    expect(error.message).toContain('did not modify it');
  });

  it('refuses a database cut short (a truncated page) with PALYRA_E_STATE_CORRUPT, untouched', async () => {
    const bytes = await writeRealDatabase();
    await truncate(file, 4096 * 3 + 100);
    expect(bytes.length).toBeGreaterThan(4096 * 4);
    await expectRefusedUntouched('PALYRA_E_STATE_CORRUPT');
  });

  it('refuses a database with flipped bytes in a leaf page\'s cell pointers (quick_check) with PALYRA_E_STATE_CORRUPT, untouched', async () => {
    const bytes = await writeRealDatabase();
    // The last leaf page of a b-tree (type 0x0d table, 0x0a index); its cell pointer array
    // follows the 8-byte header. Flipped pointers send the cells off the page: structure
    // quick_check sees (SQLite keeps no checksum of the data itself).
    const pageSize = bytes.readUInt16BE(16);
    let leaf = -1;
    for (let start = pageSize; start < bytes.length; start += pageSize) {
      if (bytes[start] === 0x0d || bytes[start] === 0x0a) leaf = start;
    }
    expect(leaf).toBeGreaterThan(0);
    for (let i = leaf + 8; i < leaf + 24; i += 1) bytes[i] = (bytes[i] as number) ^ 0x5a;
    await writeFile(file, bytes);
    await expectRefusedUntouched('PALYRA_E_STATE_CORRUPT');
  });

  it('refuses a database whose page header is damaged with PALYRA_E_STATE_CORRUPT, untouched', async () => {
    const bytes = await writeRealDatabase();
    for (let i = 4096; i < 4096 + 64; i += 1) bytes[i] = (bytes[i] as number) ^ 0xff;
    await writeFile(file, bytes);
    await expectRefusedUntouched('PALYRA_E_STATE_CORRUPT');
  });

  it('keeps the database, its -wal and its -shm 0600 whatever the umask', async () => {
    const previous = process.umask(0o000);
    try {
      const store = await openStore({ stateDir: dir });
      try {
        await store.meta.set('k', 'v');
        for (const name of [SQLITE_STORE_FILE, `${SQLITE_STORE_FILE}-wal`, `${SQLITE_STORE_FILE}-shm`]) {
          expect(((await stat(path.join(dir, name))).mode & 0o777).toString(8), name).toBe('600');
        }
      } finally {
        await store.close();
      }
    } finally {
      process.umask(previous);
    }
  });

  it('refuses a group-readable database with PALYRA_E_STATE_PERMISSIONS, untouched', async () => {
    await writeRealDatabase();
    await chmod(file, 0o640);
    await expectRefusedUntouched('PALYRA_E_STATE_PERMISSIONS');
  });

  it('refuses a database reached through a symbolic link with PALYRA_E_STATE_PERMISSIONS, untouched', async () => {
    await writeRealDatabase();
    await rename(file, path.join(dir, 'elsewhere.db'));
    await symlink(path.join(dir, 'elsewhere.db'), file);
    await expectRefusedUntouched('PALYRA_E_STATE_PERMISSIONS');
  });
});
