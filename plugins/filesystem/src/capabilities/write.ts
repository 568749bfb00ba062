import { PalyraError } from '@palyra/shared/errors';
import { defineCapability } from '@palyra/shared/plugins';
import { confinePath } from '../confine.js';
import { decodeContent, decodedLength, type ContentEncoding } from '../encoding.js';
import { throwIfAborted } from '@palyra/plugin-sdk';
import { effectiveGrants, requireWrite, type FsGrants } from '../grants.js';
import { makeDirectories } from '../makeDirectories.js';
import { BYTE_COUNT_SCHEMA, ENCODING_SCHEMA, PATH_SCHEMA } from '../schemas.js';
import { writeContent, type WriteMode } from '../writeContent.js';

export interface WriteInput {
  path: string;
  content: string;
  encoding?: ContentEncoding;
  /** create (default) fails when the file exists; overwrite replaces it atomically. */
  mode?: WriteMode;
  /** Creates missing parent directories. Default false. */
  mkdirs?: boolean;
}

export interface WriteOutput {
  path: string;
  bytesWritten: number;
}

export const writeCapability = defineCapability<WriteInput, WriteOutput, FsGrants>({
  id: 'fs.write',
  kind: 'mutate',
  description:
    'Writes a file inside a granted root: create (fails if it exists), overwrite (atomic replace) or append. Needs grants.write.',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'content'],
    properties: {
      path: PATH_SCHEMA,
      content: { type: 'string' },
      encoding: ENCODING_SCHEMA,
      mode: { type: 'string', enum: ['create', 'overwrite', 'append'] },
      mkdirs: { type: 'boolean' },
    },
  },
  outputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'bytesWritten'],
    properties: {
      path: { type: 'string' },
      bytesWritten: BYTE_COUNT_SCHEMA,
    },
  },
  async execute(input, ctx) {
    throwIfAborted(ctx.signal);
    const grants = effectiveGrants(ctx.grants);
    requireWrite(grants, 'fs.write', input.path);
    const encoding = input.encoding ?? 'utf8';
    const size = decodedLength(input.content, encoding);
    if (size > grants.maxWriteBytes) {
      throw new PalyraError(
        'PALYRA_E_LIMIT_EXCEEDED',
        `cannot write ${JSON.stringify(input.path)}: ${size} bytes, maxWriteBytes is ${grants.maxWriteBytes}`,
        { details: { path: input.path, size, maxWriteBytes: grants.maxWriteBytes } },
      );
    }
    const data = decodeContent(input.content, encoding);

    const target = await confinePath(input.path, grants.roots, { followFinal: true, signal: ctx.signal });
    try {
      if (target.name === '') {
        const what = target.dir.isRoot ? 'a granted root directory' : 'a directory';
        throw new PalyraError('PALYRA_E_FS_IO', `cannot write ${JSON.stringify(input.path)}: it is ${what}`, {
          details: { path: input.path, errno: 'EISDIR' },
        });
      }
      let dir = target.dir;
      if (target.missing.length > 0) {
        if (input.mkdirs !== true) {
          throw new PalyraError(
            'PALYRA_E_FS_NOT_FOUND',
            `cannot write ${JSON.stringify(input.path)}: its parent directory does not exist (pass mkdirs: true to create it)`,
            { details: { path: input.path, errno: 'ENOENT' } },
          );
        }
        dir = await makeDirectories(dir, target.missing, { input: input.path, roots: grants.roots, signal: ctx.signal, opened: target.opened });
      }
      throwIfAborted(ctx.signal);
      await writeContent({ dir, name: target.name, input: input.path, roots: grants.roots }, input.mode ?? 'create', data, ctx.signal);
    } finally {
      await target.close();
    }
    return { path: target.display, bytesWritten: data.byteLength };
  },
});
