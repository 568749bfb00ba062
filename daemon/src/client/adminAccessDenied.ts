import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';

/** The errno codes that mean "this user may not", not "nothing is there". */
export function isAccessDenied(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

/**
 * PALYRA_E_ADMIN_ACCESS_DENIED for a user the file system keeps off the admin socket (it is
 * 0600 in a 0700 state dir): names the path that refused and its owner, so the message says
 * whom to run the command as instead of claiming that no daemon runs.
 */
export async function adminAccessDenied(socketPath: string, cause: unknown): Promise<PalyraError> {
  const refusing = await refusingPath(socketPath);
  const me = describeUser(process.getuid?.() ?? -1);
  const whose = refusing === undefined ? '' : ` (it belongs to ${describeUser(refusing.uid)})`;
  const runAs = refusing === undefined ? "the daemon's user" : (userName(refusing.uid) ?? `uid ${refusing.uid}`);
  return new PalyraError(
    'PALYRA_E_ADMIN_ACCESS_DENIED',
    `permission denied on ${refusing?.path ?? socketPath}${whose}: this user (${me}) may not use the daemon's admin socket ` +
      `${socketPath}; run the command as ${runAs}`,
    { cause, details: { socketPath, ...(refusing === undefined ? {} : { path: refusing.path, ownerUid: refusing.uid }) } },
  );
}

/**
 * What refused: the socket itself when this user can see it (its 0600 mode), else the deepest
 * directory above it this user can see but not enter (the daemon's 0700 state dir).
 */
async function refusingPath(socketPath: string): Promise<{ path: string; uid: number } | undefined> {
  for (let path = socketPath; ; path = dirname(path)) {
    try {
      return { path, uid: (await stat(path)).uid };
    } catch {
      if (dirname(path) === path) return undefined;
    }
  }
}

function describeUser(uid: number): string {
  const name = userName(uid);
  return name === undefined ? `uid ${uid}` : `${name}, uid ${uid}`;
}

/** The user name of `uid`: this process's own, else from /etc/passwd (best effort: no NSS lookup). */
function userName(uid: number): string | undefined {
  try {
    const self = userInfo();
    if (self.uid === uid) return self.username;
  } catch {
    // no passwd entry for this process's uid
  }
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name !== undefined && id !== undefined && Number(id) === uid && id !== '') return name;
    }
  } catch {
    // no /etc/passwd (not Linux, or not readable)
  }
  return undefined;
}
