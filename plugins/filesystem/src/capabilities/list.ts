import { lstat } from 'node:fs/promises';
import { PalyraError } from '@palyra/shared/errors';
import { defineCapability } from '@palyra/shared/plugins';
import { confinePath } from '../confine.js';
import type { Directory } from '../Directory.js';
import { denied, errnoOf, fsError, notFound } from '../errors.js';
import { throwIfAborted } from '@palyra/plugin-sdk';
import { effectiveGrants, type FsGrants } from '../grants.js';
import { listDirectory, type ListEntry } from '../listDirectory.js';
import { BYTE_COUNT_SCHEMA, ENTRY_TYPE_SCHEMA, PATH_SCHEMA, TIMESTAMP_SCHEMA } from '../schemas.js';

export const DEFAULT_MAX_ENTRIES = 1000;
export const MAX_ENTRIES_CAP = 10_000;

export interface ListInput {
  path: string;
  recursive?: boolean;
  /** Default 1000, at most 10000. */
  maxEntries?: number;
}

export interface ListOutput {
  path: string;
  entries: ListEntry[];
  /** True when there were more entries than maxEntries. */
  truncated: boolean;
}

export const listCapability = defineCapability<ListInput, ListOutput, FsGrants>({
  id: 'fs.list',
  kind: 'read',
  description: 'Lists a directory inside a granted root, optionally recursively (never following symlinks), up to maxEntries entries.',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: PATH_SCHEMA,
      recursive: { type: 'boolean' },
      maxEntries: { type: 'integer', minimum: 1, maximum: MAX_ENTRIES_CAP },
    },
  },
  outputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'entries', 'truncated'],
    properties: {
      path: { type: 'string' },
      entries: {
        type: 'array',
        maxItems: MAX_ENTRIES_CAP,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'path', 'type', 'size', 'modifiedAt'],
          properties: {
            name: { type: 'string', minLength: 1 },
            path: { type: 'string', minLength: 1 },
            type: ENTRY_TYPE_SCHEMA,
            size: BYTE_COUNT_SCHEMA,
            modifiedAt: TIMESTAMP_SCHEMA,
          },
        },
      },
      truncated: { type: 'boolean' },
    },
  },
  async execute(input, ctx) {
    throwIfAborted(ctx.signal);
    const grants = effectiveGrants(ctx.grants);
    const target = await confinePath(input.path, grants.roots, { followFinal: true, signal: ctx.signal });
    try {
      if (target.missing.length > 0) throw notFound(input.path, 'list');
      const top = target.name === '' ? target.dir : target.opened.add(await openListed(target.dir, target.name, input.path, grants.roots));
      const maxEntries = Math.min(input.maxEntries ?? DEFAULT_MAX_ENTRIES, MAX_ENTRIES_CAP);
      const scope = { input: input.path, signal: ctx.signal, logger: ctx.logger };
      const listed = await listDirectory(top, scope, { recursive: input.recursive === true, maxEntries });
      return { path: target.display, ...listed };
    } finally {
      await target.close();
    }
  },
});

/** Opens the directory to list inside its verified parent, never through a symlink. */
async function openListed(dir: Directory, name: string, input: string, roots: readonly string[]): Promise<Directory> {
  try {
    return await dir.openChild(name);
  } catch (error) {
    if (errnoOf(error) !== 'ENOTDIR') throw fsError(error, input, 'list');
    const stats = await lstat(dir.at(name)).catch((lstatError: unknown) => {
      throw fsError(lstatError, input, 'list');
    });
    if (stats.isSymbolicLink()) throw denied(input, roots, 'its last component became a symbolic link');
    throw new PalyraError('PALYRA_E_FS_IO', `cannot list ${JSON.stringify(input)}: it is not a directory`, {
      details: { path: input, errno: 'ENOTDIR' },
    });
  }
}
