import { lstat, readlink, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stats } from 'node:fs';
import { PalyraError } from '@palyra/shared/errors';
import { defineCapability } from '@palyra/shared/plugins';
import { confinePath } from '../confine.js';
import { denied, errnoOf, fsError } from '../errors.js';
import { throwIfAborted } from '@palyra/plugin-sdk';
import { effectiveGrants, requireWrite, type FsGrants } from '../grants.js';
import { isInside } from '../paths.js';
import { realRoots } from '../realRoots.js';
import { removeTree } from '../removeTree.js';
import { PATH_SCHEMA } from '../schemas.js';

export interface RemoveInput {
  path: string;
  /** Needed to remove a directory that is not empty. Default false. */
  recursive?: boolean;
}

export interface RemoveOutput {
  path: string;
  /** false when there was nothing to remove. */
  removed: boolean;
}

export const removeCapability = defineCapability<RemoveInput, RemoveOutput, FsGrants>({
  id: 'fs.remove',
  kind: 'mutate',
  description:
    'Removes a file, symlink (not its target) or directory (recursive for a non-empty one) inside a granted root; never a root. Needs grants.write.',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: { path: PATH_SCHEMA, recursive: { type: 'boolean' } },
  },
  outputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'removed'],
    properties: { path: { type: 'string' }, removed: { type: 'boolean' } },
  },
  async execute(input, ctx) {
    throwIfAborted(ctx.signal);
    const grants = effectiveGrants(ctx.grants);
    requireWrite(grants, 'fs.remove', input.path);
    const target = await confinePath(input.path, grants.roots, { followFinal: false, signal: ctx.signal });
    try {
      if (target.name === '') throw denied(input.path, grants.roots, 'it is a granted root or contains one');
      // A root, or a directory holding one, is never removed; where the target is, is what
      // the kernel says of its verified parent now.
      const real = join(await readlink(target.dir.at()), ...target.missing, target.name);
      for (const realRoot of await realRoots(grants.roots)) {
        if (isInside(realRoot, real)) throw denied(input.path, grants.roots, 'it is a granted root or contains one');
      }
      if (target.missing.length > 0) return { path: target.display, removed: false };
      const { dir, name } = target;
      let stats: Stats;
      try {
        stats = await lstat(dir.at(name));
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return { path: target.display, removed: false };
        throw fsError(error, input.path, 'remove');
      }
      throwIfAborted(ctx.signal);
      if (!stats.isDirectory()) {
        await unlink(dir.at(name)).catch((error: unknown) => {
          throw fsError(error, input.path, 'remove');
        });
      } else if (input.recursive === true) {
        await removeTree(dir, name, { input: input.path, roots: grants.roots, signal: ctx.signal });
      } else {
        await rmdir(dir.at(name)).catch((error: unknown) => {
          if (errnoOf(error) === 'ENOTEMPTY' || errnoOf(error) === 'EEXIST') {
            throw new PalyraError('PALYRA_E_FS_IO', `cannot remove ${JSON.stringify(input.path)}: the directory is not empty (pass recursive: true)`, {
              cause: error,
              details: { path: input.path, errno: 'ENOTEMPTY' },
            });
          }
          throw fsError(error, input.path, 'remove');
        });
      }
    } finally {
      await target.close();
    }
    return { path: target.display, removed: true };
  },
});
