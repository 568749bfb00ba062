import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { PalyraError } from '@palyra/shared/errors';

/**
 * `/proc/self/fd/<fd>/<name>` names `<name>` inside the directory the descriptor holds open,
 * whatever happened to the directory's path since: the kernel follows the magic link to the
 * open directory, then looks up `<name>` in it. Opening, creating, renaming and removing
 * through such paths is openat/mkdirat/renameat/unlinkat relative to a verified directory,
 * without a native addon. Linux only.
 */
export function procPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

let available: Promise<void> | undefined;

/**
 * Resolves when /proc/self/fd gives openat semantics here (Linux with /proc mounted), checked
 * once per process: a descriptor of `/` reached through its /proc link is the same inode.
 * Rejects with PALYRA_E_PLUGIN_SETUP_FAILED elsewhere: without it paths cannot be confined
 * race-free, and the plugin refuses to work rather than fall back to racy checks.
 */
export function requireProcFd(): Promise<void> {
  // A failure that may pass (out of descriptors) is not remembered.
  available ??= checkProcFd().catch((error: unknown) => {
    available = undefined;
    throw error;
  });
  return available;
}

async function checkProcFd(): Promise<void> {
  const problem = (reason: string, cause?: unknown) =>
    new PalyraError(
      'PALYRA_E_PLUGIN_SETUP_FAILED',
      `the filesystem plugin needs /proc/self/fd (Linux, /proc mounted) to confine paths race-free: ${reason}`,
      { cause, details: { platform: process.platform } },
    );
  if (process.platform !== 'linux' || constants.O_DIRECTORY === undefined || constants.O_NOFOLLOW === undefined) {
    throw problem(`not available on ${process.platform}`);
  }
  const handle = await open('/', constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const [direct, viaProc] = await Promise.all([handle.stat(), stat(procPath(handle.fd))]);
    if (direct.dev !== viaProc.dev || direct.ino !== viaProc.ino) throw problem('/proc/self/fd does not name open descriptors');
  } catch (error) {
    if (error instanceof PalyraError) throw error;
    throw problem('/proc/self/fd cannot be read', error);
  } finally {
    await handle.close();
  }
}
