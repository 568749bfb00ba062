import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest globalSetup: the run gets a temp dir of its own, and anything left in it afterwards
 * fails the run.
 *
 * TMPDIR points at the run's dir before any worker starts, so every temp dir the tests, the
 * daemons and agents they spawn, and the Chromium those start (profiles, singleton sockets)
 * create lands there. Entries of other runs on the same machine never count, so the check is
 * exact. `PALYRA_TEST_CACHE_DIR` holds what is deliberately kept for the whole run (CA
 * templates, see test/integration/harness.ts); it is removed here too.
 *
 * The run's TMPDIR is kept short: Unix socket paths under it (Chromium's SingletonSocket,
 * admin sockets) must stay under 108 bytes.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const system = tmpdir();
  const tempDir = await mkdtemp(join(system, 'palyra-tests-'));
  const cacheDir = await mkdtemp(join(system, 'palyra-tests-cache-'));
  // Others may pass through (0711), as they may through the system temp dir, but not list:
  // tests that run a program as another user (root only, e.g. admin-socket-access) need it.
  await chmod(tempDir, 0o711);
  process.env.TMPDIR = tempDir;
  process.env.PALYRA_TEST_CACHE_DIR = cacheDir;

  return async () => {
    const leftovers = await readdir(tempDir);
    await Promise.all([tempDir, cacheDir].map((dir) => rm(dir, { recursive: true, force: true })));
    if (leftovers.length > 0) {
      // Vitest only logs an error thrown here ("error during close"): the exit code is ours to set.
      process.exitCode = 1;
      throw new Error(
        `the tests left ${leftovers.length} entr${leftovers.length === 1 ? 'y' : 'ies'} in the temp dir ` +
          `(removed now; find who creates them and remove them there): ${leftovers.sort().join(', ')}`,
      );
    }
  };
}
