import { createHmac, timingSafeEqual } from 'node:crypto';
import { displayText } from '@palyra/shared/text';
import type { AuditActor, AuditEntry, AuditRecord } from './types.js';

/** The first entry's `prev`: 64 zeros. */
export const GENESIS_PREV = '0'.repeat(64);
/** Longest string field kept (longer is cut, and marked with "…"). */
export const MAX_AUDIT_STRING = 256;
/** Most `details` keys kept per record (further ones are dropped, and counted in `detailsDropped`). */
export const MAX_AUDIT_DETAILS = 16;
/** Longest stored line: a bounded record cannot exceed it; a reader refuses longer lines as not ours. */
export const MAX_AUDIT_LINE_BYTES = 64 * 1024;
/** Detail keys: plain names, never integer-like (JSON.stringify would move those first and break the fixed order). */
const DETAIL_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * Bounds a record and makes its text safe: every string is escaped with the project's rule for
 * peer-supplied text (displayText: no control, format or bidi characters reach a terminal or
 * a log viewer) and cut at MAX_AUDIT_STRING; at most MAX_AUDIT_DETAILS details with plain
 * keys; numbers must be finite. A node's name or a capability id is node-supplied, so
 * everything goes through it, not only the fields we think a peer controls.
 */
export function boundRecord(record: AuditRecord): AuditRecord {
  const out: AuditRecord = { action: record.action, actor: boundActor(record.actor), outcome: text(record.outcome) };
  if (record.node !== undefined) out.node = text(record.node);
  if (record.capability !== undefined) out.capability = text(record.capability);
  if (record.inputSha256 !== undefined) out.inputSha256 = text(record.inputSha256);
  if (record.inputBytes !== undefined) out.inputBytes = num(record.inputBytes);
  if (record.durationMs !== undefined) out.durationMs = num(record.durationMs);
  if (record.remoteAddress !== undefined) out.remoteAddress = text(record.remoteAddress);
  if (record.errorCode !== undefined) out.errorCode = text(record.errorCode);
  if (record.details !== undefined) {
    const details: Record<string, string | number | boolean> = {};
    let kept = 0;
    let dropped = 0;
    for (const key of Object.keys(record.details).sort()) {
      const value = record.details[key];
      if (kept >= MAX_AUDIT_DETAILS || !DETAIL_KEY.test(key) || value === undefined) {
        dropped += 1;
        continue;
      }
      details[key] = typeof value === 'string' ? text(value) : typeof value === 'number' ? num(value) : value === true;
      kept += 1;
    }
    if (dropped > 0) details.detailsDropped = dropped;
    if (kept > 0 || dropped > 0) out.details = details;
  }
  return out;
}

function boundActor(actor: AuditActor): AuditActor {
  switch (actor.kind) {
    case 'local':
      return { kind: 'local', uid: num(actor.uid) };
    case 'token':
      return { kind: 'token', tokenId: text(actor.tokenId), tokenName: text(actor.tokenName) };
    case 'node':
      return { kind: 'node', deviceId: text(actor.deviceId) };
    default:
      return { kind: 'daemon' };
  }
}

function text(value: string): string {
  const safe = displayText(String(value));
  return safe.length <= MAX_AUDIT_STRING ? safe : `${safe.slice(0, MAX_AUDIT_STRING - 1)}…`;
}

function num(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

/**
 * The entry without `hash` in its fixed key order, as one JSON text: what the HMAC covers.
 * Verification rebuilds it from the parsed line and requires the stored line to be exactly
 * this plus the hash, so an added field, a reordered key or a changed spacing is an edit too.
 */
export function canonicalJson(entry: Omit<AuditEntry, 'hash'>): string {
  const ordered: Record<string, unknown> = { seq: entry.seq, at: entry.at, action: entry.action, actor: orderedActor(entry.actor), outcome: entry.outcome };
  for (const key of ['node', 'capability', 'inputSha256', 'inputBytes', 'durationMs', 'remoteAddress', 'errorCode'] as const) {
    if (entry[key] !== undefined) ordered[key] = entry[key];
  }
  if (entry.details !== undefined) {
    const details: Record<string, unknown> = {};
    for (const key of Object.keys(entry.details).sort()) details[key] = entry.details[key];
    ordered.details = details;
  }
  ordered.prev = entry.prev;
  return JSON.stringify(ordered);
}

function orderedActor(actor: AuditActor): Record<string, unknown> {
  switch (actor.kind) {
    case 'local':
      return { kind: 'local', uid: actor.uid };
    case 'token':
      return { kind: 'token', tokenId: actor.tokenId, tokenName: actor.tokenName };
    case 'node':
      return { kind: 'node', deviceId: actor.deviceId };
    default:
      return { kind: actor.kind };
  }
}

/** hash = HMAC-SHA-256(key, prev || canonical JSON without hash), hex. */
export function chainHash(key: Uint8Array, prev: string, canonical: string): string {
  return createHmac('sha256', key).update(prev).update(canonical).digest('hex');
}

/** The stored line (with its newline) of an entry whose hash is computed here. */
export function sealEntry(key: Uint8Array, entry: Omit<AuditEntry, 'hash'>): { line: string; hash: string } {
  const canonical = canonicalJson(entry);
  const hash = chainHash(key, entry.prev, canonical);
  return { line: `${canonical.slice(0, -1)},"hash":"${hash}"}\n`, hash };
}

export type ParsedLine = { ok: true; entry: AuditEntry } | { ok: false; problem: string };

/**
 * Checks one stored line (without its newline) against the key: JSON, the expected shape,
 * exactly the canonical form, and the HMAC. Says nothing about its place in the chain.
 */
export function checkLine(key: Uint8Array, line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  if (!isEntryShape(value)) return { ok: false, problem: 'not an audit entry' };
  const { hash, ...rest } = value;
  const canonical = canonicalJson(rest);
  if (`${canonical.slice(0, -1)},"hash":"${hash}"}` !== line) return { ok: false, problem: 'not in canonical form (a field was added, removed or rewritten)' };
  // Constant time; both are 32 bytes (the shape check requires 64 hex digits).
  if (!timingSafeEqual(Buffer.from(chainHash(key, rest.prev, canonical), 'hex'), Buffer.from(hash, 'hex'))) return { ok: false, problem: 'HMAC mismatch' };
  return { ok: true, entry: value };
}

/** Reads the seq of a line that may not verify (to name it), or undefined. */
export function claimedSeq(line: string): number | undefined {
  const match = /^\{"seq":(\d{1,15}),/.exec(line);
  return match === null ? undefined : Number(match[1]);
}

function isEntryShape(value: unknown): value is AuditEntry {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(v.seq) &&
    (v.seq as number) > 0 &&
    typeof v.at === 'string' &&
    typeof v.action === 'string' &&
    typeof v.actor === 'object' &&
    v.actor !== null &&
    typeof (v.actor as Record<string, unknown>).kind === 'string' &&
    typeof v.outcome === 'string' &&
    typeof v.prev === 'string' &&
    typeof v.hash === 'string' &&
    /^[0-9a-f]{64}$/.test(v.hash) &&
    (v.details === undefined || (typeof v.details === 'object' && v.details !== null))
  );
}
