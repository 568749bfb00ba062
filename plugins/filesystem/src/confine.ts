import { readlink, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { Directory, DirectorySet } from './Directory.js';
import { denied, errnoOf, fsError } from './errors.js';
import { throwIfAborted } from '@palyra/plugin-sdk';
import { isInside } from './paths.js';
import { requireProcFd } from './procFd.js';
import { walkInRoot, type Walked } from './walkInRoot.js';

/**
 * Where an input path lands once confined to a granted root: an open, verified directory and
 * a name in it. Nothing here is a path to re-resolve later; every operation on the target goes
 * through `dir.at(...)`. `close()` (in a finally) closes every directory opened for it.
 */
export interface ConfinedPath extends Walked {
  /** The granted root the path lies in, as configured (normalised). */
  readonly root: string;
  /** The real path of that root, as the kernel names the opened root directory. */
  readonly realRoot: string;
  /** The path below the root as given ('' for the root itself), with native separators. */
  readonly relative: string;
  /** `root` joined with `relative`: the path reported back to the caller. */
  readonly display: string;
  /** Holds every directory opened for this path; directories opened later for it go here too. */
  readonly opened: DirectorySet;
  close(): Promise<void>;
}

export interface ConfineOptions {
  /**
   * false: the last component is taken as is (lstat, unlink), never followed; a symlink there
   * is reported or removed.
   */
  readonly followFinal: boolean;
  readonly signal: AbortSignal;
}

interface Candidate {
  readonly root: string;
  readonly realRoot: string | undefined;
  readonly relative: string;
}

/**
 * Confines `input` to the granted roots. A relative path is taken relative to the first root,
 * an absolute path must lie in one of them; `..` is resolved lexically and may not climb out.
 * Then the path is walked from the root's open descriptor (see walkInRoot), so what it names
 * is inside the root when it is reached, not only when it was checked.
 */
export async function confinePath(input: string, roots: readonly string[], options: ConfineOptions): Promise<ConfinedPath> {
  if (input.includes('\0')) throw denied(input, roots, 'it contains a NUL byte');
  if (roots.length === 0) throw denied(input, roots, 'the filesystem plugin has no granted roots');
  await requireProcFd();

  const candidates = await candidatesFor(input, roots);
  if (candidates.length === 0) throw denied(input, roots, 'it is outside the granted roots');

  let firstFailure: unknown;
  for (const candidate of candidates) {
    try {
      return await confineToRoot(input, roots, candidate, options);
    } catch (error) {
      firstFailure ??= error;
    }
  }
  throw firstFailure;
}

/** Roots that lexically contain the path, most specific first. */
async function candidatesFor(input: string, roots: readonly string[]): Promise<Candidate[]> {
  const first = roots[0];
  if (!isAbsolute(input)) {
    if (first === undefined) return [];
    const lexical = resolve(first, input);
    if (!isInside(lexical, first)) return [];
    return [{ root: first, realRoot: await realRootOf(first), relative: relative(first, lexical) }];
  }
  const lexical = resolve(input);
  const found: Candidate[] = [];
  for (const root of roots) {
    const realRoot = await realRootOf(root);
    // The path may name the root as configured or by its real path (/tmp vs /private/tmp).
    const base = isInside(lexical, root) ? root : realRoot !== undefined && isInside(lexical, realRoot) ? realRoot : undefined;
    if (base !== undefined) found.push({ root, realRoot, relative: relative(base, lexical) });
  }
  return found.sort((a, b) => b.root.length - a.root.length);
}

async function realRootOf(root: string): Promise<string | undefined> {
  try {
    return await realpath(root);
  } catch {
    return undefined;
  }
}

async function confineToRoot(input: string, roots: readonly string[], candidate: Candidate, options: ConfineOptions): Promise<ConfinedPath> {
  const { root } = candidate;
  throwIfAborted(options.signal);
  let rootDir: Directory;
  try {
    rootDir = await Directory.openRoot(root);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT' || errno === 'ENOTDIR') {
      throw new PalyraError('PALYRA_E_FS_NOT_FOUND', `granted root ${root} does not exist (for path ${JSON.stringify(input)})`, {
        cause: error,
        details: { path: input, root },
      });
    }
    throw fsError(error, input, 'open the granted root of');
  }
  const opened = new DirectorySet();
  opened.add(rootDir);
  try {
    // The kernel's name for the opened root: absolute symlink targets are compared with it.
    const realRoot = await readlink(rootDir.at());
    const walked = await walkInRoot(rootDir, components(candidate.relative), {
      input,
      roots,
      rootNames: [realRoot, root, ...(candidate.realRoot === undefined ? [] : [candidate.realRoot])],
      followFinal: options.followFinal,
      signal: options.signal,
      opened,
    });
    return {
      ...walked,
      root,
      realRoot,
      relative: candidate.relative,
      display: join(root, candidate.relative),
      opened,
      close: () => opened.closeAll(),
    };
  } catch (error) {
    await opened.closeAll();
    throw error;
  }
}

function components(path: string): string[] {
  return path.split(sep).filter((c) => c !== '' && c !== '.');
}
