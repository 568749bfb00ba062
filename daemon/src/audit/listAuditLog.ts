import { PalyraError } from '@palyra/shared/errors';
import { auditDir, listAuditFiles } from './auditFiles.js';
import { MAX_AUDIT_LINE_BYTES, checkLine } from './entryFormat.js';
import { openAuditFile, readLines } from './readLines.js';
import type { AuditEntry } from './types.js';

export const DEFAULT_AUDIT_LIST_LIMIT = 1000;
export const MAX_AUDIT_LIST_LIMIT = 10_000;

export interface AuditQuery {
  /** Entries with a larger seq (paging). */
  afterSeq?: number;
  since?: Date;
  /** "local", "daemon", "token:<id>", "node:<id>", or a token name. */
  actor?: string;
  node?: string;
  /** An action, or a prefix ending in "." ("dispatch.", "pairing."). */
  action?: string;
  limit?: number;
}

export interface AuditPage {
  /** Each entry's line as stored. */
  lines: string[];
  entries: AuditEntry[];
  /** The last seq examined: page on with afterSeq. */
  lastSeq: number;
  more: boolean;
}

/**
 * Entries in seq order that match every filter, skipping rotated files wholly at or before
 * afterSeq. Only lines that verify by themselves under the key (shape, canonical form, HMAC)
 * are entries: a line someone without the key wrote (a forged entry blaming a token, with
 * terminal escapes in its text, or junk) is never shown as the daemon's record. Their place in
 * the chain is not checked here: `audit verify` judges that, and reports the skipped lines.
 */
export async function listAuditLog(stateDir: string, key: Uint8Array, query: AuditQuery, { signal }: { signal?: AbortSignal } = {}): Promise<AuditPage> {
  const limit = query.limit ?? DEFAULT_AUDIT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_LIST_LIMIT) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', `the limit must be from 1 to ${MAX_AUDIT_LIST_LIMIT}`);
  }
  if (query.action !== undefined && query.action !== '' && !/^[a-z][a-z_.]{0,63}$/.test(query.action)) {
    throw new PalyraError('PALYRA_E_INVALID_ARGUMENT', 'an action filter is an action ("pairing.approve") or a prefix ending in "." ("pairing.")');
  }
  const afterSeq = query.afterSeq ?? 0;
  const sinceMs = query.since?.getTime();
  const matches = matcher(query);
  const page: AuditPage = { lines: [], entries: [], lastSeq: afterSeq, more: false };
  for (const file of await listAuditFiles(auditDir(stateDir))) {
    // A rotated file wholly at or before afterSeq is skipped, by its last entry (checked under
    // the key), not by its name: a name is not covered by the chain.
    if (file.lastSeq !== undefined && file.lastSeq <= afterSeq && (await lastEntrySeq(file.path, key)) <= afterSeq) continue;
    for await (const line of readLines(file.path, signal === undefined ? {} : { signal })) {
      if (!line.complete || line.oversized) continue;
      const checked = checkLine(key, line.text);
      if (!checked.ok) continue;
      const entry = checked.entry;
      if (entry.seq <= afterSeq) continue;
      if (page.entries.length >= limit) {
        page.more = true;
        return page;
      }
      page.lastSeq = entry.seq;
      if (sinceMs !== undefined && !(Date.parse(entry.at) >= sinceMs)) continue;
      if (!matches(entry)) continue;
      page.lines.push(line.text);
      page.entries.push(entry);
    }
  }
  return page;
}

function matcher(query: AuditQuery): (entry: AuditEntry) => boolean {
  const { actor, node, action } = query;
  return (entry) => {
    if (node !== undefined && node !== '' && entry.node !== node) return false;
    if (action !== undefined && action !== '' && !(action.endsWith('.') ? entry.action.startsWith(action) : entry.action === action)) return false;
    if (actor !== undefined && actor !== '' && !actorMatches(entry, actor)) return false;
    return true;
  };
}

function actorMatches(entry: AuditEntry, actor: string): boolean {
  const who = entry.actor;
  if (actor === 'local' || actor === 'daemon') return who.kind === actor;
  if (actor.startsWith('token:')) return who.kind === 'token' && who.tokenId === actor.slice('token:'.length);
  if (actor.startsWith('node:')) return who.kind === 'node' && who.deviceId === actor.slice('node:'.length);
  return who.kind === 'token' && who.tokenName === actor;
}

/** The seq of a file's last line when it verifies under the key; +Infinity otherwise (read it all). */
async function lastEntrySeq(path: string, key: Uint8Array): Promise<number> {
  const handle = await openAuditFile(path);
  try {
    const { size } = await handle.stat();
    if (size === 0) return 0;
    const window = Math.min(size, MAX_AUDIT_LINE_BYTES + 1);
    const buffer = Buffer.alloc(window);
    await handle.read(buffer, 0, window, size - window);
    const end = buffer[window - 1] === 0x0a ? window - 1 : window;
    const checked = checkLine(key, buffer.subarray(buffer.lastIndexOf(0x0a, end - 1) + 1, end).toString('utf8'));
    return checked.ok ? checked.entry.seq : Number.POSITIVE_INFINITY;
  } finally {
    await handle.close();
  }
}
