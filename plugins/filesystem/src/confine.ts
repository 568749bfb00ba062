import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { denied, errnoOf, fsError } from './errors.js';
import { isInside } from './paths.js';

/** Where an input path lands once confined to a granted root. */
export interface ConfinedPath {
  /** The granted root the path lies in, as configured (normalised). */
  readonly root: string;
  /** The real path of that root. */
  readonly realRoot: string;
  /** The path below the root ('' for the root itself), with native separators. */
  readonly relative: string;
  /** `root` joined with `relative`: the path reported back to the caller. */
  readonly display: string;
  /**
   * The path to operate on: the real path of its deepest existing ancestor (checked to be
   * inside `realRoot`) followed by the `missing` components.
   */
  readonly real: string;
  /** The real path of the deepest existing ancestor (of the parent, with followFinal false). */
  readonly existing: string;
  /**
   * Trailing components that do not exist yet (empty when the path exists). With
   * `followFinal: false` it is empty as soon as the parent exists: the caller lstats the
   * last component itself.
   */
  readonly missing: readonly string[];
}

export interface ConfineOptions {
  /**
   * false: the last component is taken as is (lstat, unlink), so only its parent must resolve
   * inside the root; a symlink there is reported or removed, never followed.
   */
  readonly followFinal: boolean;
}

interface Candidate {
  readonly root: string;
  readonly realRoot: string | undefined;
  readonly relative: string;
}

/**
 * Confines `input` to the granted roots. A relative path is taken relative to the first root,
 * an absolute path must lie in one of them; `..` is resolved lexically and may not climb out.
 * Then the real path of the deepest existing ancestor must lie inside the root's real path, so
 * a symlink that leads outside is refused, also when the last components do not exist yet.
 */
export async function confinePath(input: string, roots: readonly string[], options: ConfineOptions): Promise<ConfinedPath> {
  if (input.includes('\0')) throw denied(input, roots, 'it contains a NUL byte');
  if (roots.length === 0) throw denied(input, roots, 'the filesystem plugin has no granted roots');

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
  const { root, realRoot } = candidate;
  if (realRoot === undefined) {
    throw new PalyraError('PALYRA_E_FS_NOT_FOUND', `granted root ${root} does not exist (for path ${JSON.stringify(input)})`, {
      details: { path: input, root },
    });
  }
  const target = join(realRoot, candidate.relative);
  const display = join(root, candidate.relative);
  const base = { root, realRoot, relative: candidate.relative, display };

  if (!options.followFinal && candidate.relative !== '') {
    const parent = await resolveExisting(dirname(target), realRoot, input, roots);
    const missing = parent.missing.length > 0 ? [...parent.missing, basename(target)] : [];
    return { ...base, real: join(parent.real, basename(target)), existing: parent.existing, missing };
  }
  return { ...base, ...(await resolveExisting(target, realRoot, input, roots)) };
}

/**
 * Walks up from `target` to its deepest existing ancestor and resolves that with realpath.
 * A symlink whose target is missing or loops is refused: where it leads cannot be proven.
 */
async function resolveExisting(
  target: string,
  realRoot: string,
  input: string,
  roots: readonly string[],
): Promise<{ real: string; existing: string; missing: string[] }> {
  const missing: string[] = [];
  let current = target;
  for (;;) {
    let real: string;
    try {
      real = await realpath(current);
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 'ELOOP') throw denied(input, roots, 'it goes through a symbolic link loop');
      if (errno !== 'ENOENT' && errno !== 'ENOTDIR') throw fsError(error, input, 'resolve');
      if (await isLink(current)) throw denied(input, roots, 'it goes through a symbolic link whose target does not exist');
      if (current === realRoot || !isInside(current, realRoot)) {
        throw new PalyraError('PALYRA_E_FS_NOT_FOUND', `granted root ${realRoot} disappeared (for path ${JSON.stringify(input)})`, {
          details: { path: input },
        });
      }
      missing.unshift(basename(current));
      current = dirname(current);
      continue;
    }
    if (!isInside(real, realRoot)) throw denied(input, roots, 'it resolves through a symbolic link to outside the granted roots');
    return { real: join(real, ...missing), existing: real, missing };
  }
}

async function isLink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}
