import { PalyraError } from '@palyra/shared/errors';
import { defineCapability } from '@palyra/shared/plugins';
import { confinePath } from '../confine.js';
import { encodeContent, type ContentEncoding } from '../encoding.js';
import { fsError, notFound } from '../errors.js';
import { throwIfAborted } from '@palyra/plugin-sdk';
import { effectiveGrants, type FsGrants } from '../grants.js';
import { READ_FLAGS, openIn } from '../handles.js';
import { BYTE_COUNT_SCHEMA, ENCODING_SCHEMA, PATH_SCHEMA } from '../schemas.js';

export interface ReadInput {
  path: string;
  encoding?: ContentEncoding;
  /** First byte to read. Default 0. */
  offset?: number;
  /** Bytes to read from offset. Default: to the end of the file. */
  length?: number;
}

export interface ReadOutput {
  path: string;
  /** Size of the whole file in bytes (not of the range returned). */
  size: number;
  /** How `content` is encoded: base64 when requested or when the bytes are not UTF-8. */
  encoding: ContentEncoding;
  content: string;
}

/** Bytes read per step; the signal is checked and progress reported between steps. */
export const READ_CHUNK_BYTES = 1024 * 1024;

export const readCapability = defineCapability<ReadInput, ReadOutput, FsGrants>({
  id: 'fs.read',
  kind: 'read',
  description:
    'Reads a file (or a byte range of it) inside a granted root, as UTF-8 text or base64. Files larger than maxReadBytes need offset/length.',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: PATH_SCHEMA,
      encoding: ENCODING_SCHEMA,
      offset: BYTE_COUNT_SCHEMA,
      length: BYTE_COUNT_SCHEMA,
    },
  },
  outputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'size', 'encoding', 'content'],
    properties: {
      path: { type: 'string' },
      size: BYTE_COUNT_SCHEMA,
      encoding: ENCODING_SCHEMA,
      content: { type: 'string' },
    },
  },
  async execute(input, ctx) {
    throwIfAborted(ctx.signal);
    const grants = effectiveGrants(ctx.grants);
    const target = await confinePath(input.path, grants.roots, { followFinal: true, signal: ctx.signal });
    let opened: Awaited<ReturnType<typeof openIn>>;
    try {
      if (target.missing.length > 0) throw notFound(input.path, 'read');
      if (target.name === '') {
        throw new PalyraError('PALYRA_E_FS_IO', `cannot read ${JSON.stringify(input.path)}: it is a directory (use fs.list)`, {
          details: { path: input.path },
        });
      }
      throwIfAborted(ctx.signal);
      opened = await openIn(target.dir, target.name, READ_FLAGS, { input: input.path, roots: grants.roots }, 'read');
    } finally {
      // The file is open (or not): the directories are no longer needed.
      await target.close();
    }
    const { handle, stats } = opened;
    try {
      if (!stats.isFile()) {
        throw new PalyraError(
          'PALYRA_E_FS_IO',
          `cannot read ${JSON.stringify(input.path)}: it is ${stats.isDirectory() ? 'a directory (use fs.list)' : 'not a regular file'}`,
          { details: { path: input.path } },
        );
      }
      const offset = input.offset ?? 0;
      const wanted = Math.min(input.length ?? Number.POSITIVE_INFINITY, Math.max(0, stats.size - offset));
      if (wanted > grants.maxReadBytes) {
        const hint = input.offset === undefined && input.length === undefined ? '; read it in ranges with offset and length' : '';
        throw new PalyraError(
          'PALYRA_E_LIMIT_EXCEEDED',
          `cannot read ${JSON.stringify(input.path)}: ${wanted} bytes requested, maxReadBytes is ${grants.maxReadBytes}${hint}`,
          { details: { path: input.path, size: stats.size, requested: wanted, maxReadBytes: grants.maxReadBytes } },
        );
      }
      const bytes = Buffer.alloc(wanted);
      let done = 0;
      while (done < wanted) {
        throwIfAborted(ctx.signal);
        const step = Math.min(READ_CHUNK_BYTES, wanted - done);
        let bytesRead: number;
        try {
          ({ bytesRead } = await handle.read(bytes, done, step, offset + done));
        } catch (error) {
          throw fsError(error, input.path, 'read');
        }
        if (bytesRead === 0) break; // The file shrank while it was read.
        done += bytesRead;
        if (wanted > READ_CHUNK_BYTES) ctx.progress({ ratio: done / wanted, message: `read ${done} of ${wanted} bytes` });
      }
      return { path: target.display, size: stats.size, ...encodeContent(bytes.subarray(0, done), input.encoding ?? 'utf8') };
    } finally {
      await handle.close();
    }
  },
});
