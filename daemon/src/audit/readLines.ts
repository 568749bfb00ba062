import { createReadStream } from 'node:fs';
import { MAX_AUDIT_LINE_BYTES } from './entryFormat.js';

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
 * bounded by MAX_AUDIT_LINE_BYTES whatever the file holds.
 */
export async function* readLines(path: string, { signal, endBytes }: { signal?: AbortSignal; endBytes?: number } = {}): AsyncGenerator<StoredLine> {
  if (endBytes === 0) return;
  // `endBytes`: only what was durable when the reader started (the writer may be mid-batch).
  const stream = createReadStream(path, { highWaterMark: 256 * 1024, ...(endBytes === undefined ? {} : { end: endBytes - 1 }), ...(signal === undefined ? {} : { signal }) });
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
