import type { Stats } from 'node:fs';
import { lstat, mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PalyraError } from '../errors/index.js';
import { POSIX, assertTrustedOwner, isTrustedOwner, octalMode } from './ownership.js';
import { walkPath } from './walkPath.js';

const STICKY = 0o1000;

export interface PrivateDirectoryOptions {
  /** Create the directory (0700, with its missing parents) when it does not exist. */
  create?: boolean;
  /** Starts messages: "the state directory" (default "the directory"). */
  what?: string;
}

/**
 * Checks a directory that holds secrets, and the way to it, before anything in it is read
 * or written. On POSIX, for the running user U:
 * - the directory belongs to U (or root) and group and others have no access to it (0700);
 * - every directory on the way to it belongs to U or root, and is not writable by group or
 *   others unless it has the sticky bit (/tmp): nobody else can rename or replace an entry;
 * - every symbolic link on the way (the directory itself may be one) belongs to U or root:
 *   a link owned by another user is that user's choice of where the path leads.
 * So only U and root can change what the path names; files are then opened by name below it
 * (without following a final symlink, see readOwnFile). Returns false when the directory does
 * not exist and `create` is not set (the existing part of the way has been checked).
 * PALYRA_E_STATE_PERMISSIONS names what was refused and what to do.
 */
export async function checkPrivateDirectory(path: string, options: PrivateDirectoryOptions = {}): Promise<boolean> {
  const dir = resolve(path);
  const what = options.what ?? 'the directory';
  if (!POSIX) return checkPlainDirectory(dir, what, options.create === true);
  const first = await walk(dir, what);
  if (first.missing === undefined) return true;
  if (options.create !== true) return false;
  try {
    await mkdir(first.missing, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw ioError(`cannot create ${what} ${dir}`, error);
  }
  const second = await walk(dir, what);
  if (second.missing !== undefined) throw new PalyraError('PALYRA_E_STATE_IO', `${what} ${dir} disappeared while it was being created`);
  return true;
}

/**
 * Walks the way to `dir` (walkPath), checking each directory and link as it goes. `missing` is
 * the real path it would have, when some part of it does not exist.
 */
async function walk(dir: string, what: string): Promise<{ missing?: string }> {
  const walked = await walkPath(dir, {
    what,
    visit: ({ path: next, info, more }) => {
      if (info.isSymbolicLink()) {
        if (!isTrustedOwner(info.uid)) {
          throw new PalyraError(
            'PALYRA_E_STATE_PERMISSIONS',
            `${what} ${dir} is reached through the symbolic link ${next}, which belongs to uid ${info.uid} (not to this user or root): ` +
              'that user chooses where it leads; give the path of a directory of your own',
            { details: { path: dir, link: next, uid: info.uid } },
          );
        }
        return;
      }
      if (!info.isDirectory()) {
        throw new PalyraError('PALYRA_E_STATE_IO', more ? `${next} (on the way to ${what} ${dir}) is not a directory` : `${what} ${dir} exists and is not a directory`);
      }
      if (more) checkAncestor(dir, what, next, info);
    },
    error: (message, cause) => new PalyraError('PALYRA_E_STATE_IO', message, cause === undefined ? {} : { cause }),
  });
  if (walked.missing !== undefined) return { missing: walked.missing };
  // Named by its real path: when a link led there, that is the directory to look at.
  checkTarget(walked.real, what, await lstat(walked.real));
  return {};
}

function checkAncestor(dir: string, what: string, ancestor: string, info: Stats): void {
  if (!isTrustedOwner(info.uid)) {
    throw new PalyraError(
      'PALYRA_E_STATE_PERMISSIONS',
      `${what} ${dir} is inside ${ancestor}, which belongs to uid ${info.uid} (not to this user or root): that user can replace it; use a directory of your own`,
      { details: { path: dir, ancestor, uid: info.uid } },
    );
  }
  if ((info.mode & 0o022) !== 0 && (info.mode & STICKY) === 0) {
    throw new PalyraError(
      'PALYRA_E_STATE_PERMISSIONS',
      `${what} ${dir} is inside ${ancestor}, which group or others can write (mode ${octalMode(info.mode)}, no sticky bit), so they can replace it: ` +
        `run \`chmod go-w ${ancestor}\` or use another directory`,
      { details: { path: dir, ancestor, mode: octalMode(info.mode) } },
    );
  }
}

function checkTarget(dir: string, what: string, info: Stats): void {
  assertTrustedOwner(info, dir, what);
  if ((info.mode & 0o077) !== 0) {
    throw new PalyraError(
      'PALYRA_E_STATE_PERMISSIONS',
      `${what} ${dir} is accessible by group or others (mode ${octalMode(info.mode)}): run \`chmod 700 ${dir}\``,
      { details: { path: dir, mode: octalMode(info.mode) } },
    );
  }
}

/** Windows: no owners or modes to check here (ACLs); only that it is a directory. */
async function checkPlainDirectory(dir: string, what: string, create: boolean): Promise<boolean> {
  try {
    if (create) await mkdir(dir, { recursive: true });
    if (!(await stat(dir)).isDirectory()) throw new PalyraError('PALYRA_E_STATE_IO', `${what} ${dir} exists and is not a directory`);
    return true;
  } catch (error) {
    if (error instanceof PalyraError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !create) return false;
    throw ioError(`cannot open ${what} ${dir}`, error);
  }
}

function ioError(message: string, cause: unknown): PalyraError {
  return new PalyraError('PALYRA_E_STATE_IO', `${message}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}
