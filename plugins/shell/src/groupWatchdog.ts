import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Kills the live process groups when the agent dies without a chance to do it itself
 * (SIGKILL, the OOM killer): a parent-death signal (PR_SET_PDEATHSIG, `setpriv --pdeathsig`)
 * would reach only each command's direct child, not the grandchildren in its group.
 *
 * A small `sh` started in its own session reads `+PGID` / `-PGID` lines on a pipe from the
 * agent, keeping the set of live groups. The agent holds the only write end (Node opens pipes
 * close-on-exec, so no command inherits it): when the agent dies, for whatever reason, the
 * kernel closes it, `read` sees end of file, and the watchdog sends SIGKILL to every group
 * still listed, then exits. Its own session keeps it out of a terminal's Ctrl-C to the agent.
 */
const SCRIPT = `
live=' '
while IFS= read -r line; do
  g=\${line#?}
  case $line in
    +*) live="$live$g " ;;
    -*) case $live in *" $g "*) live="\${live%% $g *} \${live#* $g }" ;; esac ;;
  esac
done
for g in $live; do kill -s KILL -- "-$g" 2>/dev/null; done
`;

/** Watchdogs started again after one died while groups ran, at most (a broken sh must not loop). */
const MAX_RESTARTS = 5;

let watchdog: ChildProcess | undefined;
let broken = false;
let restarts = 0;
/** The groups the watchdog was told about, to hand a replacement. */
const watched = new Set<number>();

/** Starts the watchdog on first use; undefined when it cannot run (the exit hook still covers a clean exit). */
function ensureWatchdog(): ChildProcess | undefined {
  if (watchdog !== undefined || broken) return watchdog;
  const child = spawn('/bin/sh', ['-c', SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.on('error', () => {
    broken = true;
    if (watchdog === child) watchdog = undefined;
  });
  child.on('exit', () => {
    if (watchdog !== child) return;
    watchdog = undefined;
    // Killed while commands run (the agent lives: it sees the exit): a new one takes the list.
    if (watched.size > 0 && restarts < MAX_RESTARTS) {
      restarts += 1;
      const next = ensureWatchdog();
      for (const pgid of watched) next?.stdin?.write(`+${pgid}\n`);
    }
  });
  // A write after the watchdog died is not the agent's problem: the groups are still killed
  // on a clean exit by the exit hook.
  child.stdin?.on('error', () => undefined);
  // Neither the watchdog nor its pipe keeps the agent alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  watchdog = child;
  return child;
}

/** The watchdog kills this group if the agent dies while it is listed. */
export function watchGroup(pgid: number): void {
  watched.add(pgid);
  ensureWatchdog()?.stdin?.write(`+${pgid}\n`);
}

/** The group is over: the watchdog forgets it (its id may be reused by an unrelated group). */
export function unwatchGroup(pgid: number): void {
  watched.delete(pgid);
  watchdog?.stdin?.write(`-${pgid}\n`);
}
