import { trackGroup } from './liveGroups.js';

/** How long processes get after SIGTERM before SIGKILL. */
export const KILL_GRACE_MS = 2000;

/**
 * The process group of a subprocess spawned `detached` (its own group, with the subprocess
 * as leader), so that its children and grandchildren can be signalled together.
 *
 * `terminate()` sends SIGTERM to the whole group, then SIGKILL to the whole group after the
 * grace if anything is left in it. POSIX only: on Windows, where there are no process
 * groups, it falls back to signalling the direct child.
 */
export class ProcessGroup {
  private terminating = false;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly untrack: () => void;
  private resolveSettled!: () => void;
  /** Resolves once the group was found empty or SIGKILL was sent to it. */
  readonly settled: Promise<void> = new Promise((resolve) => {
    this.resolveSettled = resolve;
  });

  constructor(
    readonly pgid: number,
    private readonly killChild: (signal: NodeJS.Signals) => void,
    private readonly graceMs: number = KILL_GRACE_MS,
  ) {
    this.untrack = trackGroup(pgid);
  }

  /** SIGTERM now, SIGKILL after the grace. Idempotent. */
  terminate(): void {
    if (this.terminating) return;
    this.terminating = true;
    if (!this.signal('SIGTERM')) {
      this.finish();
      return;
    }
    this.killTimer = setTimeout(() => {
      if (this.exists()) this.signal('SIGKILL');
      this.finish();
    }, this.graceMs);
    // The exit hook in liveGroups covers an agent that exits during the grace.
    this.killTimer.unref();
  }

  /** Whether any process (a zombie counts) is still in the group. */
  exists(): boolean {
    if (process.platform === 'win32') return false;
    try {
      process.kill(-this.pgid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  private signal(signal: NodeJS.Signals): boolean {
    if (process.platform === 'win32') {
      this.killChild(signal);
      return true;
    }
    try {
      process.kill(-this.pgid, signal);
      return true;
    } catch {
      return false; // ESRCH: nothing left in the group.
    }
  }

  private finish(): void {
    this.untrack();
    this.resolveSettled();
  }
}
