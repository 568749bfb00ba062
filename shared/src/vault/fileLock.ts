import { PalyraError } from '../errors/index.js';
import { PidLock } from '../fs/PidLock.js';

const WAIT_MS = 5_000;

/**
 * Runs `fn` holding `<path>.lock` (a PidLock), so two processes (say `palyra-node run` and
 * `palyra-node secrets set`) never lose each other's writes. A lock whose process is gone is
 * taken over; a live one is waited for up to 5 s.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = `${path}.lock`;
  const lock = await PidLock.acquire(lockPath, {
    waitMs: WAIT_MS,
    held: (holder) =>
      new PalyraError(
        'PALYRA_E_STATE_IO',
        `${path} stays locked by process ${holder?.pid ?? 'unknown'} (${lockPath}); retry, or remove the lock file if that process is gone`,
      ),
  });
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
