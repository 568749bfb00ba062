import type { FileHandle } from 'node:fs/promises';
import { CURRENT_FILE, auditDir, listAuditFiles, readAnchor, type AnchorRead, type AuditFile } from './auditFiles.js';
import { GENESIS_PREV, checkLine, claimedSeq } from './entryFormat.js';
import type { AuditEntry } from './types.js';
import { NotAuditFileError, openAuditFile, readLines, type StoredLine } from './readLines.js';

/** What `audit verify` found (the proto's AuditVerification). */
export interface AuditVerificationReport {
  ok: boolean;
  entries: number;
  files: number;
  /** The first entry that fails; 0 when ok. */
  firstBadSeq: number;
  firstBadFile: string;
  firstBadLine: number;
  /** "edited: ..." | "removed: ..." | "reordered: ..." | "truncated: ..." | "chain break: ..." | "anchor: ..."; "" when ok. */
  problem: string;
  lastSeq: number;
  lastHash: string;
}

interface Bad {
  seq: number;
  file: string;
  line: number;
  problem: string;
}

/**
 * Walks every audit file in chain order and names the FIRST problem:
 * - edited: a line that is not JSON, not canonical, or whose HMAC does not match;
 * - removed: a gap in the seqs, or a `prev` that is not the previous entry's hash;
 * - reordered: an entry whose seq is lower than expected, or one that comes before the entry
 *   the chain expects next (a swap);
 * - truncated: a last line cut short, a rotated file missing entries its name promises, or
 *   entries missing before the anchor (head.json);
 * - chain break: an entry the daemon itself wrote at start after it found one of the above.
 * The FIRST problem is the one reported (firstBad*). The walk does not stop there for good: a
 * chain break entry is the daemon's own record of a problem, written under the key and chained
 * on, and the daemon keeps logging after it. So after a problem the walk skips to the next
 * `audit.chain_break` entry that verifies and checks the chain strictly from there (a chain
 * break met in order is accepted the same way). A problem found after a chain break is added to
 * `problem` ("...; after the chain break at entry N: ..."): otherwise, once one chain break
 * existed (a deleted head.json is enough), every later edit would give the very same answer.
 */
export async function verifyAuditLog(stateDir: string, key: Uint8Array, { signal, snapshot }: { signal?: AbortSignal; snapshot?: AuditSnapshot } = {}): Promise<AuditVerificationReport> {
  const taken = snapshot ?? (await snapshotAuditLog(stateDir, key));
  try {
    return await walk(taken, key, signal);
  } finally {
    await taken.current?.close();
  }
}

/**
 * What a walk reads, fixed before it starts: the files in chain order, the anchor, `audit.log`
 * already open (a rotation during the walk renames it; the open file is still the one listed),
 * and, from a running daemon, its last durable seq and byte count (read last: the anchor only
 * ever names durable entries, and the walk must reach that seq whatever the files now say).
 */
export interface AuditSnapshot {
  files: AuditFile[];
  anchor: AnchorRead;
  /** `audit.log`, open; undefined when there is none (or it is not a regular file: the walk reports it). */
  current?: FileHandle;
  written?: { bytes: number; seq: number };
}

export async function snapshotAuditLog(stateDir: string, key: Uint8Array, durable?: () => { bytes: number; seq: number }): Promise<AuditSnapshot> {
  const dir = auditDir(stateDir);
  const files = await listAuditFiles(dir);
  const anchor = await readAnchor(dir, key);
  const last = files.at(-1);
  let current: FileHandle | undefined;
  if (last?.name === CURRENT_FILE) current = await openAuditFile(last.path).catch((error: unknown) => (error instanceof NotAuditFileError ? undefined : Promise.reject(error)));
  const written = durable?.();
  return { files, anchor, ...(current === undefined ? {} : { current }), ...(written === undefined ? {} : { written }) };
}

async function walk({ files, anchor, current, written }: AuditSnapshot, key: Uint8Array, signal: AbortSignal | undefined): Promise<AuditVerificationReport> {
  let expected = 1;
  let lastHash = GENESIS_PREV;
  let entries = 0;
  const currentEnd = written?.bytes;
  const anchorSeq = anchor.state === 'ok' ? anchor.anchor.seq : 0;
  let anchorHashSeen: string | undefined;
  let first: Bad | undefined;
  let later: Bad | undefined;
  /** Set after a problem until the next chain break entry: lines are skipped, not judged. */
  let resyncing = false;
  /** The seq of the last chain break entry the strict walk went through (0: none yet). */
  let breakSeq = 0;
  const report = (): AuditVerificationReport => ({
    ok: first === undefined,
    entries,
    files: files.length,
    firstBadSeq: first?.seq ?? 0,
    firstBadFile: first?.file ?? '',
    firstBadLine: first?.line ?? 0,
    problem:
      first === undefined
        ? ''
        : later === undefined
          ? first.problem
          : `${first.problem}; after the chain break at entry ${breakSeq}: ${later.problem} (${later.file}${later.line > 0 ? ` line ${later.line}` : ''})`,
    lastSeq: expected - 1,
    lastHash,
  });
  /** Records a problem; true when the walk is over (a problem after a chain break). */
  const fail = (bad: Bad): boolean => {
    if (first === undefined) {
      first = bad;
      resyncing = true;
      return false;
    }
    later = bad;
    return true;
  };
  const accept = (entry: AuditEntry): void => {
    if (entry.seq === anchorSeq) anchorHashSeen = entry.hash;
    lastHash = entry.hash;
    expected = entry.seq + 1;
    entries += 1;
  };

  for (const file of files) {
    const isCurrent = file.name === CURRENT_FILE;
    const endBytes = isCurrent ? currentEnd : undefined;
    const handle = isCurrent ? current : undefined;
    const lines = lookahead(
      readLines(file.path, { ...(signal === undefined ? {} : { signal }), ...(endBytes === undefined ? {} : { endBytes }), ...(handle === undefined ? {} : { handle }) }),
    );
    let lastInFile = 0;
    let lastLine = 0;
    let readable = true;
    try {
      for (let line = await lines.next(); line !== undefined; line = await lines.next()) {
        lastLine = line.lineNo;
        if (resyncing) {
          const checked = line.complete && !line.oversized ? checkLine(key, line.text) : undefined;
          if (checked?.ok === true && checked.entry.action === 'audit.chain_break') {
            resyncing = false;
            breakSeq = checked.entry.seq;
            accept(checked.entry);
            lastInFile = checked.entry.seq;
          }
          continue;
        }
        const at = { file: file.name, line: line.lineNo };
        const bad = await judge(line, at);
        if (bad !== undefined) {
          if (fail(bad)) return report();
          continue;
        }
      }
    } catch (error) {
      if (!(error instanceof NotAuditFileError)) throw error;
      // A FIFO or a link where a log file belongs: not read (it could block or never end).
      readable = false;
      if (!resyncing && fail({ file: file.name, line: 0, seq: expected, problem: `edited: ${file.name} is not a regular file (a link, FIFO or device put in its place)` })) return report();
    } finally {
      await lines.close();
    }
    const promised = rotatedLast(file);
    if (readable && !resyncing && promised !== undefined && lastInFile < promised) {
      const bad = { file: file.name, line: lastLine + 1, seq: lastInFile + 1, problem: `truncated: ${file.name} ends at entry ${lastInFile}, its name says ${promised}` };
      if (fail(bad)) return report();
    } else if (readable && !resyncing && promised !== undefined && lastInFile > promised) {
      // The name is not covered by the chain, but readers page by it (a file wholly before the
      // page is skipped): a file renamed to promise less would hide the rest from them.
      const bad = { file: file.name, line: lastLine, seq: promised + 1, problem: `edited: ${file.name} holds entries up to ${lastInFile}, its name says ${promised} (renamed)` };
      if (fail(bad)) return report();
    }

    /** One line in strict order: the problem, or undefined when it is the entry expected next (then accepted). */
    async function judge(line: StoredLine, at: { file: string; line: number }): Promise<Bad | undefined> {
      if (!line.complete) {
        return { ...at, seq: claimedSeq(line.text) ?? expected, problem: `truncated: line ${line.lineNo} of ${file.name} is cut short (a partial line)` };
      }
      const checked = line.oversized ? ({ ok: false, problem: 'longer than any entry' } as const) : checkLine(key, line.text);
      if (!checked.ok) return { ...at, seq: claimedSeq(line.text) ?? expected, problem: `edited: entry ${claimedSeq(line.text) ?? '?'} (${checked.problem})` };
      const entry = checked.entry;
      if (entry.seq < expected) {
        return { ...at, seq: entry.seq, problem: `reordered: entry ${entry.seq} comes after entry ${expected - 1}` };
      }
      if (entry.seq > expected) {
        const next = await lines.peek();
        const nextSeq = next === undefined ? undefined : claimedSeq(next.text);
        if (nextSeq !== undefined && nextSeq < entry.seq && nextSeq >= expected) {
          return { ...at, seq: entry.seq, problem: `reordered: entry ${entry.seq} comes before entry ${nextSeq}` };
        }
        const missing = entry.seq - 1 === expected ? `entry ${expected} is` : `entries ${expected} to ${entry.seq - 1} are`;
        return { ...at, seq: expected, problem: `removed: ${missing} missing before line ${line.lineNo} of ${file.name}` };
      }
      if (entry.prev !== lastHash) {
        return { ...at, seq: entry.seq, problem: `removed: entry ${entry.seq} does not follow the entry before it (its prev differs: an entry was removed or replaced)` };
      }
      accept(entry);
      lastInFile = entry.seq;
      if (entry.action === 'audit.chain_break') {
        // In its place in the chain: the daemon's record of an earlier problem. Reported (the
        // log is not intact), and the walk goes on from it.
        breakSeq = entry.seq;
        const details = entry.details ?? {};
        const bad = { ...at, seq: entry.seq, problem: `chain break: at start the daemon found ${String(details.problem ?? 'the chain broken')} (last good entry ${String(details.lastGoodSeq ?? details.lastSeq ?? '?')})` };
        if (first === undefined) first = bad;
      }
      return undefined;
    }
  }

  // What follows judges the end of the chain: meaningless while still skipping to a chain break.
  if (resyncing) return report();
  const last = files.at(-1)?.name ?? '';
  const ends: Bad[] = [];
  if (written !== undefined && written.seq > expected - 1) {
    ends.push({ file: last, line: 0, seq: expected, problem: `truncated: entries ${expected} to ${written.seq} were removed (the running daemon wrote them; the files end at entry ${expected - 1})` });
  }
  if (anchor.state === 'invalid') ends.push({ file: 'head.json', line: 1, seq: expected, problem: `anchor: ${anchor.problem}` });
  if (anchor.state === 'missing' && entries > 0) ends.push({ file: 'head.json', line: 0, seq: expected, problem: 'anchor: head.json is missing (entries may have been cut off the end)' });
  if (anchor.state === 'ok') {
    if (anchorSeq > expected - 1) {
      ends.push({ file: last, line: 0, seq: expected, problem: `truncated: entries ${expected} to ${anchorSeq} were removed from the end (the anchor names entry ${anchorSeq})` });
    } else if (anchorSeq > 0 && anchorHashSeen !== anchor.anchor.hash) {
      ends.push({ file: 'head.json', line: 1, seq: anchorSeq, problem: `edited: entry ${anchorSeq} is not the one the anchor recorded` });
    }
  }
  const end = ends[0];
  if (end !== undefined) fail(end);
  return report();
}

function rotatedLast(file: AuditFile): number | undefined {
  return file.lastSeq;
}

/** An async iterator with a one-line look-ahead (to tell a swap from a removal). */
function lookahead(source: AsyncGenerator<StoredLine>): { next(): Promise<StoredLine | undefined>; peek(): Promise<StoredLine | undefined>; close(): Promise<void> } {
  let buffered: StoredLine | undefined;
  let hasBuffered = false;
  const pull = async (): Promise<StoredLine | undefined> => {
    const result = await source.next();
    return result.done === true ? undefined : result.value;
  };
  return {
    async next() {
      if (hasBuffered) {
        hasBuffered = false;
        return buffered;
      }
      return pull();
    },
    async close() {
      await source.return(undefined);
    },
    async peek() {
      if (!hasBuffered) {
        buffered = await pull();
        hasBuffered = true;
      }
      return buffered;
    },
  };
}
