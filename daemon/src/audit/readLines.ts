import { constants as fsConstants, createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { PalyraError } from '@palyra/shared/errors';
import { MAX_AUDIT_LINE_BYTES } from './entryFormat.js';

/**
 * Thrown (as PALYRA_E_STATE_IO) for an audit file that is not a regular file: a symbolic link,
 * a FIFO, a device. Reading one could block forever (a FIFO without a writer) or never end
 * (/dev/zero), and whoever can write audit/ can put one there.
 */
export class NotAuditFileError extends PalyraError {
  constructor(path: string, what: string) {
    super('PALYRA_E_STATE_IO', `the audit file ${path} is not a regular file (${what}): replace it with the file itself`, { details: { path } });
  }
}

/**
 * Opens an audit file for reading: never through a symbolic link, never waiting on a FIFO, and
 * only a regular file (NotAuditFileError otherwise).
 */
export async function openAuditFile(path: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (no effect on a regular file).
    handle = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new NotAuditFileError(path, 'a symbolic link');
    throw error;
  }
  const info = await handle.stat().catch(async (error: unknown) => {
    await handle.close();
    throw error;
  });
  if (!info.isFile()) {
    await handle.close();
    throw new NotAuditFileError(path, 'a FIFO, device or directory');
  }
  return handle;
}

export interface StoredLine {
  /** 1-based line number in its file. */
  lineNo: number;
  text: string;
  /** False for a last line without its newline (a torn write, or a file cut short). */
  complete: boolean;
  /** True when the line was longer than any entry can be (its text is cut). */
  oversized: boolean;
}

/**
 * The lines of one audit file, streamed (a file is up to audit.maxFileBytes): memory stays
 * bounded by MAX_AUDIT_LINE_BYTES whatever the file holds. Only a regular file is read
 * (NotAuditFileError otherwise), and only as far as its size when opened.
 */
export async function* readLines(
  path: string,
  { signal, endBytes, handle: given }: { signal?: AbortSignal; endBytes?: number; handle?: FileHandle } = {},
): AsyncGenerator<StoredLine> {
  if (endBytes === 0) return;
  // `handle`: opened before (openAuditFile) by a caller that must read that very inode; it
  // stays the caller's to close.
  const handle = given ?? (await openAuditFile(path));
  const info = await handle.stat().catch(async (error: unknown) => {
    if (given === undefined) await handle.close();
    throw error;
  });
  // `endBytes`: only what was durable when the reader started (the writer may be mid-batch).
  const stop = Math.min(endBytes ?? info.size, info.size);
  if (stop === 0) {
    if (given === undefined) await handle.close();
    return;
  }
  const stream = createReadStream('', { fd: handle, autoClose: given === undefined, highWaterMark: 256 * 1024, start: 0, end: stop - 1, ...(signal === undefined ? {} : { signal }) });
  let parts: Buffer[] = [];
  let size = 0;
  let oversized = false;
  let lineNo = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!oversized) {
        if (size + (end - start) > MAX_AUDIT_LINE_BYTES) {
          oversized = true;
        } else {
          parts.push(chunk.subarray(start, end));
          size += end - start;
        }
      }
      if (nl === -1) break;
      lineNo += 1;
      yield { lineNo, text: Buffer.concat(parts).toString('utf8'), complete: true, oversized };
      parts = [];
      size = 0;
      oversized = false;
      start = nl + 1;
    }
  }
  if (size > 0 || oversized) yield { lineNo: lineNo + 1, text: Buffer.concat(parts).toString('utf8'), complete: false, oversized };
}
