import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { processStartTime, readOwnFile, writeFileAtomic } from '@palyra/shared/fs';

/**
 * The process groups this agent runs, on disk, so that the next agent on the same state
 * directory can kill what a previous one left behind: the watchdog (groupWatchdog.ts) kills
 * the groups of a dead agent, unless it was killed too, or the agent died between spawning a
 * command and telling it.
 *
 * One journal per agent process, `groups-<pid>-<start>[-<n>].journal` (0600) in the plugin's data
 * directory: a header naming the boot and the agent (pid and start time), then `+PGID START`
 * when a group starts (START: its leader's start time, field 22 of /proc/<pid>/stat) and
 * `-PGID` when it is over. Each line is one write(2) to an O_APPEND descriptor, not fsync'd:
 * the record has to survive the agent process, not a power cut (which ends the groups too).
 * When the journal grows past COMPACT_AT lines, a new one (`-<n>`) is written with the live
 * groups only (writeFileAtomic) and the old one removed, so a long-lived agent's journal
 * stays small.
 *
 * At setup, `reapLeftoverGroups` reads every journal of an agent that no longer runs, from
 * this boot, kills each listed group whose leader still runs with the recorded start time
 * (a reused pid is never killed), and removes the journal. A group whose leader has exited
 * is left alone: its id cannot be told from a new group that reuses it.
 */

const MAGIC = 'palyra-shell-groups 1';
const NAME = /^groups-\d+-\w+(?:-\d+)?\.journal$/;
/** writeFileAtomic's temp file for a journal, left if its agent died mid-write: agent pid and start. */
const TEMP_NAME = /^\.groups-(\d+)-(\w+)(?:-\d+)?\.journal\.[0-9a-f]+\.tmp$/;
/** Lines after which the journal is rewritten with the live groups only. */
const COMPACT_AT = 4096;
/** Far above COMPACT_AT lines of `+PGID START`: a larger file is not one of ours. */
const MAX_JOURNAL_BYTES = 1024 * 1024;

interface Journal {
  /** `groups-<pid>-<start>`: a compaction writes `<base>-<generation>.journal`. */
  readonly base: string;
  readonly header: string;
  path: string;
  generation: number;
  fd: number;
  lines: number;
  /** Lines written while a compaction runs: they go to the new file too. */
  pending: string[] | undefined;
}

let journal: Journal | undefined;
/** The plugin was disposed while groups ran: close the journal when the last one ends. */
let closeWhenIdle = false;
/** The groups this journal lists as live, with their leader's start time. */
const listed = new Map<number, string>();

export interface ReapedGroup {
  readonly pgid: number;
  /** The agent that started it (pid). */
  readonly agentPid: number;
}

export interface ReapResult {
  readonly reaped: ReapedGroup[];
  /** Journals that could not be read or removed, with why (left for the next start). */
  readonly problems: PalyraError[];
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || '-';
  } catch {
    return '-';
  }
}

/** Kills the groups listed in the journals of agents that no longer run; removes those journals. */
export async function reapLeftoverGroups(dir: string): Promise<ReapResult> {
  const reaped: ReapedGroup[] = [];
  const problems: PalyraError[] = [];
  const boot = bootId();
  for (const name of await readdir(dir)) {
    const temp = TEMP_NAME.exec(name);
    if (temp !== null && processStartTime(Number(temp[1])) !== temp[2]) {
      await unlink(join(dir, name)).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        problems.push(new PalyraError('PALYRA_E_STATE_IO', `cannot remove ${join(dir, name)}: ${(error as Error).message}`, { cause: error }));
      });
    }
    if (!NAME.test(name)) continue;
    const path = join(dir, name);
    if (path === journal?.path) continue;
    let bytes: Buffer | undefined;
    try {
      bytes = await readOwnFile(path, { secret: true, what: 'the shell group journal', maxBytes: MAX_JOURNAL_BYTES });
    } catch (error) {
      problems.push(PalyraError.from(error));
      continue;
    }
    // Reaped meanwhile by another agent starting on this state directory.
    if (bytes === undefined) continue;
    const text = bytes.toString('utf8');
    const [header = '', ...lines] = text.split('\n');
    const [magic, version, journalBoot, agentPid, agentStart] = header.split(' ');
    if (`${magic} ${version}` !== MAGIC) {
      problems.push(new PalyraError('PALYRA_E_STATE_IO', `${path} is not a shell group journal; left alone`, { details: { path } }));
      continue;
    }
    const pid = Number(agentPid);
    // Its agent still runs (another agent on this state directory): its groups are its own.
    if (journalBoot === boot && agentStart !== '-' && processStartTime(pid) === agentStart) continue;
    if (journalBoot === boot && boot !== '-') {
      for (const [pgid, start] of liveGroupsOf(lines)) {
        // The leader still runs with the recorded start time: the same process, not a reused pid.
        if (start === '-' || processStartTime(pgid) !== start) continue;
        try {
          process.kill(-pgid, 'SIGKILL');
          reaped.push({ pgid, agentPid: pid });
        } catch {
          // Gone meanwhile.
        }
      }
    }
    try {
      await unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      problems.push(new PalyraError('PALYRA_E_STATE_IO', `cannot remove ${path}: ${(error as Error).message}`, { cause: error, details: { path } }));
    }
  }
  return { reaped, problems };
}

/** Replays `+PGID START` / `-PGID` lines; a torn last line is ignored. */
function liveGroupsOf(lines: readonly string[]): Map<number, string> {
  const live = new Map<number, string>();
  for (const line of lines) {
    const match = /^([+-])(\d+)(?: (\S+))?$/.exec(line);
    if (match === null) continue;
    const pgid = Number(match[2]);
    if (match[1] === '+' && match[3] !== undefined) live.set(pgid, match[3]);
    else live.delete(pgid);
  }
  return live;
}

/** Starts this agent's journal in `dir` (once per process; a second call keeps the first). */
export async function openGroupJournal(dir: string): Promise<void> {
  closeWhenIdle = false;
  if (journal !== undefined || process.platform === 'win32') return;
  const header = `${MAGIC} ${bootId()} ${process.pid} ${processStartTime(process.pid) ?? '-'}`;
  const base = join(dir, `groups-${process.pid}-${processStartTime(process.pid) ?? '0'}`);
  const path = `${base}.journal`;
  const lines = [...listed].map(([pgid, start]) => `+${pgid} ${start}`);
  await writeFileAtomic(path, [header, ...lines, ''].join('\n'), { mode: 0o600 });
  if (journal !== undefined) return;
  journal = { base, header, path, generation: 0, fd: openSync(path, 'a'), lines: lines.length, pending: undefined };
}

/** Records a group that started (`start`: its leader's start time, '-' unknown). */
export function journalGroupStarted(pgid: number): void {
  if (process.platform === 'win32') return;
  const start = processStartTime(pgid) ?? '-';
  listed.set(pgid, start);
  append(`+${pgid} ${start}`);
}

export function journalGroupEnded(pgid: number): void {
  if (!listed.delete(pgid)) return;
  append(`-${pgid}`);
  if (closeWhenIdle && listed.size === 0) closeGroupJournal(true);
}

function append(line: string): void {
  const current = journal;
  if (current === undefined) return;
  try {
    writeSync(current.fd, `${line}\n`);
  } catch {
    // A full disk must not fail the command; the watchdog still covers the agent's death.
  }
  current.pending?.push(line);
  current.lines += 1;
  if (current.lines >= COMPACT_AT && current.pending === undefined) void compact(current);
}

/**
 * Writes the live groups to a new journal file; the old one keeps every line meanwhile. Once
 * the new file is in place, the lines written meanwhile are appended to it and the old file
 * is removed, in one synchronous step: at every moment one of the two lists every live group.
 */
async function compact(current: Journal): Promise<void> {
  current.pending = [];
  const snapshot = [...listed].map(([pgid, start]) => `+${pgid} ${start}`);
  const path = `${current.base}-${current.generation + 1}.journal`;
  try {
    await writeFileAtomic(path, [current.header, ...snapshot, ''].join('\n'), { mode: 0o600 });
    if (journal !== current) {
      unlinkSync(path);
      return;
    }
    const fd = openSync(path, 'a');
    try {
      for (const line of current.pending) writeSync(fd, `${line}\n`);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    // Switch first, then let go of the old file: whatever fails below, current.fd is the
    // descriptor this journal owns, never a closed number another component may reuse.
    const old = { fd: current.fd, path: current.path };
    current.fd = fd;
    current.path = path;
    current.generation += 1;
    current.lines = snapshot.length + current.pending.length;
    closeSync(old.fd);
    try {
      unlinkSync(old.path);
    } catch (error) {
      // Already gone (removed by someone else) is what we wanted.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  } catch {
    // The old file still holds every line: try again after the next COMPACT_AT lines.
    current.lines = 0;
  } finally {
    current.pending = undefined;
  }
  // Many lines came in meanwhile: compact again.
  if (journal === current && current.lines >= COMPACT_AT) void compact(current);
}

/**
 * Closes and removes the journal. `force`: at process exit, after the groups were killed;
 * otherwise only when no group is live (a live one must stay recorded until it ends).
 */
export function closeGroupJournal(force: boolean): void {
  const current = journal;
  if (current === undefined) return;
  if (!force && listed.size > 0) {
    closeWhenIdle = true;
    return;
  }
  journal = undefined;
  closeWhenIdle = false;
  try {
    closeSync(current.fd);
    unlinkSync(current.path);
  } catch {
    // Already gone; a journal left behind only lists dead groups.
  }
}
