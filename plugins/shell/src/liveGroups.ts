import { closeGroupJournal, journalGroupEnded, journalGroupStarted } from './groupJournal.js';
import { unwatchGroup, watchGroup } from './groupWatchdog.js';

/**
 * Process groups started by this plugin that may still have members. If the agent exits
 * without aborting its dispatches (a crash, process.exit), they get SIGKILL on the way out:
 * execa's own `cleanup` does not apply to detached subprocesses. If it dies without running
 * anything (SIGKILL), the watchdog kills them (groupWatchdog.ts); if the watchdog is gone
 * too, the next agent kills them at start from the journal (groupJournal.ts).
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
  journalGroupStarted(pgid);
  return () => {
    if (!live.delete(pgid)) return;
    unwatchGroup(pgid);
    journalGroupEnded(pgid);
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
  closeGroupJournal(true);
}
