import { createHmac, timingSafeEqual } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PalyraError } from '@palyra/shared/errors';
import { readOwnFile, writePrivateFileAtomic } from '@palyra/shared/fs';

/** The audit directory inside the state dir (0700). */
export const AUDIT_DIR = 'audit';
/** The file being written. */
export const CURRENT_FILE = 'audit.log';
/** The anchor: the last entry known durable, HMAC'd (see AuditLog). */
export const ANCHOR_FILE = 'head.json';
const ROTATED = /^audit-(\d{1,15})-(\d{1,15})\.log$/;

export function auditDir(stateDir: string): string {
  return join(stateDir, AUDIT_DIR);
}

export function rotatedName(firstSeq: number, lastSeq: number): string {
  return `audit-${firstSeq}-${lastSeq}.log`;
}

export interface AuditFile {
  name: string;
  path: string;
  /** From a rotated file's name; undefined for the current file. */
  firstSeq?: number;
  lastSeq?: number;
}

/** Every log file in chain order: the rotated ones by first seq, then `audit.log`. */
export async function listAuditFiles(dir: string): Promise<AuditFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new PalyraError('PALYRA_E_STATE_IO', `cannot list the audit directory ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const rotated: AuditFile[] = [];
  for (const name of names) {
    const match = ROTATED.exec(name);
    if (match !== null) rotated.push({ name, path: join(dir, name), firstSeq: Number(match[1]), lastSeq: Number(match[2]) });
  }
  rotated.sort((a, b) => (a.firstSeq as number) - (b.firstSeq as number) || (a.lastSeq as number) - (b.lastSeq as number));
  if (names.includes(CURRENT_FILE)) rotated.push({ name: CURRENT_FILE, path: join(dir, CURRENT_FILE) });
  return rotated;
}

export interface Anchor {
  seq: number;
  hash: string;
  at: string;
}

function anchorMac(key: Uint8Array, anchor: Anchor): string {
  // A domain prefix: an anchor's MAC can never be taken for an entry's chain value.
  return createHmac('sha256', key).update(`palyra-audit-anchor\n${anchor.seq}\n${anchor.hash}\n${anchor.at}`).digest('hex');
}

/** Writes head.json atomically (0600): {seq, hash, at, mac}. */
export async function writeAnchor(dir: string, key: Uint8Array, anchor: Anchor): Promise<void> {
  const body = { seq: anchor.seq, hash: anchor.hash, at: anchor.at, mac: anchorMac(key, anchor) };
  await writePrivateFileAtomic(join(dir, ANCHOR_FILE), `${JSON.stringify(body)}\n`);
}

export type AnchorRead = { state: 'missing' } | { state: 'invalid'; problem: string } | { state: 'ok'; anchor: Anchor };

export async function readAnchor(dir: string, key: Uint8Array): Promise<AnchorRead> {
  let bytes: Buffer | undefined;
  try {
    bytes = await readOwnFile(join(dir, ANCHOR_FILE), { secret: true, maxBytes: 4096, what: 'the audit anchor' });
  } catch (error) {
    if (error instanceof PalyraError && error.code === 'PALYRA_E_STATE_PERMISSIONS') throw error;
    return { state: 'invalid', problem: (error as Error).message };
  }
  if (bytes === undefined) return { state: 'missing' };
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    return { state: 'invalid', problem: 'head.json is not JSON' };
  }
  const { seq, hash, at, mac } = value;
  if (!Number.isSafeInteger(seq) || typeof hash !== 'string' || typeof at !== 'string' || typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)) {
    return { state: 'invalid', problem: 'head.json does not have the shape of an anchor' };
  }
  const anchor: Anchor = { seq: seq as number, hash, at };
  if (!timingSafeEqual(Buffer.from(anchorMac(key, anchor), 'hex'), Buffer.from(mac, 'hex'))) return { state: 'invalid', problem: 'head.json was edited (its HMAC does not match)' };
  return { state: 'ok', anchor };
}
