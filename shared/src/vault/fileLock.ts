import { open, readFile, rm } from 'node:fs/promises';
import { PalyraError } from '../errors/index.js';

const WAIT_MS = 5_000;
const RETRY_MS = 20;

/**
 * Runs `fn` holding `<path>.lock` (created exclusively, holding the owner's pid), so two
 * processes (say `palyra-node run` and `palyra-node secrets set`) never lose each other's
 * writes. A lock whose process is gone is taken over; a live one is waited for up to 5 s.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = `${path}.lock`;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new PalyraError('PALYRA_E_STATE_IO', `cannot lock ${path}: ${(error as Error).message}`, { cause: error });
      }
      const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() >= deadline) {
        throw new PalyraError('PALYRA_E_STATE_IO', `${path} stays locked by process ${holder || 'unknown'} (${lockPath}); retry, or remove the lock file if that process is gone`);
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
