import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { defineCapability } from '@palyra/shared/plugins';
import { confinePath } from '../confine.js';
import { fsError, notFound } from '../errors.js';
import { throwIfAborted } from '@palyra/plugin-sdk';
import { effectiveGrants, type FsGrants } from '../grants.js';
import { BYTE_COUNT_SCHEMA, ENTRY_TYPE_SCHEMA, PATH_SCHEMA, TIMESTAMP_SCHEMA } from '../schemas.js';
import { entryType, modifiedAt, octalMode, type EntryType } from '../stats.js';

export interface StatInput {
  path: string;
}

export interface StatOutput {
  path: string;
  /** A symlink is reported as 'symlink', not followed. */
  type: EntryType;
  size: number;
  modifiedAt: string;
  /** Permission and special bits, four octal digits: '0644'. */
  mode: string;
}

export const statCapability = defineCapability<StatInput, StatOutput, FsGrants>({
  id: 'fs.stat',
  kind: 'read',
  description: 'Describes a file, directory or symlink (not followed) inside a granted root: type, size, modification time, mode.',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: { path: PATH_SCHEMA },
  },
  outputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'type', 'size', 'modifiedAt', 'mode'],
    properties: {
      path: { type: 'string' },
      type: ENTRY_TYPE_SCHEMA,
      size: BYTE_COUNT_SCHEMA,
      modifiedAt: TIMESTAMP_SCHEMA,
      mode: { type: 'string', pattern: '^[0-7]{4}$' },
    },
  },
  async execute(input, ctx) {
    throwIfAborted(ctx.signal);
    const grants = effectiveGrants(ctx.grants);
    const target = await confinePath(input.path, grants.roots, { followFinal: false, signal: ctx.signal });
    let stats: Stats;
    try {
      if (target.missing.length > 0) throw notFound(input.path, 'stat');
      stats = target.name === '' ? await target.dir.stat() : await lstat(target.dir.at(target.name));
    } catch (error) {
      throw fsError(error, input.path, 'stat');
    } finally {
      await target.close();
    }
    return { path: target.display, type: entryType(stats), size: stats.size, modifiedAt: modifiedAt(stats), mode: octalMode(stats) };
  },
});
