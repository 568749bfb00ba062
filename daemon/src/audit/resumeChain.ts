import { lstat, open, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { syncDirectory, writePrivateFileAtomic } from '@palyra/shared/fs';
import type { Logger } from '@palyra/shared/logging';
import { CURRENT_FILE, listAuditFiles, rotatedName, type AnchorRead, type AuditFile } from './auditFiles.js';
import { GENESIS_PREV, MAX_AUDIT_LINE_BYTES, checkLine, claimedSeq } from './entryFormat.js';
import { readLines } from './readLines.js';

/** Something the daemon found at start that the log must record (as its own entry, actor daemon). */
export interface ChainNote {
  action: 'audit.recovered' | 'audit.chain_break';
  details: Record<string, string | number>;
}

export interface ResumedChain {
  seq: number;
  hash: string;
  /** The first seq in `audit.log` (undefined when it holds no entry yet). */
  firstSeqInFile: number | undefined;
  notes: ChainNote[];
}

/**
 * Where the chain goes on at start: after the last entry of `audit.log` (or of the last
 * rotated file when the daemon stopped between a rotation's rename and the new file).
 *
 * - A torn last line (no newline: a crash mid-write) was never acknowledged: its bytes move to
 *   `torn-<seq>.partial`, the file is cut back to its last newline, and an `audit.recovered`
 *   entry says so. Nothing that was acknowledged is rewritten or dropped.
 * - A last entry that does not verify (edited, or written under another key) does not stop
 *   the daemon: it must still serve. The file is set aside as a rotated file, the error is
 *   logged, and the new `audit.log` starts with an `audit.chain_break` entry chained to the
 *   last entry that verifies. `audit verify` still reports the bad entry, and the break.
 * - An anchor ahead of the last entry (entries cut off the end while the daemon was down),
 *   edited or missing beside existing entries: an `audit.chain_break` entry too, since the
 *   next anchor will replace that evidence.
 * - No file and no anchor at all while the vault's audit key is older than this start: the
 *   whole log was deleted, an `audit.chain_break` too.
 * Only the tail is checked here (cheap); `audit verify` walks everything.
 */
export async function resumeChain(dir: string, key: Uint8Array, anchor: AnchorRead, logger: Logger | undefined, keyIsNew?: boolean): Promise<ResumedChain> {
  const notes: ChainNote[] = [];
  const files = await listAuditFiles(dir);
  if (keyIsNew === false && files.length === 0 && anchor.state === 'missing') {
    // The key in the vault is older than this start, so a log (at least its head.json, written
    // at the first start) existed: it was deleted. Otherwise a new, empty log would verify as
    // intact and nothing would show that the old one ever was.
    logger?.error('audit: the audit log is gone (no file and no head.json, but the audit key existed before this start). Run `palyrad audit verify`');
    notes.push({ action: 'audit.chain_break', details: { problem: 'the audit log gone (no file and no head.json, though the audit key existed before this start)', lastSeq: 0 } });
  }
  const current = files.at(-1)?.name === CURRENT_FILE ? (files.pop() as AuditFile) : undefined;
  const previous = files.at(-1);
  let base = previous === undefined ? { seq: 0, hash: GENESIS_PREV } : await lastGoodIn(previous.path, key, 'tail');
  let firstSeqInFile: number | undefined;
  let resumed = base;

  if (current !== undefined) {
    const torn = await cutTornTail(dir, current.path);
    const tail = await lastLineOf(current.path, torn?.keep);
    let setAside = false;
    if (tail !== undefined) {
      const checked = checkLine(key, tail);
      if (checked.ok) {
        resumed = { seq: checked.entry.seq, hash: checked.entry.hash };
        firstSeqInFile = claimedSeq((await firstLineOf(current.path)) ?? '') ?? checked.entry.seq;
      } else {
        // Not our entry: keep the file as it is (evidence), under a rotated name, and chain on
        // from the last entry that verifies.
        const good = await lastGoodIn(current.path, key, 'scan');
        if (good.seq > 0) base = good;
        const first = claimedSeq((await firstLineOf(current.path)) ?? '') ?? base.seq + 1;
        const aside = await freeName(dir, rotatedName(first, base.seq));
        await rename(current.path, join(dir, aside));
        setAside = true;
        await syncDirectory(dir, join(dir, aside));
        logger?.error(
          { file: aside, lastGoodSeq: base.seq, problem: checked.problem },
          'audit: the last entry of audit.log does not verify (edited, or written under another key); a new file continues the chain after the last good entry. Run `palyrad audit verify`',
        );
        notes.push({ action: 'audit.chain_break', details: { problem: `last entry ${checked.problem}`, lastGoodSeq: base.seq, file: aside } });
        resumed = base;
      }
    }
    if (torn !== undefined && !setAside) {
      const name = `torn-${resumed.seq + 1}.partial`;
      await writePrivateFileAtomic(join(dir, name), torn.bytes);
      notes.unshift({ action: 'audit.recovered', details: { tornBytes: torn.bytes.length, movedTo: name } });
      logger?.warn({ movedTo: name, bytes: torn.bytes.length }, 'audit: a torn last line (a crash mid-write) was moved aside');
      await torn.cut();
    }
  } else {
    resumed = base;
  }

  if (anchor.state === 'ok' && anchor.anchor.seq > resumed.seq) {
    logger?.error({ anchorSeq: anchor.anchor.seq, lastSeq: resumed.seq }, 'audit: entries were removed from the end of the log (the anchor names a later entry). Run `palyrad audit verify`');
    notes.push({ action: 'audit.chain_break', details: { problem: 'entries missing at the end (the anchor names a later entry)', anchorSeq: anchor.anchor.seq, lastSeq: resumed.seq } });
  } else if (anchor.state === 'invalid') {
    logger?.error({ problem: anchor.problem }, 'audit: the anchor head.json is not valid. Run `palyrad audit verify`');
    notes.push({ action: 'audit.chain_break', details: { problem: `anchor: ${anchor.problem}`, lastSeq: resumed.seq } });
  } else if (anchor.state === 'missing' && resumed.seq > 0) {
    logger?.error({ lastSeq: resumed.seq }, 'audit: the anchor head.json is missing beside existing entries. Run `palyrad audit verify`');
    notes.push({ action: 'audit.chain_break', details: { problem: 'anchor head.json missing', lastSeq: resumed.seq } });
  }
  return { ...resumed, firstSeqInFile, notes };
}

/**
 * `name`, or when a file of that name exists (never replaced: it is evidence too) the same
 * with `-broken-<ms>` before `.log`; verify does not walk such a file, but it stays on disk.
 */
async function freeName(dir: string, name: string): Promise<string> {
  try {
    await lstat(join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return name;
    throw error;
  }
  return name.replace(/\.log$/, `-broken-${Date.now()}.log`);
}

/**
 * A last line without its newline: its bytes, and how to cut the file back to the newline
 * (done only once the bytes are safe in their `.partial` file).
 */
async function cutTornTail(dir: string, path: string): Promise<{ bytes: Buffer; keep: number; cut: () => Promise<void> } | undefined> {
  const size = (await stat(path)).size;
  if (size === 0) return undefined;
  const handle = await open(path, 'r');
  try {
    const window = Math.min(size, 2 * MAX_AUDIT_LINE_BYTES);
    const buffer = Buffer.alloc(window);
    await handle.read(buffer, 0, window, size - window);
    if (buffer[window - 1] === 0x0a) return undefined;
    const nl = buffer.lastIndexOf(0x0a);
    // No newline in a window longer than any entry: not a torn entry of ours; the tail check
    // then finds it does not verify (a chain break), and nothing is cut.
    if (nl === -1 && window < size) return undefined;
    const keep = size - window + nl + 1;
    const bytes = Buffer.from(buffer.subarray(nl + 1));
    return {
      bytes,
      keep,
      cut: async () => {
        const writer = await open(path, 'r+');
        try {
          await writer.truncate(keep);
          await writer.datasync();
        } finally {
          await writer.close();
        }
        await syncDirectory(dir, path);
      },
    };
  } finally {
    await handle.close();
  }
}

/** The last complete line (without its newline), or undefined for an empty file. */
async function lastLineOf(path: string, end?: number): Promise<string | undefined> {
  const size = end ?? (await stat(path)).size;
  if (size === 0) return undefined;
  const handle = await open(path, 'r');
  try {
    const window = Math.min(size, MAX_AUDIT_LINE_BYTES + 1);
    const buffer = Buffer.alloc(window);
    await handle.read(buffer, 0, window, size - window);
    const end = buffer[window - 1] === 0x0a ? window - 1 : window;
    const start = buffer.lastIndexOf(0x0a, end - 1) + 1;
    return buffer.subarray(start, end).toString('utf8');
  } finally {
    await handle.close();
  }
}

async function firstLineOf(path: string): Promise<string | undefined> {
  for await (const line of readLines(path)) return line.text;
  return undefined;
}

/**
 * The last entry of a file that verifies by itself: its tail when `tail` (a rotated file the
 * daemon wrote and closed), or by scanning every line. {0, zeros} when none does.
 */
async function lastGoodIn(path: string, key: Uint8Array, how: 'tail' | 'scan'): Promise<{ seq: number; hash: string }> {
  try {
    if (how === 'tail') {
      const tail = await lastLineOf(path);
      const checked = tail === undefined ? undefined : checkLine(key, tail);
      if (checked?.ok === true) return { seq: checked.entry.seq, hash: checked.entry.hash };
    }
    let good = { seq: 0, hash: GENESIS_PREV };
    for await (const line of readLines(path)) {
      const checked = checkLine(key, line.text);
      if (checked.ok) good = { seq: checked.entry.seq, hash: checked.entry.hash };
    }
    return good;
  } catch (error) {
    throw new PalyraError('PALYRA_E_STATE_IO', `cannot read the audit file ${path}: ${(error as Error).message}`, { cause: error });
  }
}
