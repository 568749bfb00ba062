import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { PalyraError } from '../errors/index.js';

/** Who holds a lock, as its file says. */
export interface PidLockHolder {
  pid: number;
  /** The holder's start time (Linux: clock ticks since boot), when the platform tells it. */
  startTime?: string;
}

export interface PidLockWaitOptions {
  /** How long to wait for a live holder (default 0: fail at once). */
  waitMs?: number;
  signal?: AbortSignal;
  /** The error for a lock that stays held; gets the holder. */
  held: (holder: PidLockHolder | undefined) => PalyraError;
}

const RETRY_MS = 20;
/** Looks at a lock changing hands before calling it held. */
const ATTEMPTS = 20;
/** Takeover locks of takeover locks exist only after crashes inside a takeover; more levels mean something else is wrong. */
const MAX_TAKEOVER_DEPTH = 4;

/**
 * A lock file owned by one process: it holds `<pid> <start time> <nonce>`, the nonce making
 * every acquisition's content unique. Used for `daemon.lock` (one daemon per state dir) and
 * the vault file's lock.
 *
 * Race-free without an OS file lock (Node has none):
 * - Acquire: write a temp file with our content, then link() it to the lock name. link is
 *   atomic and fails with EEXIST, so of all racers exactly one creates the lock, with its
 *   content already complete (no reader ever sees an empty lock).
 * - A stale lock (its pid gone, or the pid now running another program: its start time
 *   differs) is replaced only by the holder of a takeover lock named after the stale
 *   content's hash. Every racer that saw the same stale content competes for that one name
 *   (link again: exactly one wins); the winner re-reads the lock and renames its own content
 *   over it only if it still holds that exact stale content. Nobody else can change the lock
 *   meanwhile: creating needs it absent, replacing needs that same takeover lock, removing
 *   is done only by a live owner (and a stale one is dead). The nonce makes a content never
 *   recur, so a takeover lock left from an earlier round matches nothing. A takeover lock
 *   left by a crash is itself stale and taken over the same way, one level deeper.
 * - Release removes the file only while it still holds our content.
 *
 * proper-lockfile was not used: it judges staleness by an mtime the holder must keep
 * touching, which a daemon blocked (or stopped with SIGSTOP) longer than the stale period
 * loses to a second daemon; a pid and start time say whether the holder still runs.
 */
export class PidLock {
  private held = true;

  private constructor(
    readonly path: string,
    private readonly content: string,
  ) {}

  /** Takes the lock at `path`, waiting up to `waitMs` for a live holder; throws `held(...)` after that. */
  static async acquire(path: string, options: PidLockWaitOptions): Promise<PidLock> {
    const deadline = Date.now() + (options.waitMs ?? 0);
    for (;;) {
      options.signal?.throwIfAborted();
      const outcome = await PidLock.tryAcquire(path, 0);
      if (outcome instanceof PidLock) return outcome;
      if (Date.now() >= deadline) throw options.held(outcome.holder);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  /** Removes the lock if it is still ours; safe to call more than once. */
  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await releaseIfOurs(this.path, this.content);
  }

  private static async tryAcquire(path: string, depth: number): Promise<Attempt> {
    const content = `${process.pid} ${processStartTime(process.pid) ?? '-'} ${randomBytes(12).toString('hex')}\n`;
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, content, { mode: 0o600, flag: 'wx' }).catch((error: unknown) => {
      throw ioError(path, error);
    });
    try {
      let holder: PidLockHolder | undefined;
      for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
        try {
          await link(temp, path);
          return new PidLock(path, content);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(path, error);
        }
        const current = await readLock(path);
        if (current === undefined) continue; // released meanwhile: try again
        holder = parseHolder(current);
        if (holder !== undefined && holderRuns(holder)) return { holder };
        if (depth >= MAX_TAKEOVER_DEPTH) return { holder };
        if (await PidLock.takeOver(path, current, temp, depth)) return new PidLock(path, content);
        // Another process is taking the stale lock over (or just did): look again shortly,
        // so a loser reports the winner, not the dead holder.
        await new Promise((resolve) => setTimeout(resolve, 1 + attempt));
      }
      return { holder };
    } finally {
      await rm(temp, { force: true });
    }
  }

  /**
   * Replaces the stale content `stale` of `path` by our temp file, under the takeover lock for
   * that content. Returns whether the lock is now ours.
   */
  private static async takeOver(path: string, stale: string, temp: string, depth: number): Promise<boolean> {
    const guardPath = `${path}.${createHash('sha256').update(stale).digest('hex').slice(0, 16)}.takeover`;
    const guard = await PidLock.tryAcquire(guardPath, depth + 1);
    if (!(guard instanceof PidLock)) return false;
    try {
      if ((await readLock(path)) !== stale) return false;
      await rename(temp, path).catch((error: unknown) => {
        throw ioError(path, error);
      });
      return true;
    } finally {
      await guard.release();
    }
  }
}

type Attempt = PidLock | { holder: PidLockHolder | undefined };

async function releaseIfOurs(path: string, content: string): Promise<void> {
  // Only a live owner removes its lock, and while it lives nobody may take the lock over:
  // the content cannot change between this read and the removal.
  if ((await readLock(path)) === content) await rm(path, { force: true });
}

async function readLock(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(path, error);
  }
}

/** Reads `<pid> [<start time> <nonce>]` (older versions wrote the pid alone). */
export function parseHolder(content: string): PidLockHolder | undefined {
  const [pidText, startTime] = content.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return startTime === undefined || startTime === '-' ? { pid } : { pid, startTime };
}

/** Whether the holder still runs: its pid is alive and, where the platform tells, started when the lock says. */
function holderRuns(holder: PidLockHolder): boolean {
  if (!pidAlive(holder.pid)) return false;
  if (holder.startTime === undefined) return true;
  const now = processStartTime(holder.pid);
  // Unknown start time (no /proc): the pid is all there is to go on.
  return now === undefined || now === holder.startTime;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), which
 * tells a reused pid from the process that wrote the lock. Undefined without /proc.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function ioError(path: string, error: unknown): PalyraError {
  return new PalyraError('PALYRA_E_STATE_IO', `cannot lock ${path}: ${(error as Error).message}`, { cause: error });
}
