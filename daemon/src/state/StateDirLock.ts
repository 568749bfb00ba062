import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';

/**
 * One daemon per state dir: a lock file holding the owner's pid, created exclusively. A lock
 * whose pid no longer runs was left by a crash and is taken over.
 */
export class StateDirLock {
  private readonly path: string;
  private held = false;

  constructor(stateDir: string) {
    this.path = join(stateDir, 'daemon.lock');
  }

  async acquire(): Promise<void> {
    if (this.held) return;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const handle = await open(this.path, 'wx', 0o600);
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        this.held = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = Number.parseInt(await readFile(this.path, 'utf8').catch(() => ''), 10);
        if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
          throw new PalyraError(
            'PALYRA_E_DAEMON_RUNNING',
            `another palyrad (pid ${owner}) uses ${this.path.slice(0, -'/daemon.lock'.length)}: stop it or use another --state-dir`,
          );
        }
        await rm(this.path, { force: true });
      }
    }
    throw new PalyraError('PALYRA_E_DAEMON_RUNNING', `cannot take the lock ${this.path}`);
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await rm(this.path, { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
