import type { Stats } from 'node:fs';
import { PalyraError } from '../errors/index.js';

export const POSIX = process.platform !== 'win32';

/** The running user's uid, or undefined where there are no uids (Windows). */
export function currentUid(): number | undefined {
  return POSIX ? process.getuid?.() : undefined;
}

/**
 * Whom a program trusts with what it keeps: itself and root (who can change anything
 * anyway). A directory, file or symbolic link owned by any other user was put there, or can
 * be changed, by that user, so its contents are theirs to choose.
 */
export function isTrustedOwner(uid: number): boolean {
  const self = currentUid();
  return self === undefined || uid === self || uid === 0;
}

export function octalMode(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

/**
 * Refuses a file or directory that belongs to another user (PALYRA_E_STATE_PERMISSIONS).
 * `what` starts the message: "the state directory", "the vault key file"...
 */
export function assertTrustedOwner(info: Pick<Stats, 'uid'>, path: string, what: string): void {
  if (isTrustedOwner(info.uid)) return;
  const self = currentUid();
  throw new PalyraError(
    'PALYRA_E_STATE_PERMISSIONS',
    `${what} ${path} belongs to uid ${info.uid}, not to this user (uid ${self}): another user could have chosen what is in it; ` +
      `use one of your own (if this one is yours and you trust every file in it, run \`chown -R ${self} ${path}\`)`,
    { details: { path, uid: info.uid, expectedUid: self } },
  );
}
