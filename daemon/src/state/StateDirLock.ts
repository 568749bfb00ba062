import { join } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { PidLock } from '@palyra/shared/fs';

/**
 * One daemon per state dir: `daemon.lock`, a PidLock. A lock whose process is gone (a crash)
 * or whose pid now runs another program is taken over; a running daemon's is refused at once.
 */
export class StateDirLock {
  private readonly path: string;
  private lock: PidLock | undefined;

  constructor(private readonly stateDir: string) {
    this.path = join(stateDir, 'daemon.lock');
  }

  async acquire(): Promise<void> {
    if (this.lock !== undefined) return;
    this.lock = await PidLock.acquire(this.path, {
      held: (holder) =>
        new PalyraError(
          'PALYRA_E_DAEMON_RUNNING',
          holder === undefined
            ? `cannot take the lock ${this.path}`
            : `another palyrad (pid ${holder.pid}) uses ${this.stateDir}: stop it or use another --state-dir`,
        ),
    });
  }

  async release(): Promise<void> {
    const lock = this.lock;
    this.lock = undefined;
    await lock?.release();
  }
}
