import { rmSync } from 'node:fs';
import { mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';

export interface WorkingDirectory {
  /** The real path (no symlinks) the command starts in. */
  readonly path: string;
  /** Removes the directory when it was created for this run; otherwise does nothing. */
  release(): Promise<void>;
}

/**
 * Where a command starts.
 * - With roots granted: `cwd` (absolute, or relative to the first root; default the first
 *   root) must be inside a root both as written and after resolving symlinks.
 * - With no roots: `cwd` is refused, and the command runs in a fresh private (0700) temp
 *   directory that `release()` removes.
 *
 * Outside the roots: PALYRA_E_CAPABILITY_DENIED (checked before touching the path, so it
 * does not reveal what exists there). Inside but missing or not a directory:
 * PALYRA_E_EXEC_FAILED.
 */
export async function resolveCwd(cwd: string | undefined, roots: readonly string[]): Promise<WorkingDirectory> {
  const first = roots[0];
  if (first === undefined) {
    if (cwd !== undefined) {
      throw new PalyraError(
        'PALYRA_E_CAPABILITY_DENIED',
        `cwd "${cwd}" is not allowed: no roots are granted, so commands run in a fresh temp directory; to allow ` +
          `choosing cwd, add directories to grants.roots of the { use: 'shell' } entry in the palyra-node config`,
        { details: { cwd } },
      );
    }
    const path = await realpath(await mkdtemp(join(tmpdir(), 'palyra-shell-')));
    const untrack = trackTempDir(path);
    return {
      path,
      release: async () => {
        // Retries: a killed command's last writes can race the removal (ENOTEMPTY).
        await rm(path, { recursive: true, force: true, maxRetries: 3 });
        untrack();
      },
    };
  }

  const wanted = resolve(first, cwd ?? '.');
  const realRoots = await Promise.all(roots.map(realpathOrNull));
  const candidates = [...roots, ...realRoots.filter((root): root is string => root !== null)];
  if (!candidates.some((root) => isInside(wanted, root))) throw outside(cwd ?? wanted, roots);

  let real: string;
  try {
    real = await realpath(wanted);
  } catch (error) {
    throw new PalyraError('PALYRA_E_EXEC_FAILED', `cannot start in cwd "${cwd ?? wanted}": it does not exist`, {
      cause: error,
      details: { cwd: cwd ?? wanted },
    });
  }
  if (!realRoots.some((root) => root !== null && isInside(real, root))) throw outside(cwd ?? wanted, roots);
  if (!(await stat(real)).isDirectory()) {
    throw new PalyraError('PALYRA_E_EXEC_FAILED', `cannot start in cwd "${cwd ?? wanted}": not a directory`, {
      details: { cwd: cwd ?? wanted },
    });
  }
  return { path: real, release: async () => {} };
}

/** Temp working directories not released yet; removed on the way out if the agent exits first. */
const liveTempDirs = new Set<string>();
let exitHooked = false;

/**
 * A command still running when the agent exits (process.exit, a fatal error) never reaches
 * its `release()`; its temp directory would stay behind in the system temp dir. (Its process
 * group gets SIGKILL on the way out too: liveGroups.ts.)
 */
function trackTempDir(path: string): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const dir of liveTempDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      liveTempDirs.clear();
    });
  }
  liveTempDirs.add(path);
  return () => {
    liveTempDirs.delete(path);
  };
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

async function realpathOrNull(path: string): Promise<string | null> {
  try {
    return await realpath(path);
  } catch {
    return null;
  }
}

function outside(cwd: string, roots: readonly string[]): PalyraError {
  return new PalyraError(
    'PALYRA_E_CAPABILITY_DENIED',
    `cwd "${cwd}" is outside the granted roots (${roots.join(', ')}); to allow it, add a directory that contains it ` +
      `to grants.roots of the { use: 'shell' } entry in the palyra-node config`,
    { details: { cwd } },
  );
}
