import { unwatchGroup, watchGroup } from './groupWatchdog.js';

/**
 * Process groups started by this plugin that may still have members. If the agent exits
 * without aborting its dispatches (a crash, process.exit), they get SIGKILL on the way out:
 * execa's own `cleanup` does not apply to detached subprocesses. If it dies without running
 * anything (SIGKILL), the watchdog kills them (groupWatchdog.ts).
 */
const live = new Set<number>();
let hooked = false;

export function trackGroup(pgid: number): () => void {
  if (process.platform === 'win32') return () => {};
  if (!hooked) {
    hooked = true;
    process.once('exit', killAllGroups);
  }
  live.add(pgid);
  watchGroup(pgid);
  return () => {
    if (live.delete(pgid)) unwatchGroup(pgid);
  };
}

function killAllGroups(): void {
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  live.clear();
}
